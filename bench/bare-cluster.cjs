// The baseline: the "couple of lines" cluster script every production guide ends with.
// Usage: node bench/bare-cluster.cjs <script> <workers>
const cluster = require('node:cluster');
const path = require('node:path');

const [script, workers = '2'] = process.argv.slice(2);
cluster.setupPrimary({ exec: path.resolve(script) });
for (let i = 0; i < Number(workers); i++) cluster.fork({ NODE_APP_INSTANCE: String(i) });
cluster.on('exit', (worker, code, signal) => {
  if (!process.exitCode) console.error(`worker ${worker.process.pid} died (${signal || code})`);
});
process.on('SIGTERM', () => {
  process.exitCode = 0;
  for (const worker of Object.values(cluster.workers)) worker.kill();
});
