import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { DroverProcess, fixture, processGroupMembers, runDrover, scratchDir, sleep } from '../helpers/drover-process.js';
import { freePort, get } from '../helpers/http.js';
import { adminGet, samples, which } from '../helpers/admin.js';

// A real Prometheus server scrapes drover every second, and its HTTP API says what it
// stored: the exact sum of a counter that a prom-client app increments on both
// workers, through a rolling reload and a crash, never lower and never reset. One
// Prometheus for the whole file: it is the heavy part.

const PROMETHEUS = which('prometheus');
const APP = 'prom-shop';

describe('metrics as Prometheus stores them', { skip: PROMETHEUS ? false : 'the prometheus binary is not installed (apt-get install prometheus)' }, () => {
  let drover: DroverProcess;
  let prometheus: ChildProcess | undefined;
  let prometheusLog = '';
  let appPort: number;
  let adminPort: number;
  let apiPort: number;

  before(async () => {
    [appPort, adminPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    drover = new DroverProcess(['run', fixture('prom-app.cjs'), '-i', '2', '--name', APP, '--admin-port', String(adminPort)], { env: { PORT: String(appPort) } });
    await drover.waitUntilListening();
    const dir = scratchDir('prometheus');
    writeFileSync(
      `${dir}/prometheus.yml`,
      ['global:', '  scrape_interval: 1s', '  scrape_timeout: 900ms', 'scrape_configs:', '  - job_name: drover', '    static_configs:', `      - targets: ['127.0.0.1:${adminPort}']`, ''].join('\n'),
    );
    prometheus = spawn(
      PROMETHEUS!,
      [`--config.file=${dir}/prometheus.yml`, `--storage.tsdb.path=${dir}/data`, `--web.listen-address=127.0.0.1:${apiPort}`, '--log.level=warn'],
      { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus.stdout!.setEncoding('utf8').on('data', (chunk: string) => (prometheusLog += chunk));
    prometheus.stderr!.setEncoding('utf8').on('data', (chunk: string) => (prometheusLog += chunk));
    await until(async () => (await get(`http://127.0.0.1:${apiPort}/-/ready`).catch(() => undefined))?.status === 200, 'Prometheus to be ready');
  });

  after(async () => {
    // Prometheus runs in a process group of its own: nothing of it outlives the file.
    if (prometheus?.pid) {
      try {
        process.kill(-prometheus.pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    drover?.signal('SIGTERM');
    await drover?.exited;
  });

  // One PromQL value at the time of the query; undefined while there is none.
  async function query(promql: string): Promise<number | undefined> {
    const reply = await get(`http://127.0.0.1:${apiPort}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const result = (JSON.parse(reply.body) as { data: { result: { value: [number, string] }[] } }).data.result;
    return result.length === 0 ? undefined : Number(result[0]!.value[1]);
  }

  async function until(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\nPrometheus said:\n${prometheusLog}\ndrover said:\n${drover.output}`);
      await sleep(250);
    }
  }

  // Orders taken, and the pids of the workers that took them.
  async function order(count: number): Promise<Set<string>> {
    const pids = new Set<string>();
    for (let i = 0; i < count; i++) {
      const reply = await get(`http://127.0.0.1:${appPort}/order`);
      assert.equal(reply.status, 200);
      pids.add(reply.body.trim().split(' ')[1]!);
    }
    return pids;
  }

  const total = 'sum(shop_orders_total)';
  const storedIs = async (expected: number) => {
    try {
      await until(async () => (await query(total)) === expected, `${total} = ${expected} in Prometheus`);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n(it holds ${await query(total)})`);
    }
  };

  it('stores the exact sum of a counter both workers increment', async () => {
    const pids = await order(20);
    assert.equal(pids.size, 2, 'both workers took orders');
    await storedIs(20);
    assert.equal(await query(`drover_http_requests_total{app="${APP}"}`), 20);
    assert.equal(await query(`up{job="drover"}`), 1);
  });

  it('keeps the sum through a rolling reload, then adds the new orders; never lower, never reset', async () => {
    const reload = await runDrover(['reload', APP]);
    assert.equal(reload.code, 0, reload.output);
    await sleep(1500); // scrapes after the old workers have gone
    assert.equal(await query(total), 20);
    const pids = await order(10);
    assert.equal(pids.size, 2);
    await storedIs(30);
    assert.equal(await query(`drover_reloads_total{app="${APP}",result="ok"}`), 1);
  });

  it('keeps what a crashed worker had counted by its last scrape', async () => {
    const seen = samples((await adminGet(adminPort, '/metrics')).body);
    await sleep(1500); // Prometheus has scraped since the last order
    const victim = [...seen.keys()].find((key) => key.startsWith('drover_worker_start_time_seconds'))!.match(/pid="(\d+)"/)![1]!;
    process.kill(Number(victim), 'SIGKILL');
    await until(async () => (await query(`drover_workers{app="${APP}",state="ready"}`)) === 2 && (await query(`drover_restarts_total{app="${APP}",reason="crash"}`)) === 1, 'the crashed worker to be replaced');
    await order(5);
    await storedIs(35);
  });

  it('never stored a lower value or a reset of any counter', async () => {
    const window = '[5m]';
    assert.equal(await query(`sum(resets(shop_orders_total${window}))`), 0);
    assert.equal(await query(`sum(resets(drover_http_requests_total${window}))`), 0);
    assert.equal(await query(`sum(resets(drover_http_request_duration_seconds_count${window}))`), 0);
    assert.equal(await query(`sum(resets(shop_order_seconds_count${window}))`), 0);
    // Every value of the sum, as stored scrape after scrape, was at least the one before.
    const raw = await get(`http://127.0.0.1:${apiPort}/api/v1/query?query=${encodeURIComponent(`shop_orders_total${window}`)}`);
    const series = (JSON.parse(raw.body) as { data: { result: { values: [number, string][] }[] } }).data.result;
    assert.equal(series.length, 1, 'one series for the app, whatever the workers');
    const values = series[0]!.values.map(([, value]) => Number(value));
    assert.ok(values.length >= 5, `${values.length} scrapes stored`);
    for (let i = 1; i < values.length; i++) assert.ok(values[i]! >= values[i - 1]!, `stored ${values[i - 1]} then ${values[i]}`);
    assert.equal(values.at(-1), 35);
    assert.ok(processGroupMembers(prometheus!.pid!).length > 0, 'Prometheus ran through every test');
  });
});
