import { spawnSync } from 'node:child_process';
import http from 'node:http';

// Talking to an admin listener as Prometheus, a probe or a person with curl would.

export interface AdminReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** GET `path` from an admin listener on loopback, with a bearer token if given. */
export function adminGet(port: number, path: string, token?: string): Promise<AdminReply> {
  return new Promise((resolve, reject) => {
    const headers = token === undefined ? {} : { authorization: `Bearer ${token}` };
    const req = http.get({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`timeout: ${path}`)));
    req.on('error', reject);
  });
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
