import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { composeFiles } from '../../src/init/compose.js';
import { planGrace } from '../../src/init/grace.js';
import { upstreamPolicy } from '../../src/init/nginx.js';
import { contextWith, ecosystem, makeProject, runInit } from './project.js';
import { checkComposeWithCli, checkNginxConf, composeCli, nginxInstalled, TOOLS_REQUIRED, validateComposeSchema } from './validators.js';

// `drover init compose`: the app's replicas behind nginx, whose upstream keeps clients
// where the app's balance keeps them; Redis when the store uses it; health checks; a
// stop grace period that fits the drain. Each file is checked by the Compose CLI and
// the compose-spec schema, and nginx.conf by nginx -t.

type Compose = { services: Record<string, Record<string, unknown>>; volumes?: Record<string, unknown> };

const cli = composeCli();
const nginx = nginxInstalled();
const missing = (what: string) => (TOOLS_REQUIRED ? false : `${what} is not installed (.ci/run installs it)`);

function checkWithTools(file: string, nginxConf: string, service: string): void {
  if (cli) {
    const checked = checkComposeWithCli(cli, file);
    assert.equal(checked.status, 0, `${cli.join(' ')} config:\n${checked.output}`);
  } else {
    assert.ok(!TOOLS_REQUIRED, 'docker compose or docker-compose is required under CI');
  }
  if (nginx) {
    const checked = checkNginxConf(nginxConf, service);
    assert.equal(checked.status, 0, `nginx -t:\n${checked.output}\n${nginxConf}`);
  } else {
    assert.ok(!TOOLS_REQUIRED, 'nginx is required under CI');
  }
}

