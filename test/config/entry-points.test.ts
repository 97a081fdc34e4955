import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { describe, it } from 'node:test';
import { DroverProcess, fixture, runDrover } from '../helpers/drover-process.js';
import { freePort, get } from '../helpers/http.js';

// Scripts without a Node.js extension are decided by their content: a #! line that
// runs node is a Node.js script (express-generator's bin/www); another #! line or a
// binary runs by itself, in fork mode, as under PM2.

describe('entry points without an extension', () => {
  it("express-generator's bin/www runs clustered", async () => {
    const port = await freePort();
    const drover = new DroverProcess(['run', fixture('express-generator/bin/www'), '-i', '2'], { env: { PORT: String(port) } });
    await drover.waitUntilListening(15_000);
    const pids = new Set<number>();
    for (let i = 0; i < 20 && pids.size < 2; i++) {
      const answer = (await get(`http://127.0.0.1:${port}/`)).json<{ pid: number; from: string }>();
      assert.equal(answer.from, 'bin/www');
      pids.add(answer.pid);
    }
    assert.equal(pids.size, 2);
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
  });

  it('a shell script runs by itself (interpreter none), in fork mode, as PM2 runs it', async () => {
    const result = await runDrover(['config', fixture('express-generator/bin/backup'), '--json']);
    assert.equal(result.code, 0, result.stderr);
    const { app } = (JSON.parse(result.stdout) as { apps: { app: Record<string, unknown> }[] }).apps[0]!;
    assert.deepEqual([app.script, app.interpreter, app.exec_mode, app.instances], [fixture('express-generator/bin/backup'), 'none', 'fork', 1]);
  });

  it('a binary runs by itself; asking cluster mode for it is refused, saying why', async () => {
    const sh = realpathSync('/bin/sh');
    const config = await runDrover(['config', sh, '--json']);
    assert.equal((JSON.parse(config.stdout) as { apps: { app: { interpreter: string } }[] }).apps[0]!.app.interpreter, 'none');
    const result = await runDrover(['run', sh, '--exec-mode', 'cluster']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--exec-mode: cluster mode runs Node.js apps only .* runs by itself; set it to 'fork' or leave it out \[DROVER_E_INVALID_OPTION\]\n$/);
  });
});
