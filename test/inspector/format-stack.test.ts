import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { captureStack, describeCapture, describeFrames } from '../../dist/inspector/index.js';
import { RUNTIME_BUNDLE } from '../../dist/worker/preload.js';

const frame = (functionName: string, url: string, line: number) => ({ functionName, url, line, column: 1 });

describe('describing a hung stack', () => {
  it('names the app frames innermost first, relative to the cwd, without Node or drover frames, three at most', () => {
    const frames = [
      frame('spin', pathToFileURL('/srv/api/lib/work.js').href, 12),
      frame('emit', 'node:events', 519),
      frame('', pathToFileURL('/srv/api/app.js').href, 40),
      frame('e.emit', pathToFileURL(RUNTIME_BUNDLE).href, 2),
      frame('route', pathToFileURL('/opt/shared/router.js').href, 7),
      frame('main', pathToFileURL('/srv/api/app.js').href, 90),
      frame('processTimers', 'node:internal/timers', 519),
    ];
    assert.equal(describeFrames(frames, '/srv/api'), 'spin (lib/work.js:12) <- (anonymous) (app.js:40) <- route (/opt/shared/router.js:7)');
  });

  it("keeps Node's frames when they are all there is", () => {
    assert.equal(describeFrames([frame('processTimers', 'node:internal/timers', 519)], '/srv'), 'processTimers (node:internal/timers:519)');
  });

  it('says why there is no stack', () => {
    assert.equal(describeCapture({ ok: false, why: 'it has exited', ms: 3 }, '/srv'), 'no stack: it has exited');
  });

  it('gives up at its time limit, without throwing, when the inspector never opens', async () => {
    const capture = await captureStack(() => new Promise(() => undefined), 50);
    assert.deepEqual({ ok: capture.ok, why: capture.ok ? '' : capture.why }, { ok: false, why: 'no stack within 50 ms' });
  });

  it('reports a refused connection', async () => {
    const capture = await captureStack(async () => 'ws://127.0.0.1:1/nothing', 1000);
    assert.equal(capture.ok, false);
    assert.match(capture.ok ? '' : capture.why, /ECONNREFUSED/);
  });

  it('refuses an address that is not on loopback', async () => {
    const capture = await captureStack(async () => 'ws://192.0.2.1:9229/x', 1000);
    assert.match(capture.ok ? '' : capture.why, /not a loopback ws:\/\/ address/);
  });
});
