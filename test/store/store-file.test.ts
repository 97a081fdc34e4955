import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import { it } from 'node:test';
import { DroverProcess, fixture, scratchDir } from '../helpers/drover-process.js';
import { freePort, get } from '../helpers/http.js';

// store_file: the embedded store outlives a restart of the supervisor (a real one,
// stopped with SIGTERM and started again from the same config file).

it('store_file: keys (and their ttl) survive a supervisor restart; the file is 0600', async () => {
  const dir = scratchDir('store-file');
  const port = await freePort();
  const config = `${dir}/drover.config.json`;
  writeFileSync(config, JSON.stringify({ apps: [{ name: 'kept', script: fixture('shared.cjs'), instances: 1, store_file: 'store.jsonl', env: { PORT: port } }] }));
  const call = async (path: string) => (await get(`http://127.0.0.1:${port}${path}`)).json<{ value?: unknown }>();
  const run = async () => {
    const drover = new DroverProcess(['run', config]);
    await drover.waitUntilListening(15_000);
    return drover;
  };

  const first = await run();
  await call('/set?key=user&value=ada');
  await call('/set?key=short&value=gone&ttl=300');
  await call('/incr?key=visits&n=3');
  first.signal('SIGTERM');
  assert.equal((await first.exited).code, 0);
  assert.equal(statSync(`${dir}/store.jsonl`).mode & 0o777, 0o600);

  await new Promise((resolve) => setTimeout(resolve, 400));
  const second = await run();
  try {
    assert.equal((await call('/get?key=user')).value, 'ada');
    assert.equal((await call('/get?key=visits')).value, 3);
    assert.equal((await call('/get?key=short')).value, undefined, 'expired while the supervisor was down');
  } finally {
    second.signal('SIGTERM');
    await second.exited;
  }
});
