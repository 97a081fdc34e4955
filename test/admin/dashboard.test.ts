import assert from 'node:assert/strict';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type BrowserServer } from 'playwright-core';
import { DroverProcess, ROOT, example, isAlive, processGroupMembers, sleep, waitFor } from '../helpers/drover-process.js';
import { freePort, get } from '../helpers/http.js';
import { adminGet } from '../helpers/admin.js';

// The web dashboard of a real supervisor: its live feed read by a plain HTTP client,
// who may open it, and the page itself in a real headless Chromium (the OS package
// `chromium`), once for the file: the page loads, both workers' charts have points, a
// reload shows on the timeline, and a screenshot is kept in test-output/.

const TOKEN = 'dashboard-token-0123456789';
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path));
const OUTPUT = `${ROOT}test-output/`;

interface FeedEvent {
  event: string;
  data: unknown;
}

/** A Server-Sent Events reader over plain node:http: the events as they come, and a way to hang up. */
function openFeed(port: number, token: string): Promise<{ events: FeedEvent[]; status: number; close(): void }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/v1/events', headers: { authorization: `Bearer ${token}` }, agent: false }, (res) => {
      const events: FeedEvent[] = [];
      let buffer = '';
      res.setEncoding('utf8').on('data', (chunk: string) => {
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(frame)?.[1];
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (event !== undefined && data !== undefined) events.push({ event, data: JSON.parse(data) });
        }
      });
      res.on('error', () => {});
      resolve({ events, status: res.statusCode ?? 0, close: () => req.destroy() });
    });
    req.on('error', reject);
  });
}

type History = { feeds: number; windowMs: number; samples: { slot: number; pid: number; rps: number; p99: number | null; rss: number }[]; events: { kind: string }[] };

