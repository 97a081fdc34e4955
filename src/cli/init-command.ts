import path from 'node:path';
import { CONFIG_FILE_NAMES, displayPath, loadApps, parseDuration, type LoadedApps } from '../config/index.js';
import { DroverError, InvalidOptionError, isDroverError } from '../errors/index.js';
import type { InitKind, InitOptions } from '../init/index.js';

/** `drover init`'s flags, as commander hands them over. */
export interface InitFlags {
  out?: string;
  force?: boolean;
  grace?: string;
  replicas?: string;
  maxReplicas?: string;
  image?: string;
  cpus?: string;
  env?: string;
  only?: string;
}

/** Replicas in Compose and Kubernetes unless --replicas says: two, so that one may restart while the other serves. */
const DEFAULT_REPLICAS = 2;

/**
 * `drover init <kind> [target]`: container files from the app's config (or script),
 * read as `drover start` reads it, written to --out, never over existing files
 * without --force.
 */
export async function initCommand(kind: string | undefined, target: string | undefined, flags: InitFlags): Promise<number> {
  // Loaded here, not with the rest of the CLI: only this command needs yaml and the generators.
  const { buildContext, generate, parseInitKind, writeGeneratedFiles } = await import('../init/index.js');
  const initKind = parseInitKind(kind);
  const cwd = process.cwd();
  const outDir = path.resolve(cwd, flags.out ?? (initKind === 'k8s' ? 'k8s' : '.'));
  const options = parseInitFlags(flags, outDir);
  const loaded = await loadForInit(initKind, target, flags, cwd);
  if (loaded.apps.length !== 1) {
    const names = loaded.apps.map((app) => `'${app.name}'`).join(', ');
    throw new DroverError(
      'DROVER_E_INIT_APP',
      `init ${initKind}: ${displayPath(loaded.file!.path)} has ${loaded.apps.length} apps (${names}), and a container runs one: name it with --only <app> (once per app)`,
    );
  }
  const app = loaded.apps[0]!;
  const context = buildContext({
    app,
    projectDir: cwd,
    configFile: loaded.file?.path,
    script: loaded.file ? undefined : target,
    envName: flags.env,
    only: flags.only,
  });
  const result = generate(initKind, context, options);
  const written = writeGeneratedFiles(outDir, result.files, flags.force === true, `init ${initKind}`);

  const lines = [
    `drover init ${initKind}: app '${app.name}' from ${context.runs}`,
    `  wrote ${written.map((file) => displayPath(file)).join(', ')}`,
    ...result.notes.map((note) => `  ${note}`),
    'next:',
    ...result.next.map((command) => `  ${command}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  for (const warning of [...loaded.warnings, ...result.warnings]) process.stderr.write(`warning: ${warning}\n`);
  return 0;
}

async function loadForInit(kind: InitKind, target: string | undefined, flags: InitFlags, cwd: string): Promise<LoadedApps> {
  try {
    return await loadApps({ target, envName: flags.env, only: flags.only?.split(',').map((name) => name.trim()).filter(Boolean), cwd });
  } catch (error) {
    if (isDroverError(error) && error.code === 'DROVER_E_CONFIG_NOT_FOUND') {
      throw new DroverError(
        'DROVER_E_CONFIG_NOT_FOUND',
        `init ${kind}: no config file in ${cwd} and no script named, so there is no app to generate files for. ` +
          `Create a config: drover ecosystem (writes a commented ecosystem.config.js; set its script), or write drover.config.ts; ` +
          `or name the app's script: drover init ${kind} server.js. Looked for ${CONFIG_FILE_NAMES.join(', ')}`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** Check the flags' values, all at once, in the option messages' form. */
function parseInitFlags(flags: InitFlags, outDir: string): InitOptions {
  const problems: string[] = [];
  const positive = (value: string | undefined, flag: string): number | undefined => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (Number.isInteger(n) && n > 0) return n;
    problems.push(`${flag}: expected a positive integer, got '${value}'`);
    return undefined;
  };
  const replicas = positive(flags.replicas, '--replicas') ?? DEFAULT_REPLICAS;
  const maxReplicas = positive(flags.maxReplicas, '--max-replicas');
  if (maxReplicas !== undefined && maxReplicas < replicas) problems.push(`--max-replicas: expected at least --replicas (${replicas}), got '${flags.maxReplicas}'`);
  let cpus: number | undefined;
  if (flags.cpus !== undefined) {
    cpus = Number(flags.cpus);
    // Kubernetes counts CPU in thousandths.
    if (!(cpus >= 0.001) || Math.round(cpus * 1000) !== cpus * 1000) problems.push(`--cpus: expected a number of CPUs like 1, 2 or 0.5, got '${flags.cpus}'`);
  }
  let graceMs: number | undefined;
  if (flags.grace !== undefined) {
    // A bare number is seconds, as Docker's --stop-timeout and terminationGracePeriodSeconds count.
    graceMs = /^\s*\d+\s*$/.test(flags.grace) ? Number(flags.grace) * 1000 : parseDuration(flags.grace);
    if (graceMs === undefined) problems.push(`--grace: expected a duration like 30s or 1m (a bare number is seconds), got '${flags.grace}'`);
  }
  if (flags.image !== undefined && !/^[\w.\-/:@]+$/.test(flags.image)) problems.push(`--image: expected an image reference like registry.example.com/api:1.2.0, got '${flags.image}'`);
  if (problems.length > 0) throw new InvalidOptionError(problems);
  return { outDir, replicas, maxReplicas, image: flags.image, cpus, graceMs };
}
