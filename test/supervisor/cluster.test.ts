import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, it } from 'node:test';
import { DroverProcess, example, fixture, isAlive, processGroupMembers, sleep, waitFor } from '../helpers/drover-process.js';
import { freePort, get } from '../helpers/http.js';

// The supervisor end to end: the real CLI, real workers, real HTTP on 127.0.0.1.

interface Answer {
  pid: number;
  instance: string;
}

async function startHello(workers: number, extra: string[] = []) {
  const port = await freePort();
  const drover = new DroverProcess(['run', example('hello/server.js'), '-i', String(workers), '--name', 'hello', ...extra], {
    env: { PORT: String(port) },
  });
  await drover.waitUntilListening();
  return { drover, url: `http://127.0.0.1:${port}` };
}

describe('drover run -i 2', () => {
  it('answers from 2 distinct pids on one port, with NODE_APP_INSTANCE 0 and 1', async () => {
    const { drover, url } = await startHello(2);
    const answers = await Promise.all(Array.from({ length: 20 }, () => get(`${url}/`).then((r) => r.json<Answer>())));
    const pids = new Set(answers.map((a) => a.pid));
    const instances = new Set(answers.map((a) => a.instance));
    assert.equal(pids.size, 2, `expected 2 pids, got ${[...pids].join(', ')}`);
    assert.deepEqual([...instances].sort(), ['0', '1']);
    assert.ok(!pids.has(drover.pid), 'the supervisor itself does not serve');
    assert.match(drover.stdout, /hello: 2 workers: -i 2/);

    drover.signal('SIGTERM');
    assert.deepEqual(await drover.exited, { code: 0, signal: null });
  });

  it('replaces a worker killed with SIGKILL in the same slot while the other keeps serving', async () => {
    const { drover, url } = await startHello(2);
    const seen = new Map<string, Set<number>>();
    let failures = 0;
    let stop = false;
    const timeline: { at: number; answer: Answer }[] = [];
    // Light load: one request at a time, a new connection each, until told to stop.
    const load = (async () => {
      while (!stop) {
        try {
          // Short: a connection node:cluster had just handed to the killed worker is lost.
          const answer = (await get(`${url}/`, { timeoutMs: 1000 })).json<Answer>();
          timeline.push({ at: Date.now(), answer });
          if (!seen.has(answer.instance)) seen.set(answer.instance, new Set());
          seen.get(answer.instance)!.add(answer.pid);
        } catch {
          failures += 1;
        }
        await sleep(10);
      }
    })();
    let victim = 0;
    let survivor = 0;
    let killedAt = 0;
    try {
      await waitFor(() => seen.get('0')?.size === 1 && seen.get('1')?.size === 1, 5000, 'both workers to answer');
      victim = [...seen.get('0')!][0]!;
      survivor = [...seen.get('1')!][0]!;
      killedAt = Date.now();
      process.kill(victim, 'SIGKILL');
      await waitFor(() => (seen.get('0')?.size ?? 0) === 2, 10_000, 'a new worker in slot 0');
    } finally {
      stop = true;
      await load;
    }

    const replacement = [...seen.get('0')!].find((pid) => pid !== victim)!;
    assert.notEqual(replacement, victim);
    assert.ok(!isAlive(victim), 'the killed worker is gone');
    assert.deepEqual([...seen.get('1')!], [survivor], 'slot 1 kept its pid throughout');
    const servedBySurvivorAfterKill = timeline.filter((t) => t.at > killedAt && t.answer.pid === survivor).length;
    assert.ok(servedBySurvivorAfterKill > 0, 'the other worker kept serving');
    // A connection already handed to the dying worker can be lost; nothing more.
    assert.ok(failures <= 2, `failed requests: ${failures}`);
    assert.match(drover.stderr, new RegExp(`worker 0 \\(pid ${victim}\\) crashed with signal SIGKILL`));

    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
  });

  it('drains on SIGTERM: 20 slow requests in flight all complete with 200, exit 0, no process left', async () => {
    const { drover, url } = await startHello(2);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 20 });
    const requests = Array.from({ length: 20 }, () => get(`${url}/slow?ms=1000`, { agent }));
    await sleep(300);
    drover.signal('SIGTERM');
    const replies = await Promise.all(requests);
    agent.destroy();

    assert.deepEqual(replies.map((r) => r.status), Array(20).fill(200));
    // Responses finished while draining tell the client to close the kept-alive connection.
    assert.ok(replies.every((r) => r.headers.connection === 'close'), 'each response carried Connection: close');
    assert.deepEqual(await drover.exited, { code: 0, signal: null });
    assert.match(drover.stdout, /SIGTERM received: draining 2 worker/);
    await waitFor(() => processGroupMembers(drover.pid).length === 0, 3000, 'no process left in the group');
  });

  it('serves a request sent on an idle keep-alive connection during the drain, with Connection: close', async () => {
    const { drover, url } = await startHello(1);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const first = await get(`${url}/`, { agent });
    assert.equal(first.headers.connection, 'keep-alive');
    // Keeps the worker draining while the idle connection is reused.
    const slow = get(`${url}/slow?ms=800`);
    await sleep(100);
    drover.signal('SIGTERM');
    await drover.waitForOutput(/SIGTERM received/);
    const second = await get(`${url}/`, { agent });
    agent.destroy();
    assert.equal(second.status, 200);
    assert.equal(second.headers.connection, 'close');
    assert.equal(second.json<Answer>().pid, first.json<Answer>().pid, 'the same worker answered on the same connection');
    assert.equal((await slow).status, 200);
    assert.deepEqual(await drover.exited, { code: 0, signal: null });
  });

  it('kills a worker still draining at kill_timeout and exits non-zero, saying so', async () => {
    const { drover, url } = await startHello(1, ['--kill-timeout', '500']);
    const slow = get(`${url}/slow?ms=5000`).catch((error: Error) => error);
    await sleep(200);
    drover.signal('SIGTERM');
    const exit = await drover.exited;
    assert.equal(exit.code, 1);
    assert.ok((await slow) instanceof Error, 'the cut request fails');
    assert.match(drover.stderr, /worker 0 \(pid \d+\) still draining at kill_timeout: killed \(1 request\(s\) in flight/);
    assert.match(drover.stderr, /DROVER_E_SHUTDOWN_FORCED/);
  });

  it('a second signal forces the stop', async () => {
    const { drover, url } = await startHello(1);
    const slow = get(`${url}/slow?ms=5000`).catch((error: Error) => error);
    await sleep(200);
    drover.signal('SIGINT');
    await drover.waitForOutput(/SIGINT received/);
    drover.signal('SIGINT');
    const exit = await drover.exited;
    assert.equal(exit.code, 1);
    assert.ok((await slow) instanceof Error);
    assert.match(drover.stderr, /killed by a second signal/);
  });

  it('leaves no worker behind when the supervisor is SIGKILLed', async () => {
    const { drover, url } = await startHello(2);
    const pids = new Set<number>();
    while (pids.size < 2) pids.add((await get(`${url}/`)).json<Answer>().pid);
    drover.signal('SIGKILL');
    await drover.exited;
    await waitFor(() => [...pids].every((pid) => !isAlive(pid)), 5000, 'the workers to notice the lost supervisor and exit');
    assert.deepEqual(processGroupMembers(drover.pid), []);
  });
});

