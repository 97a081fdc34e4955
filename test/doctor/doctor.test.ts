import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import type { DoctorReport } from '../../src/doctor/command.js';
import { makeOneCpuCgroup } from '../helpers/cgroup.js';
import { CLI, DROVER_HOME, example, runDrover, runningApps, sleep } from '../helpers/drover-process.js';
import { freePort } from '../helpers/http.js';

// `drover doctor` as a user runs it: on this machine, in a real cgroup limited to one
// CPU where the machine allows one to be made, and beside an app running under drover.

const hello = example('hello/server.js');
const doctor = async (args: string[], env: Record<string, string> = {}) => {
  const result = await runDrover(['doctor', ...args], { env });
  return { ...result, report: result.code === 0 && args.includes('--json') ? (JSON.parse(result.stdout) as DoctorReport) : undefined };
};

describe('drover doctor', () => {
  it('exits 0 and agrees with drover config on the worker count (one rule for both)', async () => {
    const { code, report, stderr } = await doctor([hello, '--json']);
    assert.equal(code, 0, stderr);
    const config = JSON.parse((await runDrover(['config', hello, '--json'])).stdout) as { apps: { workers: { count: number; reason: string } }[] };
    assert.equal(report!.recommendation.workers, config.apps[0]!.workers.count);
    assert.equal(report!.recommendation.reasons[0], `${config.apps[0]!.workers.reason} (what drover run starts here)`);
    assert.ok(['cluster', 'single', 'one per container'].includes(report!.recommendation.mode));
    assert.ok(Array.isArray(report!.warnings));
    assert.equal(typeof report!.facts.resources.cpu.host.value, 'number');
  });

  it('the text report shows each fact with its source, the recommendation and the warnings', async () => {
    const { code, stdout } = await doctor([hello, '-i', '5']);
    assert.equal(code, 0);
    assert.match(stdout, /^drover doctor: app 'server'/);
    assert.match(stdout, /\n {2}host CPUs +\d+ +os\.cpus\(\)/);
    assert.match(stdout, /\nRecommendation: cluster, 5 workers\n {2}- 5 workers: -i 5 \(what drover run starts here\)/);
    assert.match(stdout, /max_memory_restart \d+M, --max-old-space-size=\d+/);
    assert.match(stdout, /\n {2}! 5 workers on .*\n {4}fix: /);
  });

  it('in a cgroup limited to 1 CPU: 1 worker, and the quota is the reason', async (t) => {
    const cgroup = makeOneCpuCgroup();
    if (typeof cgroup === 'string') return t.skip(cgroup);
    try {
      const run = spawnSync('sh', ['-c', cgroup.wrap(`'${process.execPath}' '${CLI}' doctor '${hello}' --json`)], {
        env: { ...process.env, DROVER_HOME },
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.equal(run.status, 0, run.stderr);
      const report = JSON.parse(run.stdout) as DoctorReport;
      assert.equal(report.recommendation.workers, 1);
      assert.notEqual(report.recommendation.mode, 'cluster');
      assert.match(report.recommendation.reasons[0]!, /^1 worker: cgroup CPU quota 1\.0 of \d+ CPUs/);
      assert.equal(report.facts.resources.cpu.cgroupQuota.value, 1);
      assert.match(report.facts.resources.cpu.cgroupQuota.source, new RegExp(`${cgroup.dir.split('/').pop()}/cpu\\.(max|cfs_quota_us)`));
      assert.match(report.warnings.map((w) => w.message).join('\n'), /CPUs visible but a cgroup CPU quota 1\.0/);
    } finally {
      cgroup.remove();
    }
  });

  it('an app running under drover: its workers measured over the control socket', { timeout: 60_000 }, async () => {
    const port = await freePort();
    const env = { PORT: String(port) };
    const start = await runDrover(['start', hello, '--name', 'doctored', '-i', '2', '--stats-interval', '200'], { env });
    assert.equal(start.code, 0, start.output);
    await runningApps(); // Killed with its group when this file ends, whatever happens here.
    try {
      let report: DoctorReport | undefined;
      for (let i = 0; i < 50; i++) {
        report = (await doctor([hello, '--name', 'doctored', '--json'], env)).report;
        if (report?.facts.running.value?.[0]?.largestRss) break;
        await sleep(100);
      }
      const running = report!.facts.running.value!;
      assert.equal(running.length, 1);
      assert.equal(running[0]!.name, 'doctored');
      assert.equal(running[0]!.workers.length, 2);
      assert.ok(running[0]!.largestRss! > 1024 * 1024, 'a worker has some RSS');
      assert.equal(typeof running[0]!.worstLoopDelayP99, 'number');
      assert.match(report!.recommendation.reasons.join('\n'), /measured: app 'doctored' runs 2 worker\(s\), the largest at .* RSS, event-loop delay p99 at most/);
      assert.equal(report!.facts.port.port.value, port);
    } finally {
      await runDrover(['delete', 'doctored']);
    }
  });

  it('a script that does not exist: one clear message and exit 2', async () => {
    const { code, stderr, stdout } = await doctor(['no-such-server.js']);
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.match(stderr, /^drover: script not found: no-such-server\.js .*\[DROVER_E_SCRIPT_NOT_FOUND\]\n$/);
  });
});
