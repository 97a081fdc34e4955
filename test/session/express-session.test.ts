import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, it } from 'node:test';
import { CookieJar } from 'tough-cookie';
import { DroverProcess, ROOT, scratchDir } from '../helpers/drover-process.js';
import { freePort } from '../helpers/http.js';
import { startRedis } from '../helpers/redis.js';

// Real express + express-session with drover's SessionStore, 2 workers, a client with a
// cookie jar: logged in on one worker, the session is seen on every worker, and after
// a rolling reload; on the embedded store, on a real redis-server, and shared by two
// supervisors ("two hosts") on one Redis.

const APP = `${ROOT}test/fixtures/frameworks/express-session.cjs`;

/** GET with the jar's cookies, keeping those the answer sets. */
function getWithJar(jar: CookieJar, url: string): Promise<{ pid: number; user?: string | null }> {
  return new Promise((resolve, reject) => {
    const headers = { cookie: jar.getCookieStringSync(url) };
    const req = http.get(url, { headers, agent: new http.Agent({ keepAlive: false }) }, (res) => {
      for (const cookie of res.headers['set-cookie'] ?? []) jar.setCookieSync(cookie, url);
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(JSON.parse(body) as { pid: number; user?: string | null }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
  });
}

async function startApp(env: Record<string, string> = {}, app = APP) {
  const port = await freePort();
  const drover = new DroverProcess(['run', app, '-i', '2', '--name', 'sessions'], { env: { PORT: String(port), ...env } });
  await drover.waitUntilListening(15_000);
  return { drover, url: `http://127.0.0.1:${port}` };
}

async function stop(drover: DroverProcess) {
  drover.signal('SIGTERM');
  assert.equal((await drover.exited).code, 0);
}

// Ten requests on ten connections: round-robin spreads them over both workers.
async function whoAmI(jar: CookieJar, url: string) {
  const answers = [];
  for (let i = 0; i < 10; i++) answers.push(await getWithJar(jar, `${url}/me`));
  return { users: new Set(answers.map((answer) => answer.user)), pids: new Set(answers.map((answer) => answer.pid)) };
}

for (const backend of ['embedded', 'redis'] as const) {
  describe(`express-session with SessionStore, ${backend}`, () => {
    it('logged in on one worker: the session is seen on every worker across 10 requests, and after a rolling reload', async () => {
      const redis = backend === 'redis' ? await startRedis() : undefined;
      const { drover, url } = await startApp(redis ? { DROVER_REDIS_URL: redis.url } : {});
      try {
        const jar = new CookieJar();
        await getWithJar(jar, `${url}/login`);
        const before = await whoAmI(jar, url);
        assert.deepEqual([...before.users], ['ada'], 'every request saw the session');
        assert.equal(before.pids.size, 2, 'on both workers');

        drover.signal('SIGUSR2');
        await drover.waitForOutput(/reload done/, 20_000);
        const after = await whoAmI(jar, url);
        assert.deepEqual([...after.users], ['ada'], 'still logged in after the reload');
        assert.equal(after.pids.size, 2);
        assert.equal([...after.pids].filter((pid) => before.pids.has(pid)).length, 0, 'served by the new workers');

        await getWithJar(jar, `${url}/logout`);
        assert.deepEqual([...(await whoAmI(jar, url)).users], [null], 'logged out on every worker');
      } finally {
        await stop(drover);
      }
    });
  });
}

describe('express-session with SessionStore, two supervisors on one Redis', () => {
  it('a session made behind one supervisor is seen behind the other ("two hosts"), and its logout too', async () => {
    const redis = await startRedis();
    const one = await startApp({ DROVER_REDIS_URL: redis.url });
    // The second "host": its own DROVER_HOME, so the same app name runs twice.
    const two = await startApp({ DROVER_REDIS_URL: redis.url, DROVER_HOME: scratchDir('host-two') });
    try {
      const jar = new CookieJar();
      await getWithJar(jar, `${one.url}/login`);
      // The cookie is for 127.0.0.1 whatever the port: both "hosts" get it.
      assert.deepEqual([...(await whoAmI(jar, two.url)).users], ['ada']);
      await getWithJar(jar, `${two.url}/logout`);
      assert.deepEqual([...(await whoAmI(jar, one.url)).users], [null]);
    } finally {
      await stop(one.drover);
      await stop(two.drover);
    }
  });
});

describe("Fastify's @fastify/session with SessionStore", () => {
  it('logged in on one worker: the session is seen on every worker, and its logout too', async () => {
    const { drover, url } = await startApp({}, `${ROOT}test/fixtures/frameworks/fastify-session.cjs`);
    try {
      const jar = new CookieJar();
      await getWithJar(jar, `${url}/login`);
      const seen = await whoAmI(jar, url);
      assert.deepEqual([...seen.users], ['ada'], 'every request saw the session');
      assert.equal(seen.pids.size, 2, 'on both workers');
      await getWithJar(jar, `${url}/logout`);
      assert.deepEqual([...(await whoAmI(jar, url)).users], [null], 'logged out on every worker');
    } finally {
      await stop(drover);
    }
  });
});
