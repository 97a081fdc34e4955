import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { APP_OPTIONS, formatBytes, type OptionSpec } from '../config/index.js';
import type { AppFlags } from './app-request.js';
import type { BenchFlags } from '../bench/options.js';
import { configCommand } from './config-command.js';
import { initCommand, type InitFlags } from './init-command.js';
import { logsCommand } from './logs-command.js';
import { monitCommand } from '../monit/monit-command.js';
import { resurrectCommand, saveCommand, startupCommand } from './save-commands.js';
import { describeCommand, lsCommand, metricsCommand, restartCommand, scaleCommand, stopCommand } from './control-commands.js';
import { sendCommand } from './send-command.js';
import { addPm2Commands } from './pm2-program.js';
import { runCommand } from './run-command.js';
import { reloadTarget, type ReloadFlags } from './reload-config.js';
import { startCommand } from './start-command.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

// The options that say how to run an app, shared by `run`, `start` and `config`: one
// flag for each app option that has one (APP_OPTIONS, with its help and default),
// then --env and --only, which select rather than set.
function appOptions(command: Command): Command {
  for (const spec of Object.values(APP_OPTIONS) as OptionSpec[]) {
    if (spec.flag === undefined) continue;
    // Alone, commander gives `--no-x` a default of true, which would override a config
    // file's `x: false`; beside a (hidden) `--x`, absent means unset.
    if (spec.flag.startsWith('--no-')) command.addOption(new Option(spec.flag.replace('--no-', '--')).hideHelp());
    command.option(spec.flag, helpLine(spec));
  }
  return command
    .option('--interpreter-args <args>', "PM2's name for --node-args: options for the interpreter")
    .option('--env <KEY=VALUE|name>', 'set a variable for the workers (repeatable), or select env_<name> of a config file', collect)
    .option('--only <names>', 'run only these apps of a config file (comma-separated)')
    .addOption(new Option('--cron <pattern>', "PM2's spelling of --cron-restart").hideHelp());
}

// "how long a draining worker may take before SIGKILL (default: 5000)"; a switch says no default.
function helpLine(spec: OptionSpec): string {
  const value = spec.defaultText ?? (spec.default === undefined || typeof spec.default === 'boolean' ? undefined : spec.show === 'size' ? formatBytes(Number(spec.default)) : String(spec.default));
  return value === undefined ? (spec.help ?? '') : `${spec.help} (default: ${value})`;
}

// The arguments `drover start` was given, as `drover run` takes them.
function runArguments(command: Command): string[] {
  const argv = process.argv.slice(2);
  const at = argv.indexOf(command.name());
  return argv.slice(at + 1);
}

