import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DroverProcess, fixture, runDrover } from '../helpers/drover-process.js';
import { freePort, get } from '../helpers/http.js';

// Scripts without a Node.js extension are decided by their content: a #! line that
// runs node is a Node.js script (express-generator's bin/www), anything else is
// refused with the reason.

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

  it('a shell script is refused, naming its interpreter', async () => {
    const result = await runDrover(['run', fixture('express-generator/bin/backup')]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /bin\/backup: .* its #! line runs \/bin\/sh, not node; run other programs with their own supervisor \[DROVER_E_UNSUPPORTED_SCRIPT\]\n$/);
  });

  it('a binary is refused', async () => {
    const result = await runDrover(['run', process.execPath]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /it is a binary file; .*\[DROVER_E_UNSUPPORTED_SCRIPT\]\n$/);
  });
});
