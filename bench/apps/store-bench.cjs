// The store bench's app: GET / answers 200; GET /run?via=drover|ioredis&op=get|set|incr&n=N&c=C
// runs N operations, C at a time, from this worker, and answers how long they took and
// each one's latency (us). `ioredis` talks to BENCH_REDIS_URL directly, the baseline a
// cluster script would use; `drover` is drover/worker's store (embedded, or Redis).
// GET /fill?n=N sets N small keys; GET /touch sets one.
const http = require('node:http');
const { store } = require('drover/worker');

let redis;
const direct = () => {
  if (!redis) {
    const { Redis } = require('ioredis');
    redis = new Redis(process.env.BENCH_REDIS_URL);
  }
  return redis;
};

const OPS = {
  drover: { get: (i) => store.get(`k${i % 1000}`), set: (i) => store.set(`k${i % 1000}`, `value-${i}`), incr: () => store.incr('counter') },
  ioredis: { get: (i) => direct().get(`k${i % 1000}`), set: (i) => direct().set(`k${i % 1000}`, `value-${i}`), incr: () => direct().incr('counter') },
};

async function run(via, op, n, c) {
  const call = OPS[via][op];
  const latencies = new Array(n);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: c }, async () => {
      while (next < n) {
        const i = next++;
        const t = performance.now();
        await call(i);
        latencies[i] = Math.round((performance.now() - t) * 1000);
      }
    }),
  );
  return { ms: performance.now() - started, latencies };
}

http
  .createServer(async (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    const q = url.searchParams;
    let body = { pid: process.pid };
    if (url.pathname === '/run') body = await run(q.get('via'), q.get('op'), Number(q.get('n')), Number(q.get('c')));
    if (url.pathname === '/fill') {
      const n = Number(q.get('n'));
      for (let i = 0; i < n; i += 500) await Promise.all(Array.from({ length: Math.min(500, n - i) }, (_, j) => store.set(`key:${i + j}`, `value-${i + j}`)));
    }
    if (url.pathname === '/touch') await store.set('touched', 1);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  })
  .listen(Number(process.env.PORT), '127.0.0.1');
