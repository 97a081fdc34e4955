// Failed requests across rolling reloads: the hello example with 2 workers under wrk
// (50 connections, 20 s) while the script triggers 3 reloads, for drover (SIGUSR2)
// and, in the same run, PM2 7 in cluster mode (`pm2 reload`). Twice: with keep-alive
// connections, and with a new connection per request. Prints total requests, failed
// requests (socket errors plus non-2xx) and the slowest request.
//
// `--app <script>` reloads another app: test/fixtures/apps/sigterm-close-exit.cjs is
// the usual hand-written shutdown (on SIGTERM, close the server, then exit), which
// drover lets run on every reload.
//
// `--balance <policy>` (and `--sticky-key <key>`) reloads drover under its own balancer
// (least-connections, sticky) instead of node:cluster's round-robin; `--no-pm2` leaves
// PM2 out, to run one policy after another quickly. `--reload-strategy surge` reloads
// all or nothing (every new worker up and healthy before any old one drains).
//
//   node bench/reload.js [--duration 20] [--reloads 3] [--connections 50] [--app <script>] [--balance <policy>] [--sticky-key <key>] [--reload-strategy surge] [--no-pm2]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { ROOT, freePort, option, runWrk, startServer, stopServer, textOption } from './lib.js';

const duration = option('duration', 20);
const reloads = option('reloads', 3);
const connections = option('connections', 50);
const app = textOption('app') ?? 'examples/hello/server.js';
const balance = textOption('balance');
const stickyKey = textOption('sticky-key');
const strategy = textOption('reload-strategy');
const balanceFlags = [...(balance ? ['--balance', balance] : []), ...(stickyKey ? ['--sticky-key', stickyKey] : []), ...(strategy ? ['--reload-strategy', strategy] : [])];
const droverName = ['drover', balance, stickyKey, strategy].filter(Boolean).join(' ');
const pm2Home = mkdtempSync(`${tmpdir()}/drover-bench-pm2-`);
const pm2 = (...args) => execFileSync(`${ROOT}node_modules/.bin/pm2`, args, { cwd: ROOT, env: { ...process.env, PM2_HOME: pm2Home }, stdio: 'pipe' });

const targets = {
  [droverName]: {
    async start(port) {
      return startServer(['dist/cli/main.js', 'run', app, '-i', '2', '--name', 'bench', ...balanceFlags], port);
    },
    reload(server) {
      server.child.kill('SIGUSR2');
    },
    async stop(server) {
      await stopServer(server);
    },
  },
  'pm2 7 cluster': {
    async start(port) {
      process.env.PORT = String(port);
      pm2('start', app, '-i', '2', '--name', 'bench');
      delete process.env.PORT;
      // Wait until it answers.
      const started = performance.now();
      for (;;) {
        try {
          execFileSync('curl', ['-sf', `http://127.0.0.1:${port}/`], { stdio: 'ignore' });
          break;
        } catch {
          if (performance.now() - started > 15_000) throw new Error('pm2 app did not answer');
        }
      }
      return {};
    },
    reload() {
      pm2('reload', 'bench');
    },
    async stop() {
      pm2('delete', 'all');
      pm2('kill');
    },
  },
};

if (process.argv.includes('--no-pm2')) delete targets['pm2 7 cluster'];

const modes = { 'keep-alive': undefined, 'connection per request': 'Connection: close' };
const rows = [];
console.log(`reload: ${app}${balance ? `, --balance ${balance}` : ''}${stickyKey ? ` --sticky-key ${stickyKey}` : ''}, wrk, ${connections} connections, ${duration} s, ${reloads} reloads, 2 workers, node ${process.version}`);
try {
  for (const [mode, header] of Object.entries(modes)) {
    for (const [name, target] of Object.entries(targets)) {
      const port = await freePort();
      const server = await target.start(port);
      const load = runWrk(`http://127.0.0.1:${port}/`, { connections, duration, header });
      const gap = (duration * 1000) / (reloads + 1);
      for (let i = 1; i <= reloads; i++) {
        await new Promise((resolve) => setTimeout(resolve, gap));
        target.reload(server);
      }
      const result = await load;
      await target.stop(server);
      rows.push({ mode, name, ...result });
      console.log(`${mode.padEnd(23)} ${name.padEnd(30)} ${String(result.total).padStart(8)} requests  ${String(result.failed).padStart(5)} failed  slowest ${result.maxMs} ms  (${result.socketErrors}; non-2xx ${result.non2xx})`);
    }
  }
} finally {
  try {
    if (targets['pm2 7 cluster']) pm2('kill');
  } catch {
    // Not running.
  }
  rmSync(pm2Home, { recursive: true, force: true });
}

console.log('\nmode                    target                           requests   failed  slowest ms');
for (const row of rows) {
  console.log(`${row.mode.padEnd(23)} ${row.name.padEnd(30)} ${String(row.total).padStart(10)} ${String(row.failed).padStart(8)} ${String(row.maxMs).padStart(11)}`);
}
