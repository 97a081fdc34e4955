import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import type { Instruction } from 'dockerfile-ast';
import { dockerfile } from '../../src/init/dockerfile.js';
import { healthCheckCommand } from '../../src/init/health-command.js';
import { contextWith, ecosystem, makeProject, runInit } from './project.js';
import { dockerfileStages, lintDockerfile } from './validators.js';

// `drover init docker`: a Dockerfile that lints clean, builds in stages, runs drover's
// binary directly as a non-root user, stops it with SIGTERM and checks /healthz with
// node itself; and a .dockerignore.

const keyword = (stage: Instruction[], name: string) => stage.filter((i) => i.getKeyword() === name);
const args = (instruction: Instruction | undefined) => instruction?.getArgumentsContent() ?? '';
// The whole instruction, flags included (getArgumentsContent leaves out --from and --chown).
const line = (instruction: Instruction | undefined) => instruction?.getTextContent() ?? '';

describe('drover init docker', () => {
  it('writes a multi-stage Dockerfile that lints clean and runs drover directly, as a non-root user', async () => {
    const dir = makeProject('docker', ecosystem({ instances: 2, env: { PORT: 4000 }, kill_timeout: 8000 }));
    const result = await runInit(dir, ['docker']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
    assert.match(result.stdout, /^drover init docker: app 'api' from ecosystem\.config\.js\n {2}wrote Dockerfile, \.dockerignore\n/);
    // Docker's 10 s default is too short for 5 s shutdown_delay + 8 s kill_timeout + 5 s margin.
    assert.match(result.stdout, /docker run --stop-timeout 18 -p 4000:4000 api:latest/);

    const text = readFileSync(`${dir}/Dockerfile`, 'utf8');
    assert.deepEqual(lintDockerfile(text), []);
    const stages = dockerfileStages(text);
    assert.equal(stages.length, 2, 'deps and runtime (no build script)');
    const [deps, runtime] = stages as [Instruction[], Instruction[]];
    assert.ok(keyword(deps, 'RUN').some((run) => /\bnpm ci --omit=dev\b/.test(args(run))), 'production dependencies with npm ci --omit=dev');
    assert.match(line(keyword(runtime, 'COPY')[0]), /^COPY --from=deps .*node_modules/);

    const user = keyword(runtime, 'USER');
    assert.equal(user.length, 1);
    assert.doesNotMatch(args(user[0]), /^(root|0)(:|$)/);
    assert.equal(args(keyword(runtime, 'STOPSIGNAL')[0]), 'SIGTERM');
    assert.deepEqual(args(keyword(runtime, 'EXPOSE')[0]).split(' '), ['4000', '9100']);

    // Exec form everywhere: JSON arrays, so that the signal reaches drover, not a shell.
    const cmd = JSON.parse(args(keyword(runtime, 'CMD')[0])) as string[];
    assert.deepEqual(cmd.slice(0, 3), ['node_modules/.bin/drover', 'run', 'ecosystem.config.js']);
    assert.ok(!cmd.some((arg) => /\b(npm|npx|yarn|pnpm)\b/.test(arg)), `no package manager in CMD: ${cmd.join(' ')}`);
    const entrypoint = JSON.parse(args(keyword(runtime, 'ENTRYPOINT')[0])) as string[];
    assert.deepEqual(entrypoint, ['/usr/bin/tini', '--']);

    const healthcheck = args(keyword(runtime, 'HEALTHCHECK')[0]);
    const check = JSON.parse(healthcheck.slice(healthcheck.indexOf('CMD ') + 4)) as string[];
    assert.equal(check[0], 'node', 'a tool the slim image has');
    assert.match(check[2]!, /http:\/\/127\.0\.0\.1:9100\/healthz/);

    const ignore = readFileSync(`${dir}/.dockerignore`, 'utf8').split('\n');
    for (const entry of ['node_modules', '.git', '.env']) assert.ok(ignore.includes(entry), `.dockerignore has ${entry}`);
  });

  it('builds in a stage of its own when package.json has a build script, and copies the result, not its dev dependencies', async () => {
    const dir = makeProject('docker-build', ecosystem({ env: { PORT: 3000 } }), { scripts: { build: 'tsc' }, dependencies: { drover: '^0.1.0' } });
    assert.equal((await runInit(dir, ['docker'])).code, 0);
    const text = readFileSync(`${dir}/Dockerfile`, 'utf8');
    assert.deepEqual(lintDockerfile(text), []);
    const stages = dockerfileStages(text);
    assert.equal(stages.length, 3);
    assert.match(args(keyword(stages[1]!, 'RUN').at(-1)), /^npm run build && rm -rf node_modules$/);
    const copies = keyword(stages[2]!, 'COPY').map(line);
    assert.deepEqual(copies, ['COPY --from=deps --chown=node:node /app/node_modules ./node_modules', 'COPY --from=build --chown=node:node /app ./']);
  });

  it('a script target runs the script; an app with no port gets PORT=3000 and a warning', async () => {
    const dir = makeProject('docker-script', undefined);
    const result = await runInit(dir, ['docker', 'server.js']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /^warning: app 'server' sets no port \(env\.PORT or port\): the generated files assume 3000/m);
    const text = readFileSync(`${dir}/Dockerfile`, 'utf8');
    assert.match(text, /^ENV PORT=3000$/m);
    assert.match(text, /^CMD \["node_modules\/\.bin\/drover", "run", "server\.js", "--container", "--admin-port", "9100"\]$/m);
  });

  it('warns when npm ci --omit=dev would leave drover out, or has no lockfile', async () => {
    const dir = makeProject('docker-dev', ecosystem({ port: 3000 }), { devDependencies: { drover: '^0.1.0' } });
    const result = await runInit(dir, ['docker']);
    assert.equal(result.code, 0);
    assert.match(result.stderr, /warning: drover is in devDependencies: npm ci --omit=dev leaves it out of the image; move it to dependencies/);
    const bare = makeProject('docker-bare', ecosystem({ port: 3000 }), {});
    rmSync(`${bare}/package-lock.json`);
    const second = await runInit(bare, ['docker']);
    assert.match(second.stderr, /warning: no package-lock\.json: npm ci in the Dockerfile needs one/);
    assert.match(second.stderr, /warning: drover is not in package\.json's dependencies/);
  });

  it("the health check command exits 0 on a 2xx /healthz and 1 otherwise, with node alone", async () => {
    let status = 200;
    const server = createServer((req, res) => {
      res.statusCode = req.url === '/healthz' ? status : 404;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const context = contextWith({ port: 3000 }, { admin_port: port });
      const [node, ...rest] = healthCheckCommand(context);
      assert.equal(node, 'node');
      const run = () => new Promise<number | null>((resolve) => spawn(process.execPath, rest, { stdio: 'ignore', timeout: 10_000 }).on('exit', resolve));
      assert.equal(await run(), 0);
      status = 503;
      assert.equal(await run(), 1);
      server.close();
      assert.equal(await run(), 1, 'nothing listening');
      // The admin port the config sets is the one the Dockerfile checks, and no --admin-port is added.
      const text = dockerfile(context);
      assert.match(text, new RegExp(`127\\.0\\.0\\.1:${port}/healthz`));
      assert.doesNotMatch(text, /--admin-port/);
    } finally {
      server.close();
    }
  });

  it('a Dockerfile with an error is caught by the linter (the check is not vacuous)', () => {
    const text = dockerfile(contextWith({ port: 3000 }));
    const broken = text.replace('STOPSIGNAL SIGTERM', 'STOPSIGNAL').replace(/^CMD /m, 'CMD ["unclosed", ');
    assert.ok(lintDockerfile(broken).length >= 1);
  });
});
