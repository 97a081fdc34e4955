import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { callSupervisor } from '../../src/control/client.js';
import { ROUTES } from '../../src/control/routes.js';
import { DROVER_HOME, DroverProcess, ROOT, example, runDrover } from '../helpers/drover-process.js';
import { freePort } from '../helpers/http.js';

// The control API's route table, and what moved into the supervisor with it: relative
// scale worked out in the supervisor's queue, and waiting until an app is up.

describe('control routes', () => {
  it('every route is documented in the README, and every documented route exists', () => {
    const readme = readFileSync(`${ROOT}README.md`, 'utf8');
    const documented = new Set([...readme.matchAll(/^\| `((?:GET|POST) \/[a-z0-9/.]*)` \|/gm)].map((match) => match[1]));
    assert.deepEqual([...documented].sort(), ROUTES.map((route) => route.key).sort());
  });

  it('two `scale +1` at once make two more workers (no read-modify-write in the CLI)', async () => {
    const port = await freePort();
    const drover = new DroverProcess(['run', example('hello/server.js'), '-i', '1', '--name', 'grows'], { env: { PORT: String(port) } });
    await drover.waitUntilListening();
    const [a, b] = await Promise.all([runDrover(['scale', 'grows', '+1']), runDrover(['scale', 'grows', '+1'])]);
    assert.equal(a.code, 0, a.output);
    assert.equal(b.code, 0, b.output);
    assert.deepEqual([a.stdout, b.stdout].sort(), ['grows: scaled from 1 to 2 worker(s)\n', 'grows: scaled from 2 to 3 worker(s)\n']);
    const status = await callSupervisor(`${DROVER_HOME}/sockets/grows.sock`, 'GET /v1/status');
    assert.equal(status.workers.length, 3);
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
  });

  it('GET /v1/ready?wait= holds the answer until the app is up', async () => {
    const port = await freePort();
    const drover = new DroverProcess(['run', 'test/fixtures/apps/slotted.cjs', '-i', '2', '--name', 'slow-up'], {
      env: { PORT: String(port), STATE_DIR: ROOT, START_DELAY: '600' },
    });
    const socket = `${DROVER_HOME}/sockets/slow-up.sock`;
    await drover.waitForOutput(/slow-up: 2 workers: -i 2/);
    let readiness;
    for (let i = 0; i < 50 && readiness === undefined; i++) {
      readiness = await callSupervisor(socket, 'GET /v1/ready', { query: { wait: 10_000 }, timeoutMs: 12_000 }).catch(() => undefined);
      if (readiness === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.deepEqual(readiness, { state: 'up' });
    assert.match(drover.output, /2 workers listening/);
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
  });
});