/** The `drover` command line. Actions set `process.exitCode`; errors propagate to main. */
export function buildProgram(): Command {
  const program = new Command('drover')
    .description('Run a Node.js server on every core it is given, keep it up, and stop it without dropping a request.')
    .version(version, '-v, --version')
    .showSuggestionAfterError(true)
    .showHelpAfterError('(run drover --help for usage)')
    .exitOverride();

  appOptions(
    program
      .command('run')
      .description('supervise apps in the foreground (SIGUSR2 or SIGHUP reloads them; Ctrl-C or SIGTERM drains and stops them)')
      .argument('[target]', 'a script (.js, .cjs, .mjs, .ts) or a config file; default: a config file in the current directory')
      .argument('[args...]', 'arguments for a script, after --'),
  )
    .option('--stats', 'print a table of every worker\'s figures each stats interval')
    .action(async (target: string | undefined, args: string[], flags: AppFlags & { stats?: boolean }) => {
      process.exitCode = await runCommand(target, args, flags);
    });

  appOptions(
    program
      .command('start')
      .description('start apps in the background, one supervisor each, and return once their workers are up')
      .argument('[target]', 'a script or a config file; default: a config file in the current directory')
      .argument('[args...]', 'arguments for a script, after --'),
  )
    .option('--one-process', "run the started apps' supervisors in one background process: about 8 MB less per app; if that process dies, every app in it stops")
    .action(async (target: string | undefined, args: string[], flags: AppFlags & { oneProcess?: boolean }, command: Command) => {
    // The background supervisor is `drover run` with the same arguments.
    process.exitCode = await startCommand(target, args, flags, runArguments(command));
  });

  appOptions(
    program
      .command('config')
      .description('print the apps as drover would run them: defaults applied, sources shown')
      .argument('[target]', 'a config file or a script; default: a config file in the current directory')
      .argument('[args...]', 'arguments for a script, after --')
      .option('--json', 'print JSON for machines'),
  ).action(async (target: string | undefined, args: string[], flags: AppFlags & { json?: boolean }) => {
    process.exitCode = await configCommand(target, flags, args);
  });

  appOptions(
    program
      .command('doctor')
      .description('read this machine (CPUs, memory, cgroup limits, container, PID 1, limits, Node.js) and the app, and say whether and how to cluster here')
      .argument('[target]', 'a script or a config file; default: a config file in the current directory, else an app with the defaults')
      .argument('[args...]', 'arguments for a script, after --')
      .option('--json', 'print JSON for machines: { facts, recommendation, warnings }'),
  ).action(async (target: string | undefined, args: string[], flags: AppFlags & { json?: boolean }) => {
    const { doctorCommand } = await import('../doctor/command.js');
    process.exitCode = await doctorCommand(target, args, flags);
  });

  program
    .command('bench')
    .description('load-test a script as one plain process, then under drover with 1, 2, 4 ... workers, and compare; or load a URL already served')
    .argument('<target>', 'a script (.js, .cjs, .mjs, .ts), or an http:// URL of a running server')
    .argument('[args...]', 'arguments for the script, after --')
    .option('--route <path>', 'the path to load (default: /)')
    .option('--duration <time>', 'how long to load each target, after a 1 s warm-up (default: 10s)')
    .option('--connections <n>', 'keep-alive connections (default: 100)')
    .option('--workers <list>', 'worker counts under drover, comma-separated (default: 1, 2, 4 ... up to the CPUs, one left to the load generator where there are more than 2)')
    .option('--rounds <n>', 'run every target this many times, in a rotating order, and report the medians (default: 1)')
    .option('--json', 'print JSON for machines: { rows, recommendation, ... }')
    .action(async (target: string, args: string[], flags: BenchFlags) => {
      // bench loads autocannon and its own code only when it runs.
      const { benchCommand } = await import('../bench/command.js');
      process.exitCode = await benchCommand(target, args, flags);
    });

  program
    .command('ls')
    .alias('status')
    .alias('list')
    .description('list the running apps and their workers')
    .option('--json', 'print JSON for machines')
    .action(async (flags: { json?: boolean }) => {
      process.exitCode = await lsCommand(flags);
    });

  appOptions(
    program
      .command('reload')
      .description("roll every worker of a running app (or all) without dropping a request; given a config file, apply its changes and start its apps not running")
      .argument('[target]', "an app's name, 'all', or a config file (or script) whose changed options to apply; default: a config file in the current directory")
      .argument('[args...]', 'arguments for a script, after --'),
  )
    .option('--update-env', "put this shell's environment under the apps' own (PM2's --update-env); with an app's name, read its config again too")
    .option('--json', 'print JSON for machines')
    .action(async (target: string | undefined, args: string[], flags: ReloadFlags, command: Command) => {
      process.exitCode = await reloadTarget(target, args, flags, runArguments(command));
    });

  program
    .command('restart')
    .description('restart every worker of a running app (or all) at once; capacity drops meanwhile (reload does not)')
    .argument('<app>', "an app's name, or 'all'")
    .option('--json', 'print JSON for machines')
    .action(async (app: string, flags: { json?: boolean }) => {
      process.exitCode = await restartCommand(app, flags);
    });

  program
    .command('stop')
    .description('drain and stop a running app (or all), as on SIGTERM')
    .argument('<app>', "an app's name, or 'all'")
    .action(async (app: string) => {
      process.exitCode = await stopCommand(app);
    });

  program
    .command('delete')
    .description('stop a running app (or all), and remove it from the saved list (drover save)')
    .argument('<app>', "an app's name, or 'all'")
    .action(async (app: string) => {
      process.exitCode = await stopCommand(app, { forget: true });
    });

  program
    .command('logs')
    .description("the last lines of each app's stdout, stderr and supervisor logs; --follow streams new ones live")
    .argument('[app]', "an app's name; default: every app")
    .option('--lines <n>', 'how many lines per file (default: 20)')
    .option('--follow', 'then print every new line as it comes, across reloads, until Ctrl-C')
    .option('--json', 'one JSON record per line: {"ts","app","worker","pid","stream","msg"}')
    .option('--err', 'only stderr')
    .option('--out', 'only stdout')
    .action(async (app: string | undefined, flags: { lines?: string; follow?: boolean; json?: boolean; err?: boolean; out?: boolean }) => {
      process.exitCode = await logsCommand(app, flags);
    });

  program
    .command('monit')
    .description('a live view of every app and worker (state, CPU, memory, event-loop delay, req/s, restarts) and the latest events; keys: r reload, + and - scale, q quit')
    .argument('[app]', "an app's name; default: every app")
    .option('--interval <ms>', 'how often each supervisor is asked (default: 1s, at least 100ms)')
    .action(async (app: string | undefined, flags: { interval?: string }) => {
      process.exitCode = await monitCommand(app, flags);
    });

  program
    .command('save')
    .description('remember the running apps and how each was started ($DROVER_HOME/dump.json)')
    .action(async () => {
      process.exitCode = await saveCommand();
    });

  program
    .command('resurrect')
    .description('start again the saved apps that are not running')
    .action(async () => {
      process.exitCode = await resurrectCommand();
    });

  program
    .command('startup')
    .description('print (or --write) a systemd unit that resurrects the saved apps at boot')
    .argument('[system]', "'systemd'; default: this machine's init system")
    .option('--write', 'write it to /etc/systemd/system/drover-<user>.service (needs root)')
    .action((system: string | undefined, flags: { write?: boolean }) => {
      process.exitCode = startupCommand(system, flags);
    });

  program
    .command('describe')
    .alias('show')
    .description("a running app's config in effect (secrets masked), paths, and its events timeline")
    .argument('<app>', "an app's name")
    .option('--json', 'print JSON for machines')
    .action(async (app: string, flags: { json?: boolean }) => {
      process.exitCode = await describeCommand(app, flags);
    });

  program
    .command('metrics')
    .description("a running app's metrics in Prometheus' text format (drover's own and the app's prom-client metrics, across workers)")
    .argument('<app>', "an app's name")
    .action(async (app: string) => {
      process.exitCode = await metricsCommand(app);
    });

  program
    .command('scale')
    .description('set the worker count of a running app: N, +N or -N (removed workers drain)')
    .argument('<app>', "an app's name")
    .argument('<count>', 'N, +N or -N')
    .action(async (app: string, count: string) => {
      process.exitCode = await scaleCommand(app, count);
    });

  program
    .command('init')
    .description("generate container files from the app's config (or script): docker (Dockerfile), compose (replicas behind nginx), k8s (Deployment, Service, HPA, PDB)")
    .argument('[kind]', "'docker', 'compose' or 'k8s'")
    .argument('[target]', 'a config file or a script; default: a config file in the current directory')
    .option('--out <dir>', 'write the files here (default: the current directory; k8s: ./k8s)')
    .option('--force', 'replace files that are already there')
    .option('--grace <duration>', 'the grace period the platform gives on stop (30s, 1m; a bare number is seconds): used as stop_grace_period / terminationGracePeriodSeconds, with a warning if drover needs more')
    .option('--replicas <n>', 'compose, k8s: replicas of the app (default: 2; k8s: the HPA minimum)')
    .option('--max-replicas <n>', 'k8s: the HPA maximum (default: 5 x replicas)')
    .option('--cpus <n>', "k8s: the pod's CPU limit when instances is auto or max (default: 1); instances: N gets N")
    .option('--image <ref>', 'compose, k8s: the image to run (default: <app name>:latest)')
    .option('--env <name>', 'select env_<name> of a config file (passed on to drover run in the image)')
    .option('--only <app>', 'the app of a config file with several')
    .action(async (kind: string | undefined, target: string | undefined, flags: InitFlags) => {
      process.exitCode = await initCommand(kind, target, flags);
    });

  program
    .command('send')
    .description("send a message to every worker of an app: its on(topic, handler) handlers get the JSON (drover/worker's bus)")
    .argument('<app>', "an app's name, or all")
    .argument('<topic>', 'the topic the workers listen on')
    .argument('[json]', 'the message, as JSON (null if left out)')
    .action(async (app: string, topic: string, json: string | undefined) => {
      process.exitCode = await sendCommand(app, topic, json);
    });

  addPm2Commands(program);
  return program;
}
