import { readFileSync } from 'node:fs';
import type http from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { SAMPLE_WINDOW_MS } from '../metrics/samples.js';
import type { Supervisor } from '../supervisor/index.js';

// The web dashboard of the admin listener: a static page and a script of ours (the
// package's dashboard/ folder, served as they are: no build step), the chart library
// from its npm package (uPlot), and the live feed the page draws from, over
// Server-Sent Events.

/** A file the dashboard serves: its content type and where it is. */
interface Asset {
  contentType: string;
  path: () => string;
}

// dashboard/ sits at the package's root: two folders up from dist/admin/ (and from
// dist/cli/ in the bundled supervisor, whose import.meta.url is its own).
const ours = (file: string) => () => fileURLToPath(new URL(`../../dashboard/${file}`, import.meta.url));
// The chart library as its package ships it, wherever npm put it.
const fromPackage = (specifier: string) => () => createRequire(import.meta.url).resolve(specifier);

/** The page at / and its files under /assets/, by path; any other path is a 404. */
export const DASHBOARD_FILES: Readonly<Record<string, Asset>> = {
  '/': { contentType: 'text/html; charset=utf-8', path: ours('index.html') },
  '/assets/dashboard.js': { contentType: 'text/javascript; charset=utf-8', path: ours('dashboard.js') },
  '/assets/dashboard.css': { contentType: 'text/css; charset=utf-8', path: ours('dashboard.css') },
  '/assets/uplot.js': { contentType: 'text/javascript; charset=utf-8', path: fromPackage('uplot/dist/uPlot.iife.min.js') },
  '/assets/uplot.css': { contentType: 'text/css; charset=utf-8', path: fromPackage('uplot/dist/uPlot.min.css') },
};

/**
 * What the browser is told about every dashboard file: its own scripts and styles
 * only, talking to this listener only, never framed, no referrer (a URL could carry
 * the token once: see the listener), and nothing cached across a drover upgrade.
 */
export const DASHBOARD_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

// Read once, on first request: five small files (uPlot is about 50 KB).
const cache = new Map<string, string>();

/** A dashboard file's content type and text. */
export function dashboardFile(path: keyof typeof DASHBOARD_FILES): { contentType: string; body: string } {
  const asset = DASHBOARD_FILES[path]!;
  let body = cache.get(path);
  if (body === undefined) {
    body = readFileSync(asset.path(), 'utf8');
    cache.set(path, body);
  }
  return { contentType: asset.contentType, body };
}

/** Unsent bytes past which a slow reader of the live feed loses samples (counted, and told when it catches up). */
export const FEED_SAMPLE_BUFFER_BYTES = 256 * 1024;
/** Unsent bytes past which it loses timeline events too; the page reconnects to get them from the history. */
export const FEED_EVENT_BUFFER_BYTES = 1024 * 1024;
/** A comment this often keeps proxies and the browser from taking a quiet feed for a dead one. */
export const FEED_HEARTBEAT_MS = 15_000;

/**
 * The live feed (GET /v1/events), as Server-Sent Events: first `history` (the samples
 * and timeline events of the last 15 minutes), then a `sample` per worker per stats
 * interval and a `timeline` event as each happens, until the client goes or the
 * supervisor stops. Subscribed before anything is written: nothing falls between the
 * history and the live events.
 */
export function streamLive(supervisor: Supervisor, req: http.IncomingMessage, res: http.ServerResponse): void {
  // A feed may be quiet for long (stats off, no traffic): it is not an idle connection.
  req.socket.setTimeout(0);
  const live = supervisor.live;
  const dropped = { samples: 0, events: 0 };
  const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  const open = () => !res.writableEnded && !res.destroyed;
  const catchUp = () => {
    if (dropped.samples === 0 && dropped.events === 0) return;
    send('dropped', dropped);
    dropped.samples = dropped.events = 0;
  };
  const unfollow = live.follow(
    (sample) => {
      if (!open()) return;
      if (res.writableLength > FEED_SAMPLE_BUFFER_BYTES) return void (dropped.samples += 1);
      catchUp();
      send('sample', sample);
    },
    (event) => {
      if (!open()) return;
      if (res.writableLength > FEED_EVENT_BUFFER_BYTES) return void (dropped.events += 1);
      catchUp();
      send('timeline', event);
    },
  );
  const heartbeat = setInterval(() => {
    if (open() && res.writableLength <= FEED_SAMPLE_BUFFER_BYTES) res.write(': heartbeat\n\n');
  }, FEED_HEARTBEAT_MS);
  heartbeat.unref();
  res.on('close', () => {
    clearInterval(heartbeat);
    unfollow();
  });
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    // A proxy in front (nginx) must pass events on as they come.
    'x-accel-buffering': 'no',
  });
  const now = Date.now();
  res.write('retry: 3000\n\n');
  send('history', {
    app: supervisor.app.name,
    now,
    windowMs: SAMPLE_WINDOW_MS,
    statsIntervalMs: supervisor.app.stats_interval,
    feeds: live.followers(),
    samples: live.samples(),
    events: live.events(now - SAMPLE_WINDOW_MS),
  });
}
