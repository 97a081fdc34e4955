// The cluster script the production guides end with, restarts included: fork one
// worker per slot and fork a new one whenever one dies. The baseline for bench/chaos.js.
// Usage: node bench/guide-cluster.cjs <script> <workers>
const cluster = require('node:cluster');
const path = require('node:path');

const [script, workers = '2'] = process.argv.slice(2);
let stopping = false;
cluster.setupPrimary({ exec: path.resolve(script) });
for (let i = 0; i < Number(workers); i++) cluster.fork({ NODE_APP_INSTANCE: String(i) });
cluster.on('exit', (worker) => {
  if (!stopping) cluster.fork({ NODE_APP_INSTANCE: worker.process.env?.NODE_APP_INSTANCE ?? '0' });
});
process.on('SIGTERM', () => {
  stopping = true;
  for (const worker of Object.values(cluster.workers)) worker.kill();
});
