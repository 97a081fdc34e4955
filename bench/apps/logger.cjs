// A server that also logs steadily: LINES_PER_SECOND lines a second (default 500).
const http = require('node:http');

const perTick = Math.max(1, Math.round(Number(process.env.LINES_PER_SECOND ?? 500) / 100));
let n = 0;
setInterval(() => {
  for (let i = 0; i < perTick; i++) console.log(`worker ${process.env.NODE_APP_INSTANCE} line ${n++} ${'x'.repeat(60)}`);
}, 10);
http.createServer((req, res) => res.end('ok')).listen(Number(process.env.PORT), '127.0.0.1');
