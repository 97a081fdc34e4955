import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { after, it } from 'node:test';
import { DroverProcess, fixture, waitFor } from '../helpers/drover-process.js';
import { freePort, get } from '../helpers/http.js';

// 10 000 lines from 2 workers at full speed into one rotating log file, with a
// rotation and a rolling reload in the middle: every line is in the files exactly
// once, and none is split.

const dir = mkdtempSync(`${tmpdir()}/drover-rotation-`);
after(() => rmSync(dir, { recursive: true, force: true }));

// Plain lines, and gzipped rotations of JSON lines ({"ts","app","worker","pid","stream","msg"}).
const variants = [
  { title: 'plain lines', options: '', read: (text: string) => text },
  {
    title: 'JSON lines, rotated files gzipped',
    options: "log_type: 'json', log_compress: true, ",
    read: (text: string) =>
      text
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const record = JSON.parse(line) as { ts: string; app: string; worker: number; pid: number; stream: string; msg: string };
          assert.deepEqual([typeof record.ts, record.app, record.stream, typeof record.pid], ['string', 'chatty', 'out', 'number']);
          assert.match(record.msg, new RegExp(`^(line|done) w${record.worker}\\b`), 'the worker field names the worker that wrote it');
          return `${record.msg}\n`;
        })
        .join(''),
  },
];

for (const { title, options, read } of variants) it(`${title}: no line lost, duplicated or split across a rotation and a reload`, async () => {
  const port = await freePort();
  const config = `${dir}/drover.config.mjs`;
  rmSync(`${dir}/logs`, { recursive: true, force: true });
  writeFileSync(
    config,
    `export default { name: 'chatty', script: ${JSON.stringify(fixture('chatty.cjs'))}, instances: 2, ${options}` +
      `out_file: 'logs/out.log', merge_logs: true, log_max_size: '300K', log_retain: 5, env: { PORT: ${port} } };\n`,
  );
  const drover = new DroverProcess(['run', config]);
  await drover.waitUntilListening();
  const url = `http://127.0.0.1:${port}`;
  for (const slot of ['0', '1']) {
    for (let i = 0; i < 40 && (await get(`${url}/write?slot=${slot}&n=5000`)).status !== 200; i++);
  }
  const files = () => readdirSync(`${dir}/logs`).map((name) => `${dir}/logs/${name}`);
  // Files still being gzipped are read as they are; every count is checked once drover
  // has exited. While it runs, the file it writes may end in a line half written: that
  // part is left for a later look (a line really split at a rotation would still show,
  // as one lost from the counts below).
  const whole = (file: string, content: string) => (file.endsWith('/out.log') ? content.slice(0, content.lastIndexOf('\n') + 1) : content);
  const text = () =>
    read(
      files()
        .filter((file) => !file.endsWith('.gz') || !files().includes(file.slice(0, -3)))
        .map((file) => {
          try {
            return file.endsWith('.gz') ? gunzipSync(readFileSync(file)).toString('utf8') : whole(file, readFileSync(file, 'utf8'));
          } catch {
            return ''; // Gzipped and removed while we looked: counted on a later look.
          }
        })
        .join(''),
    );
  drover.signal('SIGUSR2');
  await drover.waitForOutput(/chatty: reload: replacing/);
  assert.ok((text().match(/^done w\d$/gm) ?? []).length < 2, 'the reload began while the workers were still writing');
  await drover.waitForOutput(/chatty: reload done/, 20_000);
  await waitFor(() => (text().match(/^done w\d$/gm) ?? []).length === 2, 20_000, 'both workers to finish writing');
  drover.signal('SIGTERM');
  assert.equal((await drover.exited).code, 0);

  assert.ok(files().length >= 2, `rotated: ${files().map((f) => f.slice(dir.length)).join(', ')}`);
  if (options.includes('log_compress')) {
    const rotated = files().filter((file) => !file.endsWith('/out.log'));
    assert.ok(rotated.every((file) => file.endsWith('.gz')), `every rotated file gzipped: ${rotated.map((f) => f.slice(dir.length)).join(', ')}`);
  }
  const lines = text().split('\n').filter(Boolean).filter((line) => line.startsWith('line '));
  const malformed = lines.filter((line) => !/^line w[01]-\d+ x{40}$/.test(line));
  assert.deepEqual(malformed, [], 'no split or merged line');
  const seen = new Map<string, number>();
  for (const line of lines) seen.set(line, (seen.get(line) ?? 0) + 1);
  assert.equal(lines.length, 10_000);
  assert.equal(seen.size, 10_000, 'every line exactly once');
});
