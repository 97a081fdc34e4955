// WebSocket clients across a rolling reload: how a draining worker's clients are
// closed, and how their reconnects spread. Express + ws (test/fixtures/frameworks/
// express-ws.cjs) with 2 workers, N ws clients on loopback that reconnect the moment
// they are closed; one reload (SIGUSR2). Once with `--ws-close-window 0` (every client
// of a worker closed at once, as an onShutdown hook that closes them all would), once
// with the default (half of kill_timeout). For each run: the close codes, when each
// client's first close came after its worker's drain began (first, p50, last), the
// most closes and reconnects in any 100 ms, and how many clients are back on a new
// worker.
//
//   node bench/ws-reload.js [--clients 1000] [--kill-timeout 5000]
import WebSocket from 'ws';
import { freePort, option, startServer, stopServer } from './lib.js';

const clientCount = option('clients', 1000);
const killTimeout = option('kill-timeout', 5000);
const APP = 'test/fixtures/frameworks/express-ws.cjs';

/** One client: it learns its worker's pid, and reconnects at once when closed. */
class Client {
  closes = [];
  opens = [];
  pid = undefined;
  stopped = false;

  constructor(url) {
    this.url = url;
  }

  async connect() {
    const socket = new WebSocket(this.url);
    this.socket = socket;
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    this.opens.push(performance.now());
    socket.once('close', (code) => {
      this.closes.push({ code, at: performance.now(), pid: this.pid });
      this.pid = undefined;
      if (!this.stopped) void this.connect().catch(() => setTimeout(() => void this.connect().catch(() => undefined), 100));
    });
    this.pid = await new Promise((resolve) => {
      socket.once('message', (data) => resolve(Number(String(data).split(':')[0])));
      socket.send('who');
    });
  }

  stop() {
    this.stopped = true;
    this.socket?.terminate();
  }
}

/** The most of `moments` (ms) that fall in any one 100 ms slice. */
function peakPer100ms(moments) {
  const slices = new Map();
  for (const at of moments) slices.set(Math.floor(at / 100), (slices.get(Math.floor(at / 100)) ?? 0) + 1);
  return Math.max(0, ...slices.values());
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function run(windowArgs, label) {
  const port = await freePort();
  const server = await startServer(['dist/cli/main.js', 'run', APP, '-i', '2', '--name', 'wsbench', '--kill-timeout', String(killTimeout), ...windowArgs], port, { pipeStdout: true });
  // When the supervisor asked each old worker to drain, by its pid.
  const drainAt = new Map();
  let output = '';
  server.child.stdout.setEncoding('utf8').on('data', (chunk) => {
    output += chunk;
    for (const match of chunk.matchAll(/replacing pid (\d+), now draining/g)) drainAt.set(Number(match[1]), performance.now());
  });
  const clients = Array.from({ length: clientCount }, () => new Client(`ws://127.0.0.1:${port}/`));
  try {
    for (let i = 0; i < clients.length; i += 50) await Promise.all(clients.slice(i, i + 50).map((client) => client.connect()));
    const oldPids = new Set(clients.map((client) => client.pid));
    const reloadAt = performance.now();
    server.child.kill('SIGUSR2');
    // Every client closed at least once and back on a worker that is not an old one.
    const deadline = reloadAt + killTimeout * 3;
    while (performance.now() < deadline && !clients.every((client) => client.closes.length > 0 && client.pid !== undefined && !oldPids.has(client.pid))) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await new Promise((resolve) => setTimeout(resolve, 200));

    const firstCloses = clients.flatMap((client) => (client.closes[0] ? [client.closes[0]] : []));
    const offsets = firstCloses.map((close) => close.at - (drainAt.get(close.pid) ?? reloadAt)).sort((a, b) => a - b);
    const codes = {};
    for (const client of clients) for (const close of client.closes) codes[close.code] = (codes[close.code] ?? 0) + 1;
    const closesPeak = peakPer100ms(clients.flatMap((client) => client.closes.map((close) => close.at)));
    const reconnectsPeak = peakPer100ms(clients.flatMap((client) => client.opens.slice(1)));
    const back = clients.filter((client) => client.pid !== undefined && !oldPids.has(client.pid)).length;
    const codeText = Object.entries(codes).map(([code, n]) => `${code} x${n}`).join(', ');
    const ms = (value) => (value === undefined ? '-' : `${Math.round(value)}`);
    console.log(
      `${label.padEnd(22)} closed ${String(firstCloses.length).padStart(5)}/${clientCount}  codes ${codeText.padEnd(12)}  after drain start: first ${ms(offsets[0]).padStart(5)} ms, p50 ${ms(percentile(offsets, 50)).padStart(5)} ms, last ${ms(offsets.at(-1)).padStart(5)} ms  most in 100 ms: ${String(closesPeak).padStart(4)} closes, ${String(reconnectsPeak).padStart(4)} reconnects  back on a new worker ${back}/${clientCount}`,
    );
    if (/killed/.test(output)) console.log('  (a worker was killed at kill_timeout)');
  } finally {
    for (const client of clients) client.stop();
    await stopServer(server);
  }
}

console.log(`ws-reload: ${clientCount} ws clients (reconnecting at once when closed), 2 workers, kill_timeout ${killTimeout} ms, one rolling reload, node ${process.version}`);
await run(['--ws-close-window', '0'], 'ws_close_window 0');
await run([], `default (${killTimeout / 2} ms)`);