describe('dashboard', () => {
  let drover: DroverProcess;
  let port: number;
  let admin: number;

  before(async () => {
    [port, admin] = [await freePort(), await freePort()];
    drover = new DroverProcess(['run', example('hello/server.js'), '-i', '2', '--name', 'dash', '--admin-port', String(admin), '--stats-interval', '500'], {
      env: { PORT: String(port), DROVER_ADMIN_TOKEN: TOKEN },
    });
    await drover.waitUntilListening();
    // Some load, so that req/s and p99 have values.
    for (let batch = 0; batch < 30; batch++) await Promise.all(Array.from({ length: 10 }, () => get(`http://127.0.0.1:${port}/`)));
  });

  after(async () => {
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0, drover.output);
    assert.deepEqual(drover.groupPids(), []);
  });

  it('the live feed sends the history first, then samples of both workers; a feed that hangs up is dropped', async () => {
    const feed = await openFeed(admin, TOKEN);
    assert.equal(feed.status, 200);
    await waitFor(() => feed.events.length > 0, 5000, 'the history');
    assert.equal(feed.events[0]!.event, 'history');
    const history = feed.events[0]!.data as History;
    assert.equal(history.feeds, 1);
    assert.equal(history.windowMs, 15 * 60_000);
    assert.deepEqual([...new Set(history.samples.map((sample) => sample.slot))].sort(), [0, 1]);
    assert.ok(history.samples.some((sample) => sample.rps > 0 && sample.p99 !== null), 'the load shows in req/s and p99');
    assert.ok(history.events.some((event) => event.kind === 'listening'));
    // Then live samples, from both workers.
    const liveSlots = () => new Set(feed.events.filter((e) => e.event === 'sample').map((e) => (e.data as { slot: number }).slot));
    await waitFor(() => liveSlots().size === 2, 10_000, 'live samples from both workers');
    feed.close();
    // The supervisor forgets a feed whose client is gone: the next one is the only one.
    let feeds = 0;
    for (let i = 0; i < 50 && feeds !== 1; i++) {
      const next = await openFeed(admin, TOKEN);
      await waitFor(() => next.events.length > 0, 5000, 'the history');
      feeds = (next.events[0]!.data as History).feeds;
      next.close();
      if (feeds !== 1) await sleep(100);
    }
    assert.equal(feeds, 1);
  });

  it('asks for the token on the page, its files and its feed; a browser gets it once in the address, then as a cookie for GETs only', async () => {
    for (const path of ['/', '/assets/uplot.js', '/assets/dashboard.js', '/v1/events']) {
      assert.equal((await adminGet(admin, path)).status, 401, path);
      assert.equal((await adminGet(admin, path, 'wrong-token-0123456789')).status, 401, path);
    }
    assert.equal((await adminGet(admin, '/assets/nothing.js', TOKEN)).status, 404);
    assert.equal((await adminGet(admin, '/assets/../package.json', TOKEN)).status, 404);
    const uplot = await adminGet(admin, '/assets/uplot.js', TOKEN);
    assert.equal(uplot.status, 200);
    assert.match(uplot.headers['content-type'] ?? '', /^text\/javascript/);
    assert.match(uplot.body, /uPlot/);

    assert.equal((await adminGet(admin, '/?token=wrong-token-0123456789')).status, 401);
    const login = await adminGet(admin, `/?token=${TOKEN}`);
    assert.equal(login.status, 303);
    assert.equal(login.headers.location, '/');
    const cookie = login.headers['set-cookie']?.[0] ?? '';
    assert.match(cookie, new RegExp(`^drover_token_${admin}=${TOKEN}; Path=/; HttpOnly; SameSite=Strict$`));
    const pair = cookie.split(';')[0]!;
    const page = await request(admin, 'GET', '/', pair);
    assert.equal(page.status, 200);
    assert.match(page.body, /<script src="\/assets\/dashboard\.js">/);
    assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
    // The cookie reads; it changes nothing.
    assert.equal((await request(admin, 'POST', '/v1/reload', pair)).status, 401);
  });

  describe('in headless Chromium', { skip: CHROMIUM ? false : 'chromium is not installed (apt-get install chromium)' }, () => {
    let server: BrowserServer;
    let browser: Browser;
    let browserPid: number;

    before(async () => {
      server = await chromium.launchServer({ executablePath: CHROMIUM!, args: ['--no-sandbox'] });
      browserPid = server.process().pid!;
      browser = await chromium.connect(server.wsEndpoint());
    });

    after(async () => {
      await browser?.close();
      await server?.close();
      // No Chromium left behind: neither the browser nor any of its helpers.
      await waitFor(() => !isAlive(browserPid) && processGroupMembers(browserPid).length === 0, 10_000, 'Chromium to exit');
    });

    it('loads, draws both workers, and shows a reload on the timeline', async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      page.on('console', (message) => void (message.type() === 'error' && errors.push(message.text())));
      await page.goto(`http://127.0.0.1:${admin}/?token=${TOKEN}`);
      assert.equal(new URL(page.url()).search, '', 'the token left the address bar');
      await page.waitForFunction(() => (globalThis as unknown as { droverDashboard?: { connected: boolean } }).droverDashboard?.connected === true, undefined, { timeout: 10_000 });
      await page.waitForFunction(
        () => {
          const points = (globalThis as unknown as { droverDashboard: { points: Record<string, number> } }).droverDashboard.points;
          return (points['0'] ?? 0) >= 3 && (points['1'] ?? 0) >= 3;
        },
        undefined,
        { timeout: 15_000 },
      );
      assert.equal(await page.locator('.chart canvas').count(), 4);
      assert.match((await page.locator('.chart').first().textContent()) ?? '', /worker 0.*worker 1/s);

      // A rolling reload, as a user asks for one: it shows on the timeline, live.
      drover.signal('SIGUSR2');
      await page.locator('#timeline li[data-kind="reload-finished"]').first().waitFor({ timeout: 30_000 });
      assert.match((await page.locator('#timeline li[data-kind="reload-started"]').first().textContent()) ?? '', /reload of 2 worker\(s\)/);
      mkdirSync(OUTPUT, { recursive: true });
      await page.screenshot({ path: `${OUTPUT}dashboard.png`, fullPage: true });
      assert.ok(statSync(`${OUTPUT}dashboard.png`).size > 10_000);
      assert.deepEqual(errors, []);
      await page.close();
    });
  });
});

function request(port: number, method: string, path: string, cookie: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, headers: { cookie }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
