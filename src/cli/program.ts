import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { APP_DEFAULTS } from '../config/index.js';
import { runCommand, type RunFlags } from './run-command.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/** The `drover` command line. Actions set `process.exitCode`; errors propagate to main. */
export function buildProgram(): Command {
  const program = new Command('drover')
    .description('Run a Node.js server on every core it is given, keep it up, and stop it without dropping a request.')
    .version(version, '-v, --version')
    .showSuggestionAfterError(true)
    .showHelpAfterError('(run drover --help for usage)')
    .exitOverride();

  program
    .command('run')
    .description('supervise a clustered app in the foreground (Ctrl-C or SIGTERM drains and stops it)')
    .argument('<script>', 'the app: a .js, .cjs, .mjs or .ts file')
    .argument('[args...]', 'arguments for the app, after --')
    .option('-i, --instances <n>', "workers: a positive integer, 'max' (every CPU given) or 'auto' (CPUs and memory); default auto, or DROVER_INSTANCES")
    .option('--name <name>', 'app name in messages (default: the script file name)')
    .option('--node-args <args>', 'node options for each worker, e.g. "--max-old-space-size=512 --import tsx"')
    .option('--env <KEY=VALUE>', 'set an environment variable for the workers (repeatable)', collect)
    .option('--cwd <dir>', 'working directory of the workers (default: the current one)')
    // Defaults live in the schema (APP_DEFAULTS); help shows them from there.
    .option('--min-uptime <ms>', `a worker that dies sooner counts toward a crash loop (default: ${APP_DEFAULTS.min_uptime})`)
    .option('--max-restarts <n>', `quick crashes in a row before drover stops restarting (default: ${APP_DEFAULTS.max_restarts})`)
    .option(
      '--exp-backoff-restart-delay <ms>',
      `first restart delay; x1.5 per crash, capped at 15 s (default: ${APP_DEFAULTS.exp_backoff_restart_delay})`,
    )
    .option('--kill-timeout <ms>', `how long a draining worker may take before SIGKILL (default: ${APP_DEFAULTS.kill_timeout})`)
    .option('--listen-timeout <ms>', `warn when a worker is not listening after this long (default: ${APP_DEFAULTS.listen_timeout})`)
    .option('--worker-memory <size>', `memory one worker is assumed to need, for 'auto' (default: ${APP_DEFAULTS.worker_memory / 1024 ** 2}M)`)
    .action(async (script: string, args: string[], flags: RunFlags) => {
      process.exitCode = await runCommand(script, args, flags);
    });

  return program;
}
