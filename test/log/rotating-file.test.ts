import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { after, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { RotatingFile } from '../../src/log/rotating-file.js';
import { sleep, waitFor } from '../helpers/drover-process.js';

const dir = mkdtempSync(`${tmpdir()}/drover-rotating-`);
after(() => rmSync(dir, { recursive: true, force: true }));

it('rotates past the size, keeps log_retain files, and never splits a line', async () => {
  const file = new RotatingFile(`${dir}/app.log`, { maxSize: 100, daily: false, keep: 2 });
  for (let i = 0; i < 20; i++) file.write(`line ${String(i).padStart(2, '0')} ${'x'.repeat(20)}\n`);
  await file.end();
  assert.deepEqual(readdirSync(dir).sort(), ['app.log', 'app.log.1', 'app.log.2']);
  const kept = ['app.log.2', 'app.log.1', 'app.log'].map((name) => readFileSync(`${dir}/${name}`, 'utf8')).join('');
  const lines = kept.split('\n').filter(Boolean);
  assert.ok(lines.every((line) => /^line \d\d x{20}$/.test(line)));
  // The newest lines, in order, with nothing missing between the files kept.
  const numbers = lines.map((line) => Number(line.slice(5, 7)));
  assert.deepEqual(numbers, Array.from({ length: numbers.length }, (_, i) => 20 - numbers.length + i));
});

it('log_compress: rotated files are gzipped, also when rotations come faster than gzip', async () => {
  const sub = mkdtempSync(`${dir}/gz-`);
  const file = new RotatingFile(`${sub}/app.log`, { maxSize: 100, daily: false, keep: 3, compress: true });
  // All in one tick: every rotation happens while the earlier files are still being gzipped.
  for (let i = 0; i < 40; i++) file.write(`line ${String(i).padStart(2, '0')} ${'x'.repeat(20)}\n`);
  await file.end();
  assert.deepEqual(readdirSync(sub).sort(), ['app.log', 'app.log.1.gz', 'app.log.2.gz', 'app.log.3.gz']);
  const kept = ['app.log.3.gz', 'app.log.2.gz', 'app.log.1.gz']
    .map((name) => gunzipSync(readFileSync(`${sub}/${name}`)).toString('utf8'))
    .concat(readFileSync(`${sub}/app.log`, 'utf8'))
    .join('');
  const numbers = kept
    .split('\n')
    .filter(Boolean)
    .map((line) => Number(line.slice(5, 7)));
  assert.deepEqual(numbers, Array.from({ length: numbers.length }, (_, i) => 40 - numbers.length + i), 'the newest lines, in order, none missing');
});

it('log_compress: an archive that falls off the end while gzipping takes nothing else with it', async () => {
  const sub = mkdtempSync(`${dir}/gz-race-`);
  const file = new RotatingFile(`${sub}/app.log`, { maxSize: undefined, daily: false, keep: 2, compress: true });
  // A: big and hard to compress, so that its gzip is still running at C.
  file.write(`${randomBytes(6 * 1024 * 1024).toString('base64').replace(/(.{100})/g, '$1\n')}\nend of A\n`);
  file.rotate();
  file.write('B\n');
  file.rotate();
  await waitFor(() => existsSync(`${sub}/app.log.1.gz`) && !existsSync(`${sub}/app.log.1`), 5000, "B's gzip");
  assert.ok(existsSync(`${sub}/app.log.2`), "A's gzip still running when C comes (else this test proves nothing)");
  file.write('C\n');
  file.rotate();
  file.write('D\n');
  await file.end();
  assert.deepEqual(readdirSync(sub).sort(), ['app.log', 'app.log.1.gz', 'app.log.2.gz']);
  assert.equal(gunzipSync(readFileSync(`${sub}/app.log.2.gz`)).toString('utf8'), 'B\n');
  assert.equal(gunzipSync(readFileSync(`${sub}/app.log.1.gz`)).toString('utf8'), 'C\n');
  assert.equal(readFileSync(`${sub}/app.log`, 'utf8'), 'D\n');
});

it('a file that cannot be written drops lines, says so once, and writes again once it can, with the count', async () => {
  const problems: string[] = [];
  // /dev/full fails every write with ENOSPC: a full disk. (Recovery, with a real full
  // disk that is freed again, is tested end to end in test/supervisor/full-disk.test.ts.)
  const file = new RotatingFile('/dev/full', { maxSize: undefined, daily: false, keep: 1 }, (message) => problems.push(message));
  file.write('first\n');
  await waitFor(() => problems.length === 1, 2000, 'the failure report');
  assert.equal(problems[0], 'cannot write /dev/full (ENOSPC); its lines are dropped until it can be written again (tried every 1 s)');
  for (let i = 0; i < 5; i++) file.write(`dropped ${i}\n`);
  await sleep(1100);
  file.write('still full\n');
  await sleep(100);
  assert.equal(problems.length, 1, 'reported once, however many lines fail');
  await file.end();
});

it('a rotation that fails is reported once, and the current file goes on', async () => {
  const sub = mkdtempSync(`${dir}/no-rotate-`);
  const problems: string[] = [];
  // app.log.1 is a folder: the rename onto it fails.
  mkdirSync(`${sub}/app.log.1`);
  writeFileSync(`${sub}/app.log.1/keep`, '');
  const file = new RotatingFile(`${sub}/app.log`, { maxSize: 30, daily: false, keep: 1 }, (message) => problems.push(message));
  for (let i = 0; i < 6; i++) file.write(`line ${i} ${'x'.repeat(12)}\n`);
  await file.end();
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /^cannot rotate .*app\.log \([A-Z_]+\); writing on in the current file, and trying again at the next rotation$/);
  assert.equal(readFileSync(`${sub}/app.log`, 'utf8').split('\n').filter(Boolean).length, 6);
});