describe('restart policy', () => {
  it('stops a crash loop with one message naming the exit code and the last stderr lines', async () => {
    const port = await freePort();
    const drover = new DroverProcess(['run', fixture('listens-then-crashes.cjs'), '-i', '2', '--max-restarts', '4'], {
      env: { PORT: String(port) },
    });
    const exit = await drover.exited;
    assert.equal(exit.code, 3);
    const crashes = drover.stderr.match(/ crashed with exit code 1/g) ?? [];
    // 4 restarts allowed, the 5th crash in a row stops it; the other slot's last
    // worker may crash once more before everything is down.
    assert.ok(crashes.length >= 5 && crashes.length <= 6, `crash lines: ${crashes.length}`);
    const message = drover.stderr.split('\n').filter((line) => line.includes('DROVER_E_CRASH_LOOP'));
    assert.equal(message.length, 1, 'one crash-loop message');
    assert.match(message[0]!, /crash loop: 5 crashes in a row within min_uptime \(1 s\) of start; last: worker \d \(pid \d+\) exit code 1 after/);
    assert.match(drover.stderr, /last stderr lines of worker \d \(pid \d+\):\n {2}\| fixture: fatal state reached, exiting 1/);
    assert.deepEqual(processGroupMembers(drover.pid), []);
  });

  it('backs off between restarts instead of fork-storming', async () => {
    const port = await freePort();
    const drover = new DroverProcess(['run', fixture('listens-then-crashes.cjs'), '-i', '1', '--max-restarts', '3'], {
      env: { PORT: String(port) },
    });
    await drover.exited;
    const delays = [...drover.stderr.matchAll(/restarting in (\d+) ms/g)].map((m) => Number(m[1]));
    assert.deepEqual(delays, [100, 150, 225]);
  });
});
