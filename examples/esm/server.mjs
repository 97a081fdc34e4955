// An ES module app with top-level await, on plain node:http.
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

// Stands for the set-up an app awaits before serving (a config fetch, a pool).
await sleep(10);

const port = Number(process.env.PORT ?? 3000);
http
  .createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ pid: process.pid, instance: process.env.NODE_APP_INSTANCE ?? '-', module: 'esm' }));
  })
  .listen(port, process.env.HOST ?? '127.0.0.1');
