import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { APP_DEFAULTS } from '../config/index.js';
import type { AppFlags } from './app-request.js';
import { configCommand } from './config-command.js';
import { logsCommand } from './logs-command.js';
import { resurrectCommand, saveCommand, startupCommand } from './save-commands.js';
import { describeCommand, lsCommand, reloadCommand, restartCommand, scaleCommand, stopCommand } from './control-commands.js';
import { runCommand } from './run-command.js';
import { startCommand } from './start-command.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

// The options that say how to run an app, shared by `run` and `config`. Defaults live
// in the schema (APP_DEFAULTS); help shows them from there.
function appOptions(command: Command): Command {
  return command
    .option('-i, --instances <n>', "workers: a positive integer, 'max' (every CPU given) or 'auto' (CPUs and memory); default auto, or DROVER_INSTANCES")
    .option('--name <name>', 'app name in messages (default: the script file name)')
    .option('--node-args <args>', 'node options for each worker, e.g. "--max-old-space-size=512"')
    .option('--env <KEY=VALUE|name>', 'set a variable for the workers (repeatable), or select env_<name> of a config file', collect)
    .option('--only <names>', 'run only these apps of a config file (comma-separated)')
    .option('--cwd <dir>', 'working directory of the workers (default: the current one, or the config file\'s folder)')
    .option('--exec-mode <mode>', "'cluster' (workers share the port) or 'fork' (plain processes) (default: cluster)")
    .option('--min-uptime <ms>', `a worker that dies sooner counts toward a crash loop (default: ${APP_DEFAULTS.min_uptime})`)
    .option('--max-restarts <n>', `quick crashes in a row before drover stops restarting (default: ${APP_DEFAULTS.max_restarts})`)
    .option('--exp-backoff-restart-delay <ms>', `first restart delay; x1.5 per crash, capped at 15 s (default: ${APP_DEFAULTS.exp_backoff_restart_delay})`)
    .option('--restart-delay <ms>', 'a fixed restart delay instead of the backoff (default: 0)')
    .option('--kill-timeout <ms>', `how long a draining worker may take before SIGKILL (default: ${APP_DEFAULTS.kill_timeout})`)
    .option('--kill-signal <signal>', "the signal the app's own handlers hear on stop, reload and scale-down (default: SIGTERM, or SIGINT if it listens only for that)")
    .option('--listen-timeout <ms>', `warn when a worker is not listening after this long (default: ${APP_DEFAULTS.listen_timeout})`)
    .option('--wait-ready', "a worker is up when it calls process.send('ready') (or ready() from drover/worker), not when it listens")
    .option('--max-memory-restart <size>', 'replace a worker whose RSS goes over this, e.g. 300M (successor first, then drain)')
    .option('--stats-interval <ms>', `how often workers report their figures, which is also their heartbeat; 0 = off (default: ${APP_DEFAULTS.stats_interval})`)
    .option('--heartbeat-timeout <ms>', `kill and replace a worker silent for this long (default: ${APP_DEFAULTS.heartbeat_timeout})`)
    .option('--auto-heap', "give each worker --max-old-space-size from the memory limit shared by the workers, unless node args set one")
    .option('--reload-batch <n>', `workers a rolling reload replaces at once (default: ${APP_DEFAULTS.reload_batch})`)
    .option('--max-workers <n>', 'the most workers -i and drover scale may ask for (default: 4 per CPU, at least 16, no more than the memory limit holds at 40M each)')
    .option('--worker-memory <size>', `memory one worker is assumed to need, for 'auto' (default: ${APP_DEFAULTS.worker_memory / 1024 ** 2}M)`);
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
  ).action(async (target: string | undefined, args: string[], flags: AppFlags, command: Command) => {
    // The background supervisor is `drover run` with the same arguments.
    process.exitCode = await startCommand(target, args, flags, runArguments(command));
  });

  appOptions(
    program
      .command('config')
      .description('print the apps as drover would run them: defaults applied, sources shown')
      .argument('[target]', 'a config file or a script; default: a config file in the current directory')
      .option('--json', 'print JSON for machines'),
  ).action(async (target: string | undefined, flags: AppFlags & { json?: boolean }) => {
    process.exitCode = await configCommand(target, flags);
  });

  program
    .command('ls')
    .alias('status')
    .description('list the running apps and their workers')
    .option('--json', 'print JSON for machines')
    .action(async (flags: { json?: boolean }) => {
      process.exitCode = await lsCommand(flags);
    });

  program
    .command('reload')
    .description('roll every worker of a running app (or all) without dropping a request')
    .argument('<app>', "an app's name, or 'all'")
    .option('--json', 'print JSON for machines')
    .action(async (app: string, flags: { json?: boolean }) => {
      process.exitCode = await reloadCommand(app, flags);
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
    .argument('<system>', "'systemd'")
    .option('--write', 'write it to /etc/systemd/system/drover-<user>.service (needs root)')
    .action((system: string, flags: { write?: boolean }) => {
      process.exitCode = startupCommand(system, flags);
    });

  program
    .command('describe')
    .description("a running app's config in effect (secrets masked), paths, and its events timeline")
    .argument('<app>', "an app's name")
    .option('--json', 'print JSON for machines')
    .action(async (app: string, flags: { json?: boolean }) => {
      process.exitCode = await describeCommand(app, flags);
    });

  program
    .command('scale')
    .description('set the worker count of a running app: N, +N or -N (removed workers drain)')
    .argument('<app>', "an app's name")
    .argument('<count>', 'N, +N or -N')
    .action(async (app: string, count: string) => {
      process.exitCode = await scaleCommand(app, count);
    });

  return program;
}