describe('drover init compose', () => {
  it('writes replicas behind nginx with health checks and a stop grace period that fits the drain; the Compose CLI, the schema and nginx accept them', async () => {
    const dir = makeProject('compose', ecosystem({ instances: 2, port: 4000, kill_timeout: '12s', balance: 'sticky' }));
    const result = await runInit(dir, ['compose', '--replicas', '3']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
    assert.match(result.stdout, /wrote docker-compose\.yml, nginx\.conf\n {2}3 replicas behind nginx \(balance: sticky, sticky_key: ip\)\n {2}stop_grace_period 22s \(shutdown_delay 5 s \+ kill_timeout 12 s \+ margin\)/);

    const text = readFileSync(`${dir}/docker-compose.yml`, 'utf8');
    const compose = parse(text) as Compose;
    assert.deepEqual(validateComposeSchema(compose), []);
    const nginxConf = readFileSync(`${dir}/nginx.conf`, 'utf8');
    checkWithTools(`${dir}/docker-compose.yml`, nginxConf, 'api');

    const app = compose.services.api!;
    assert.deepEqual(app.deploy, { replicas: 3 });
    assert.deepEqual(app.build, { context: '.' });
    assert.deepEqual(app.expose, ['4000']);
    assert.equal(app.ports, undefined, 'replicas publish no port: nginx does');
    assert.equal(app.stop_signal, 'SIGTERM');
    // 5 s shutdown_delay + 12 s kill_timeout + 5 s margin.
    assert.equal(app.stop_grace_period, '22s');
    const health = app.healthcheck as { test: string[] };
    assert.deepEqual(health.test.slice(0, 3), ['CMD', 'node', '-e']);
    assert.match(health.test[3]!, /127\.0\.0\.1:9100\/healthz/);
    assert.equal(compose.services.redis, undefined, 'no Redis without a Redis store');

    const front = compose.services.nginx!;
    assert.deepEqual(front.volumes, ['./nginx.conf:/etc/nginx/conf.d/default.conf:ro']);
    assert.deepEqual(front.depends_on, { api: { condition: 'service_healthy' } });
    assert.ok(front.healthcheck);

    assert.match(nginxConf, /upstream api_replicas \{\n {4}# balance: sticky, sticky_key: ip\n {4}ip_hash;\n {4}server api:4000 /);
    // WebSocket upgrades pass through.
    assert.match(nginxConf, /proxy_http_version 1\.1;\n {8}proxy_set_header Upgrade \$http_upgrade;\n {8}proxy_set_header Connection \$connection_upgrade;/);
  });

  it("nginx's upstream follows the app's balance, and nginx -t accepts each", () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ balance: 'round-robin' }, /upstream api_replicas \{\n {4}# balance: round-robin \(nginx default\)\n {4}server /],
      [{ balance: 'least-connections' }, /\n {4}least_conn;\n/],
      [{ balance: 'sticky', sticky_key: 'ip' }, /\n {4}ip_hash;\n/],
      [{ balance: 'sticky', sticky_key: 'sid' }, /\n {4}ip_hash;\n/],
      [{ balance: 'sticky', sticky_key: 'cookie:session' }, /\n {4}hash \$cookie_session consistent;\n/],
      [{ balance: 'sticky', sticky_key: 'header:X-Tenant-Id' }, /\n {4}hash \$http_x_tenant_id consistent;\n/],
      // express-session's cookie: no $cookie_ variable can spell the dot.
      [{ balance: 'sticky', sticky_key: 'cookie:connect.sid' }, /map \$http_cookie \$drover_sticky_cookie \{\n {4}default "";\n {4}"~\(\?:\^\|;\\s\*\)connect\\\.sid=\(\?<value>\[\^;\]\+\)" \$value;\n\}[\s\S]*\n {4}hash \$drover_sticky_cookie consistent;\n/],
    ];
    for (const [options, expected] of cases) {
      const context = contextWith({ port: 3000, ...options });
      const grace = planGrace({ delayMs: 5000, delayName: 'shutdown_delay', killTimeoutMs: 5000 }, undefined, '--grace');
      const [composeFile, nginxFile] = composeFiles(context, { replicas: 2, image: 'api:1', grace, outDir: context.projectDir });
      assert.match(nginxFile!.text, expected, JSON.stringify(options));
      assert.deepEqual(validateComposeSchema(parse(composeFile!.text)), []);
      if (nginx) {
        const checked = checkNginxConf(nginxFile!.text, 'api');
        assert.equal(checked.status, 0, `${JSON.stringify(options)}: nginx -t:\n${checked.output}`);
      }
    }
    // A header nginx has no variable for: by address, and a warning says so.
    assert.match(upstreamPolicy(contextWith({ balance: 'sticky', sticky_key: 'header:x.tenant' }).app).warning!, /nginx has no variable for a header named 'x\.tenant'.*ip_hash/);
  });

  it("Redis beside the app when its store uses Redis (store: { redis }, or DROVER_REDIS_URL)", () => {
    const grace = planGrace({ delayMs: 5000, delayName: 'shutdown_delay', killTimeoutMs: 5000 }, undefined, '--grace');
    const withStore = contextWith({ port: 3000 }, { store: { redis: 'redis://localhost:6379' } });
    const byEnv = contextWith({ port: 3000, env: { DROVER_REDIS_URL: 'redis://cache:6379' } });
    for (const context of [withStore, byEnv]) {
      const [composeFile] = composeFiles(context, { replicas: 2, image: 'api:1', grace, outDir: context.projectDir });
      const compose = parse(composeFile!.text) as Compose;
      assert.deepEqual(validateComposeSchema(compose), []);
      assert.equal(compose.services.redis!.image, 'redis:7-alpine');
      assert.deepEqual((compose.services.redis!.healthcheck as { test: string[] }).test, ['CMD', 'redis-cli', 'ping']);
      assert.deepEqual(compose.services.api!.depends_on, { redis: { condition: 'service_healthy' } });
      assert.equal((compose.services.api!.environment as Record<string, string>).DROVER_REDIS_URL, 'redis://redis:6379');
      assert.ok(compose.volumes && 'redis-data' in compose.volumes);
    }
  });

  it('the Compose CLI validates the file with Redis too', { skip: cli ? false : missing('the Compose CLI') }, () => {
    assert.ok(cli, 'docker compose or docker-compose is required under CI');
    const grace = planGrace({ delayMs: 5000, delayName: 'shutdown_delay', killTimeoutMs: 5000 }, undefined, '--grace');
    const context = contextWith({ port: 3000 }, { store: { redis: 'redis://localhost:6379' } });
    const dir = makeProject('compose-redis', undefined);
    const [composeFile] = composeFiles(context, { replicas: 2, image: 'api:1', grace, outDir: dir });
    const file = `${dir}/docker-compose.yml`;
    writeFileSync(file, composeFile!.text);
    const checked = checkComposeWithCli(cli, file);
    assert.equal(checked.status, 0, checked.output);
  });

  it('the checks catch a broken file (they are not vacuous)', () => {
    const context = contextWith({ port: 3000 });
    const grace = planGrace({ delayMs: 5000, delayName: 'shutdown_delay', killTimeoutMs: 5000 }, undefined, '--grace');
    const [composeFile, nginxFile] = composeFiles(context, { replicas: 2, image: 'api:1', grace, outDir: context.projectDir });
    const compose = parse(composeFile!.text) as Compose;
    compose.services.api!.stop_grace_period = 'soon';
    compose.services.api!.replica = 2;
    assert.equal(validateComposeSchema(compose).length, 2);
    if (nginx) assert.notEqual(checkNginxConf(nginxFile!.text.replace('ip_hash;', 'ip_hsh;').replace('keepalive 32;', 'keepalive;'), 'api').status, 0);
  });
});
