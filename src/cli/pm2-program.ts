import type { Command } from 'commander';
import { unstartupCommand } from './init-system.js';
import { ecosystemCommand, envCommand, flushCommand, jlistCommand, killCommand, resetCommand, sendSignalCommand } from './pm2-commands.js';

/** PM2's command names that drover answers to as well (list and show are aliases of ls and describe, in program.ts). */
export function addPm2Commands(program: Command): void {
  program
    .command('jlist')
    .description('ls --json on one line, for scripts (PM2\'s jlist)')
    .action(async () => {
      process.exitCode = await jlistCommand(false);
    });

  program
    .command('prettylist')
    .description('ls --json, indented (PM2\'s prettylist)')
    .action(async () => {
      process.exitCode = await jlistCommand(true);
    });

  program
    .command('flush')
    .description("empty an app's log files (stdout, stderr, supervisor log) in place; with no app, every app's")
    .argument('[app]', "an app's name; default: every running app and every file in $DROVER_HOME/logs")
    .action(async (app: string | undefined) => {
      process.exitCode = await flushCommand(app);
    });

  program
    .command('env')
    .description("the environment of one worker of a running app, secrets masked, one KEY=value a line")
    .argument('<app>', "an app's name")
    .argument('[slot]', "the worker's slot (drover ls shows them)", '0')
    .action(async (app: string, slot: string) => {
      process.exitCode = await envCommand(app, slot);
    });

  program
    .command('reset')
    .description('reset the restart counts (the restarts column of ls) of every worker of a running app (or all)')
    .argument('<app>', "an app's name, or 'all'")
    .action(async (app: string) => {
      process.exitCode = await resetCommand(app);
    });

  program
    .command('sendSignal')
    .alias('send-signal')
    .description('send a signal (SIGUSR2, SIGHUP ...) to every worker of a running app (or all)')
    .argument('<signal>', 'a signal name: SIGUSR2, USR2 ...')
    .argument('<app>', "an app's name, or 'all'")
    .action(async (signal: string, app: string) => {
      process.exitCode = await sendSignalCommand(signal, app);
    });

  program
    .command('kill')
    .description('drain and stop every app (PM2\'s kill; drover has no daemon to kill)')
    .action(async () => {
      process.exitCode = await killCommand();
    });

  program
    .command('ecosystem')
    .description('write a commented sample config, ecosystem.config.js, in the current folder (never over an existing file)')
    .action(() => {
      process.exitCode = ecosystemCommand();
    });

  program
    .command('unstartup')
    .description('print (or --write: run) the removal of the unit drover startup --write wrote')
    .argument('[system]', "'systemd'; default: this machine's init system")
    .option('--write', 'disable and stop it, and remove /etc/systemd/system/drover-<user>.service (needs root)')
    .action((system: string | undefined, flags: { write?: boolean }) => {
      process.exitCode = unstartupCommand(system, flags);
    });
}
