import { spawnSync } from 'node:child_process';
import { get, type Reply } from './http.js';

// Talking to an admin listener as Prometheus, a probe or a person with curl would.

/** GET `path` from an admin listener on loopback, with a bearer token if given. */
export function adminGet(port: number, path: string, token?: string): Promise<Reply> {
  return get(`http://127.0.0.1:${port}${path}`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
}

/** Where `promtool` is, or undefined (the Debian package `prometheus` has it). */
export function which(program: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

/** `promtool check metrics` on a text: its exit code and what it said. */
export function promtoolCheck(text: string): { code: number | null; problems: string[] } {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 20_000 });
  return { code: result.status, problems: `${result.stdout}${result.stderr}`.split('\n').filter((line) => line.trim() !== '') };
}

/** "name{labels}" -> value, from the text format. */
export function samples(text: string): Map<string, number> {
  return new Map(
    text
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => [line.slice(0, line.lastIndexOf(' ')), Number(line.slice(line.lastIndexOf(' ') + 1))]),
  );
}
