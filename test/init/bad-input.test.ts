import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { scratchDir } from '../helpers/drover-process.js';
import { ecosystem, makeProject, runInit } from './project.js';

// drover init with what users get wrong: no config, a kind it does not know, a grace
// period the drain does not fit, a file with several apps, flags with bad values. One
// clear message each, and nothing written.

describe('drover init: bad input', () => {
  it('in a folder with no config and no script: says how to create one, and writes nothing', async () => {
    const dir = scratchDir('init-empty');
    const result = await runInit(dir, ['docker']);
    assert.equal(result.code, 2);
    assert.equal(result.stdout, '');
    assert.match(
      result.stderr,
      /^drover: init docker: no config file in \S+ and no script named, so there is no app to generate files for\. Create a config: drover ecosystem \(writes a commented ecosystem\.config\.js; set its script\), or write drover\.config\.ts; or name the app's script: drover init docker server\.js\. Looked for drover\.config\.ts, .*ecosystem\.yml \[DROVER_E_CONFIG_NOT_FOUND\]\n$/,
    );
    assert.deepEqual(readdirSync(dir), []);
  });

  it('an unknown kind, or none, names the choices (and a close one)', async () => {
    const dir = makeProject('init-kind', ecosystem({ port: 3000 }));
    const choices = '; the choices:\n  drover init docker   Dockerfile and .dockerignore\n  drover init compose  docker-compose.yml and nginx.conf: replicas behind nginx, Redis when the store uses it\n  drover init k8s      Kubernetes Deployment, Service, HorizontalPodAutoscaler and PodDisruptionBudget\n(a sample config file, PM2\'s pm2 init, is drover ecosystem) [DROVER_E_INIT_KIND]\n';
    const typo = await runInit(dir, ['dokcer']);
    assert.equal(typo.code, 2);
    assert.equal(typo.stderr, `drover: init: unknown kind 'dokcer' (did you mean 'docker'?)${choices}`);
    const none = await runInit(dir, []);
    assert.equal(none.stderr, `drover: init: name what to generate${choices}`);
    const helm = await runInit(dir, ['helm']);
    assert.equal(helm.stderr, `drover: init: unknown kind 'helm'${choices}`);
    // Other names people type for a kind work.
    assert.equal((await runInit(dir, ['kubernetes', '--out', 'kube'])).code, 0);
    assert.ok(existsSync(`${dir}/kube/deployment.yaml`));
  });

  it("a stated grace period the drain does not fit: a warning with the numbers, and the files use it", async () => {
    const dir = makeProject('init-grace', ecosystem({ port: 3000, kill_timeout: '20s' }));
    const k8s = await runInit(dir, ['k8s', '--grace', '10s']);
    assert.equal(k8s.code, 0);
    assert.equal(
      k8s.stderr.split('\n')[0],
      'warning: --grace (terminationGracePeriodSeconds) 10 s is shorter than drover needs to stop (shutdown_delay 5 s + kill_timeout 20 s + 5 s margin = 30 s): workers still draining then are killed with their requests; give at least 30 s',
    );
    assert.match(k8s.stdout, /terminationGracePeriodSeconds 10\n/);
    const compose = await runInit(dir, ['compose', '--grace', '25']);
    assert.equal(
      compose.stderr,
      'warning: --grace (stop_grace_period) 25 s is shorter than drover needs to stop (shutdown_delay 5 s + kill_timeout 20 s + 5 s margin = 30 s): workers still draining then are killed with their requests; lower kill_timeout to 15 s or less, or give 30 s\n',
    );
    // One that fits: no warning.
    assert.equal((await runInit(dir, ['docker', '--grace', '1m'])).stderr, '');
  });

  it('a config with several apps needs --only naming one; --only passes on to drover run in the image', async () => {
    const dir = makeProject('init-apps', `module.exports = { apps: [${JSON.stringify({ name: 'web', script: 'server.js', port: 3000 })}, ${JSON.stringify({ name: 'worker', script: 'server.js', port: 3001 })}] };\n`);
    const both = await runInit(dir, ['docker']);
    assert.equal(both.code, 2);
    assert.equal(both.stderr, "drover: init docker: ecosystem.config.js has 2 apps ('web', 'worker'), and a container runs one: name it with --only <app> (once per app) [DROVER_E_INIT_APP]\n");
    const one = await runInit(dir, ['docker', '--only', 'worker']);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /runs: node_modules\/\.bin\/drover run ecosystem\.config\.js --only worker --container/);
  });

  it('flags with bad values: every problem at once, nothing written', async () => {
    const dir = makeProject('init-flags', ecosystem({ port: 3000 }));
    const result = await runInit(dir, ['k8s', '--replicas', '0', '--cpus', 'two', '--grace', 'soon', '--max-replicas', '1.5']);
    assert.equal(result.code, 2);
    assert.equal(
      result.stderr,
      "drover: --replicas: expected a positive integer, got '0'\n--max-replicas: expected a positive integer, got '1.5'\n--cpus: expected a number of CPUs like 1, 2 or 0.5, got 'two'\n--grace: expected a duration like 30s or 1m (a bare number is seconds), got 'soon' [DROVER_E_INVALID_OPTION]\n",
    );
    assert.ok(!existsSync(`${dir}/k8s`));
  });
});
