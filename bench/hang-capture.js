// How long reading a hung worker's stack takes: the time between drover deciding a
// worker is unresponsive and its kill. A node process with a spinning function (a
// named function in a loop, as test/fixtures/apps/hangs.cjs) started as drover starts
// workers (--inspect-port=127.0.0.1:0), then captureStack() from dist/inspector: SIGUSR1,
// the inspector's address from stderr, Debugger.enable, Debugger.pause, the frames.
// A fresh process per round, since a capture is followed by a kill. Prints each
// round's time and the median, and the frames of the last round.
//
//   node bench/hang-capture.js [--rounds 20] [--modules 0]
//
// --modules N: the spinning app first loads N small modules of its own, since
// Debugger.enable reports every script and a large app has thousands.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { median, option, ROOT } from './lib.js';

const { captureStack, describeCapture, CAPTURE_INSPECT_ARGS } = await import(`${ROOT}dist/inspector/index.js`);
const rounds = option('rounds', 20);
const modules = option('modules', 0);
const dir = mkdtempSync(`${tmpdir()}/drover-hang-bench-`);
for (let i = 0; i < modules; i++) writeFileSync(`${dir}/m${i}.js`, `module.exports = function m${i}() { return ${i}; };\n`);
writeFileSync(
  `${dir}/app.js`,
  `for (let i = 0; i < ${modules}; i++) require('./m' + i + '.js');
function spin() { let turns = 0; while (turns >= 0) turns += 1; }
function handler() { spin(); }
process.stdout.write('spinning\\n');
setTimeout(handler, 10);
`,
);

const children = new Set();
const cleanup = () => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
};
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

const times = [];
let last;
for (let round = 0; round < rounds; round++) {
  const child = spawn(process.execPath, [...CAPTURE_INSPECT_ARGS, `${dir}/app.js`], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
  await new Promise((resolve) => child.stdout.once('data', resolve));
  // Let it spin a while, as a hung worker would by heartbeat_timeout.
  await new Promise((resolve) => setTimeout(resolve, 200));
  // What WorkerHandle.openInspector does: SIGUSR1, then the address Node prints.
  const open = (timeoutMs) =>
    new Promise((resolve, reject) => {
      const deadline = Date.now() + timeoutMs;
      child.kill('SIGUSR1');
      const poll = setInterval(() => {
        const match = /Debugger listening on (ws:\/\/\S+)/.exec(stderr);
        if (match) resolve(match[1]);
        else if (Date.now() < deadline) return;
        else reject(new Error('no inspector'));
        clearInterval(poll);
      }, 1);
    });
  last = await captureStack(open);
  times.push(last.ms);
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  children.delete(child);
  process.stdout.write(`round ${round + 1}: ${last.ok ? `${last.ms} ms` : `failed after ${last.ms} ms: ${last.why}`}\n`);
}
process.stdout.write(`\nNode ${process.version}, ${modules} extra modules: capture median ${median(times)} ms, max ${Math.max(...times)} ms over ${rounds} rounds\n`);
process.stdout.write(`last: ${describeCapture(last, dir)}\n`);
