// A plain `node:http` server, CommonJS. Each answer names the worker that served it.
//   GET /        hello world
//   GET /cpu     a CPU-bound route (about 5 ms of hashing)
//   GET /slow    answers after ?ms= milliseconds (default 1000)
const http = require('node:http');
const crypto = require('node:crypto');

const port = Number(process.env.PORT ?? 3000);
const worker = process.env.NODE_APP_INSTANCE ?? '-';

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/cpu') {
    let digest = 'drover';
    for (let i = 0; i < 2000; i++) digest = crypto.createHash('sha256').update(digest).digest('hex');
    return reply(res, { pid: process.pid, instance: worker, digest: digest.slice(0, 16) });
  }
  if (url.pathname === '/slow') {
    const ms = Number(url.searchParams.get('ms') ?? 1000);
    return setTimeout(() => reply(res, { pid: process.pid, instance: worker, waited: ms }), ms);
  }
  reply(res, { pid: process.pid, instance: worker, hello: 'world' });
});

function reply(res, body) {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

server.listen(port, process.env.HOST ?? '127.0.0.1');
