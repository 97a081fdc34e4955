import assert from 'node:assert/strict';
import { it } from 'node:test';
import { DroverProcess, ROOT, fixture } from '../helpers/drover-process.js';
import { freePort, get } from '../helpers/http.js';

// The app runs as it would under plain node: it is the main module, gets its own
// arguments after --, the --env variables, the --cwd, and NODE_APP_INSTANCE.

it('passes app arguments, --env, --cwd and DROVER_INSTANCES through unchanged', async () => {
  const port = await freePort();
  const drover = new DroverProcess(
    ['run', 'echo-args.cjs', '--cwd', 'test/fixtures/apps', '--name', 'echo', '--env', 'GREETING=hi there', '--', '--flag', 'value'],
    { env: { PORT: String(port), DROVER_INSTANCES: '1' } },
  );
  await drover.waitUntilListening();
  const answer = (await get(`http://127.0.0.1:${port}/`)).json();
  assert.deepEqual(answer, {
    args: ['--flag', 'value'],
    argv1: fixture('echo-args.cjs'),
    greeting: 'hi there',
    instance: '0',
    app: 'echo',
    cwd: `${ROOT}test/fixtures/apps`,
    isMain: true,
  });
  assert.match(drover.stdout, /echo: 1 worker: DROVER_INSTANCES=1/);
  drover.signal('SIGTERM');
  assert.equal((await drover.exited).code, 0);
});
