import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { detectContainer } from '../../src/capacity/index.js';
import { callSupervisor } from '../../src/control/client.js';
import { DROVER_HOME, DroverProcess, example, fixture, scratchDir, sleep } from '../helpers/drover-process.js';
import { freePort, get } from '../helpers/http.js';

// Container mode: detected (or `--container`), a shutdown_delay between SIGTERM and the
// drain during which the app still serves but is no longer ready, and JSON log lines.

/** A fake "/" holding the files detection looks at. */
function root(files: Record<string, string> = {}): string {
  const dir = scratchDir('container-root');
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(`${dir}/${file.split('/').slice(0, -1).join('/')}`, { recursive: true });
    writeFileSync(`${dir}/${file}`, text);
  }
  return dir;
}

describe('container detection', () => {
  it('names what gave it away, most specific first; nothing on a plain host', () => {
    const plain = root({ 'proc/self/cgroup': '0::/user.slice/user-1000.slice/session-2.scope\n' });
    assert.equal(detectContainer({ root: plain, env: {}, pid: 4242 }), undefined);
    assert.deepEqual(detectContainer({ root: plain, env: { KUBERNETES_SERVICE_HOST: '10.0.0.1' }, pid: 1 }), {
      runtime: 'Kubernetes',
      evidence: 'KUBERNETES_SERVICE_HOST is set',
    });
    assert.deepEqual(detectContainer({ root: root({ '.dockerenv': '' }), env: {}, pid: 7 }), { runtime: 'docker', evidence: '/.dockerenv exists' });
    assert.deepEqual(detectContainer({ root: root({ 'run/.containerenv': '' }), env: {}, pid: 7 }), { runtime: 'podman', evidence: '/run/.containerenv exists' });
    const v1 = root({ 'proc/self/cgroup': '12:cpu,cpuacct:/kubepods/burstable/pod1234/abcd\n' });
    assert.equal(detectContainer({ root: v1, env: {}, pid: 7 })?.runtime, 'Kubernetes');
    assert.deepEqual(detectContainer({ root: plain, env: {}, pid: 1 }), { runtime: 'a container (PID 1)', evidence: 'drover is PID 1' });
    // Said outright, either way.
    assert.equal(detectContainer({ root: root({ '.dockerenv': '' }), env: { DROVER_CONTAINER: '0' }, pid: 1 }), undefined);
    assert.equal(detectContainer({ root: plain, env: { DROVER_CONTAINER: '1' }, pid: 7 })?.evidence, 'DROVER_CONTAINER=1');
  });
});

describe('container mode', () => {
  it('on SIGTERM: not ready at once, still serving through shutdown_delay, then the drain; JSON lines; one start line with the grace period', async () => {
    const port = await freePort();
    const drover = new DroverProcess(['run', fixture('talker.cjs'), '-i', '2', '--name', 'boxed', '--shutdown-delay', '1500'], {
      env: { PORT: String(port), DROVER_CONTAINER: '1' },
    });
    await drover.waitForOutput(/"msg":"2 workers listening on/);
    const records = () =>
      drover.stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    const start = records();
    const mode = start.find((record) => String(record.msg).startsWith('container mode'));
    assert.match(
      String(mode?.msg),
      /^container mode \(detected a container: DROVER_CONTAINER=1\): on SIGTERM drover keeps serving for shutdown_delay 1\.5 s while endpoints are removed, then drains for at most kill_timeout 5 s: give it a grace period of at least 12 s, 5 s of it for drover to exit \(Kubernetes'/,
    );
    // Whether clustering in here is advised, as drover doctor says it.
    assert.match(String(mode?.msg), /; 2 workers share this container's CPUs; drover doctor shows why, drover bench whether it pays$/);
    assert.equal(mode?.app, 'boxed');
    assert.equal(mode?.stream, 'drover');
    await sleep(200);
    // The workers' own lines are JSON records too.
    const worker = records().find((record) => record.stream === 'out');
    assert.match(String(worker?.msg), /^out [01] \d+$/);

    drover.signal('SIGTERM');
    await sleep(300);
    const socket = `${DROVER_HOME}/sockets/boxed.sock`;
    assert.deepEqual(await callSupervisor(socket, 'GET /v1/ready'), { state: 'stopping' });
    // Inside the delay a new connection is still answered.
    const during = await get(`http://127.0.0.1:${port}/`, { agent: new http.Agent({ keepAlive: false }) });
    assert.equal(during.status, 200);
    assert.doesNotMatch(drover.stdout, /drained/);
    const exit = await drover.exited;
    assert.equal(exit.code, 0);
    assert.match(drover.stdout, /serving for shutdown_delay 1\.5 s \(not ready any more\), then draining 2 worker\(s\)/);
  });

  it('off where DROVER_CONTAINER=0; Ctrl-C (SIGINT) drains at once; a second signal during the delay stops at once', async () => {
    const port = await freePort();
    const plain = new DroverProcess(['run', example('hello/server.js'), '-i', '1', '--name', 'host'], { env: { PORT: String(port), DROVER_CONTAINER: '0' } });
    await plain.waitUntilListening();
    assert.doesNotMatch(plain.stdout, /container mode/);
    plain.signal('SIGTERM');
    assert.equal((await plain.exited).code, 0);

    const interactive = new DroverProcess(['run', example('hello/server.js'), '-i', '1', '--name', 'boxed1', '--container'], { env: { PORT: String(port) } });
    await interactive.waitForOutput(/container mode \(container: true\).*shutdown_delay 5 s/);
    interactive.signal('SIGINT');
    assert.equal((await interactive.exited).code, 0);
    assert.match(interactive.stdout, /"msg":"SIGINT received: draining 1 worker\(s\)/);

    const boxed = new DroverProcess(['run', example('hello/server.js'), '-i', '1', '--name', 'boxed2', '--container'], { env: { PORT: String(port), DROVER_CONTAINER: '0' } });
    await boxed.waitForOutput(/container mode \(container: true\).*shutdown_delay 5 s/);
    boxed.signal('SIGTERM');
    await sleep(300);
    boxed.signal('SIGTERM');
    const exit = await boxed.exited;
    assert.notEqual(exit.code, null);
    assert.equal(boxed.groupPids().length, 0, 'nothing left');
  });
});
