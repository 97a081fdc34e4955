import assert from 'node:assert/strict';
import { it } from 'node:test';
import { DroverProcess } from '../helpers/drover-process.js';
import { freePortRange, get } from '../helpers/http.js';

// An ecosystem file with two apps, run for real: a cluster app with 2 instances and
// increment_var PORT, and a fork-mode app, with --env production.

interface Answer {
  app: string;
  pid: number;
  port: number;
  instance: string;
  nodeEnv: string;
  greeting?: string;
  args: string[];
}

it('starts both apps with the right env, ports and counts', async () => {
  const base = await freePortRange([0, 1, 10]);
  const drover = new DroverProcess(['run', 'test/fixtures/config/e2e/ecosystem.config.js', '--env', 'production'], {
    env: { TEST_BASE_PORT: String(base) },
  });
  await drover.waitForOutput(/api: 2 workers (ready, )?listening/);
  await drover.waitForOutput(/jobs: 1 worker (ready, )?listening/);

  const api0 = (await get(`http://127.0.0.1:${base}/`)).json<Answer>();
  const api1 = (await get(`http://127.0.0.1:${base + 1}/`)).json<Answer>();
  const jobs = (await get(`http://127.0.0.1:${base + 10}/`)).json<Answer>();

  assert.deepEqual(
    [api0, api1].map((a) => [a.app, a.port, a.instance, a.nodeEnv, a.greeting]),
    [
      ['api', base, '0', 'production', 'hello from production'],
      ['api', base + 1, '1', 'production', 'hello from production'],
    ],
  );
  assert.notEqual(api0.pid, api1.pid);
  assert.deepEqual([jobs.app, jobs.port, jobs.instance, jobs.nodeEnv, jobs.args], ['jobs', base + 10, '0', 'production', ['--queue', 'mail']]);
  assert.match(drover.stdout, /api: 2 workers: instances: 2\n/);
  assert.match(drover.stdout, /jobs: 1 worker: PM2 default 1 \(fork mode\)/);

  drover.signal('SIGTERM');
  assert.deepEqual(await drover.exited, { code: 0, signal: null });
  assert.match(drover.stdout, /api: all workers drained; stopped/);
  assert.match(drover.stdout, /jobs: all workers drained; stopped/);
  assert.deepEqual(drover.groupPids(), []);
});
