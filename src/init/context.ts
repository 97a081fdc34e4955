import path from 'node:path';
import { displayPath, type AppOptions } from '../config/index.js';
import { readPackageFacts, type PackageFacts } from './package-facts.js';
import { DEFAULT_ADMIN_PORT, PENDING_FLAGS, readPendingOptions, type PendingOptions } from './pending-options.js';

/** The app's port in generated files when its config sets none (env.PORT or port). */
export const DEFAULT_APP_PORT = 3000;
/** drover's binary in the image, run directly: npm and npx as PID 1 do not pass SIGTERM on. */
export const DROVER_BIN = 'node_modules/.bin/drover';
/** How long a starting container may take before its health check counts: at least this, or 3 x listen_timeout. */
const MIN_STARTUP_WINDOW_MS = 30_000;

/** Where the app came from: what `drover init` was given, resolved as `drover start` resolves it. */
export interface AppSource {
  readonly app: AppOptions;
  /** The folder the image is built from (the current directory). */
  readonly projectDir: string;
  /** The config file read, or undefined when the app is a script. */
  readonly configFile: string | undefined;
  /** The script as given on the command line, when there is no config file. */
  readonly script: string | undefined;
  /** `--env <name>`, passed on to `drover run` in the image. */
  readonly envName: string | undefined;
  /** The app's name for `--only`, when its config file has other apps. */
  readonly only: string | undefined;
}

/** Everything the generators read: the app's options with the defaults of the generated files filled in. */
export interface InitContext {
  readonly app: AppOptions;
  /** The app's name as a DNS label: Compose service, Kubernetes object and image name. */
  readonly name: string;
  readonly projectDir: string;
  /** What the image runs, in exec form: drover's binary and `run` with its arguments. */
  readonly command: readonly string[];
  /** The config file or script that command runs, relative to the project folder. */
  readonly runs: string;
  readonly appPort: number;
  readonly adminPort: number;
  readonly pending: PendingOptions;
  readonly packageFacts: PackageFacts;
  /** How long a container may take to start before its health checks count. */
  readonly startupWindowMs: number;
  /** The node:<major>-slim image: the Node.js major version running `drover init`, 20 at least. */
  readonly nodeMajor: number;
  /** Lines for the user: assumptions made and problems found. */
  readonly warnings: string[];
}

/** Gather what the generators need from the app and the project folder. */
export function buildContext(source: AppSource): InitContext {
  const { app, projectDir } = source;
  const warnings: string[] = [];
  const pending = readPendingOptions(app);
  const runsAbsolute = source.configFile ?? path.resolve(projectDir, source.script ?? app.script);
  const runs = path.relative(projectDir, runsAbsolute).split(path.sep).join('/');
  if (runs.startsWith('../') || path.isAbsolute(runs)) {
    warnings.push(`${displayPath(runsAbsolute)} is outside ${projectDir}, the folder the image is built from: the image will not have it; run drover init from the project's folder`);
  }

  const command = [DROVER_BIN, 'run', runs];
  if (source.only !== undefined) command.push('--only', source.only);
  if (source.envName !== undefined) command.push('--env', source.envName);
  if (pending.container === undefined) command.push(PENDING_FLAGS.container);
  if (pending.adminPort === undefined) command.push(PENDING_FLAGS.admin_port, String(DEFAULT_ADMIN_PORT));

  const configuredPort = app.env.PORT === undefined ? undefined : Number(app.env.PORT);
  const appPort = configuredPort !== undefined && Number.isInteger(configuredPort) && configuredPort > 0 && configuredPort < 65536 ? configuredPort : DEFAULT_APP_PORT;
  if (configuredPort === undefined) {
    warnings.push(`app '${app.name}' sets no port (env.PORT or port): the generated files assume ${DEFAULT_APP_PORT} and set PORT=${DEFAULT_APP_PORT}; set port in its config if it listens elsewhere`);
  } else if (appPort !== configuredPort) {
    warnings.push(`app '${app.name}': PORT '${app.env.PORT}' is not a port number; the generated files assume ${DEFAULT_APP_PORT}`);
  }
  if (app.interpreter !== undefined) {
    warnings.push(`app '${app.name}' runs with ${app.interpreter}, not Node.js: the generated image has Node.js only; add ${app.interpreter} to its runtime stage`);
  }

  const packageFacts = readPackageFacts(projectDir);
  warnings.push(...packageWarnings(packageFacts, projectDir));
  const startupWindowMs = Math.max(MIN_STARTUP_WINDOW_MS, 3 * app.listen_timeout);
  return {
    app,
    name: dnsLabel(app.name),
    projectDir,
    command,
    runs,
    appPort,
    adminPort: pending.adminPort ?? DEFAULT_ADMIN_PORT,
    pending,
    packageFacts,
    startupWindowMs,
    nodeMajor: Math.max(20, Number(process.versions.node.split('.')[0])),
    warnings,
  };
}

/** The app's port is in its environment when its config gave one; say whether the generated files must set it. */
export function portAssumed(context: InitContext): boolean {
  return context.app.env.PORT === undefined;
}

function packageWarnings(facts: PackageFacts, projectDir: string): string[] {
  if (!facts.hasPackageJson) {
    return [`no package.json in ${projectDir}: the Dockerfile installs the app's dependencies, drover among them, with npm ci; run drover init in the app's folder, or npm init there first`];
  }
  const warnings: string[] = [];
  if (!facts.hasLockfile) warnings.push('no package-lock.json: npm ci in the Dockerfile needs one; run npm install once and commit it');
  if (facts.drover === 'devDependencies') {
    warnings.push("drover is in devDependencies: npm ci --omit=dev leaves it out of the image; move it to dependencies (npm install drover --save-prod)");
  } else if (facts.drover === 'absent') {
    warnings.push("drover is not in package.json's dependencies: the image runs node_modules/.bin/drover; add it (npm install drover)");
  }
  return warnings;
}

/** "My API" -> "my-api": a DNS label (lowercase letters, digits, dashes; a letter first; 63 at most). */
export function dnsLabel(name: string): string {
  const label = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const lettered = /^[a-z]/.test(label) ? label : `app-${label}`;
  return lettered.slice(0, 63).replace(/-+$/, '');
}
