import { spawn, type ChildProcess } from 'node:child_process';
import { after } from 'node:test';
import { scratchDir } from './drover-process.js';
import { freePort } from './http.js';

// A real redis-server (the OS package; .ci/run installs it) on a free loopback port,
// with its own folder and no persistence, killed when the test file ends.

export interface RedisServer {
  url: string;
  port: number;
  /** SIGKILL it (Redis "down"); `start()` brings it back on the same port. */
  kill(): Promise<void>;
  start(): Promise<void>;
}

const servers = new Set<ChildProcess>();
after(() => {
  for (const server of servers) server.kill('SIGKILL');
});

export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  const dir = scratchDir('redis');
  let child: ChildProcess | undefined;
  const start = async () => {
    const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    servers.add(server);
    child = server;
    await new Promise<void>((resolve, reject) => {
      let output = '';
      server.once('error', (error) => reject(new Error(`redis-server could not start (${error.message}); install it: apt-get install redis-server`)));
      server.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)));
      server.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        output += chunk;
        if (output.includes('Ready to accept connections')) resolve();
      });
    });
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    kill: async () => {
      const server = child;
      if (!server || server.exitCode !== null) return;
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGKILL');
      await exited;
      servers.delete(server);
    },
  };
}
