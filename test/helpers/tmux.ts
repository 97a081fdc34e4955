import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after } from 'node:test';
import { DROVER_HOME, sleep } from './drover-process.js';

// A real terminal for a test: a detached tmux session of a fixed size, on a tmux
// server of its own (-L), so that killing that server ends everything it ran, even
// when the test fails. Keys go in with send-keys; the screen comes out with capture-pane.

const servers = new Set<string>();
after(() => {
  for (const server of servers) tmux(server, ['kill-server']);
});

let count = 0;

function tmux(server: string, args: string[]): string {
  // No user config (-f /dev/null); TERM for the server, which CI may not set.
  const result = spawnSync('tmux', ['-L', server, '-f', '/dev/null', ...args], {
    encoding: 'utf8',
    env: { ...process.env, DROVER_HOME, TERM: 'xterm-256color' },
    timeout: 10_000,
  });
  if (result.status !== 0 && args[0] !== 'kill-server') throw new Error(`tmux ${args.join(' ')}: ${result.stderr || result.error?.message}`);
  return result.stdout;
}

export class TmuxSession {
  readonly #server = `drover-test-${process.pid}-${++count}`;

  /** Run `command` (a shell command line) in a new detached session of `columns` x `rows`. */
  constructor(command: string, size: { columns: number; rows: number }) {
    servers.add(this.#server);
    tmux(this.#server, ['new-session', '-d', '-s', 'test', '-x', String(size.columns), '-y', String(size.rows), command]);
  }

  /** The visible screen, one string per line. */
  capture(): string {
    return tmux(this.#server, ['capture-pane', '-p', '-t', 'test']);
  }

  /** Keys as tmux names them: 'q', '+', 'Up', 'C-c'. */
  sendKeys(...keys: string[]): void {
    tmux(this.#server, ['send-keys', '-t', 'test', ...keys]);
  }

  /** A tmux format about the pane: '#{alternate_on}', '#{cursor_flag}', '#{pane_pid}'. */
  display(format: string): string {
    return tmux(this.#server, ['display-message', '-p', '-t', 'test', format]).trim();
  }

  /** Poll the screen until `check` holds; fails with the last screen after `timeoutMs`. */
  async waitForScreen(check: (screen: string) => boolean, what: string, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = this.capture();
      if (check(screen)) return screen;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; screen:\n${screen}`);
      await sleep(100);
    }
  }

  /** The pids of the session's shell's children (the program it runs). */
  childPids(): number[] {
    const shell = this.display('#{pane_pid}');
    try {
      return readFileSync(`/proc/${shell}/task/${shell}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  }

  kill(): void {
    tmux(this.#server, ['kill-server']);
    servers.delete(this.#server);
  }
}
