import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DroverProcess, example } from '../helpers/drover-process.js';
import { freePort, get } from '../helpers/http.js';

// Every bundled example runs unchanged under drover with 2 workers, each answering
// with its own pid.

const cases = [
  { name: 'plain http (CommonJS)', args: [example('hello/server.js')] },
  { name: 'Express (CommonJS)', args: [example('express/server.js')], field: 'framework' },
  { name: 'ES module with top-level await', args: [example('esm/server.mjs')], field: 'module' },
  { name: 'TypeScript (tsx found and added by drover)', args: [example('typescript/server.ts')], field: 'language' },
];

describe('examples', () => {
  for (const { name, args, field } of cases) {
    it(`${name}: 2 workers answer with their pids`, async () => {
      const port = await freePort();
      const drover = new DroverProcess(['run', ...args, '-i', '2'], { env: { PORT: String(port) } });
      await drover.waitUntilListening(15_000);
      const pids = new Set<number>();
      for (let i = 0; i < 20 && pids.size < 2; i++) {
        const answer = (await get(`http://127.0.0.1:${port}/`)).json<{ pid: number }>();
        if (field) assert.ok(field in answer, `answer has "${field}"`);
        pids.add(answer.pid);
      }
      assert.equal(pids.size, 2);
      drover.signal('SIGTERM');
      assert.equal((await drover.exited).code, 0);
    });
  }
});
