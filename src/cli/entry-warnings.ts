import { readFileSync } from 'node:fs';
import path from 'node:path';

// What is wrong with how drover itself was started in a container, said once at start.

// As PID 1 (a container's entry point) a process inherits every orphan in its
// namespace, and must reap them. Node.js has no way to wait for processes it did not
// start, so the app's grandchildren that outlive their parents would stay as zombies.
export const PID1_WARNING =
  'running as PID 1: Node.js cannot reap orphaned processes, so any that the app\'s own child processes leave behind stay as zombies; ' +
  'run drover under an init: docker run --init, or tini or dumb-init as the ENTRYPOINT (signals and drains work the same)';

// `CMD npx drover run` or `CMD ["npm", "start"]` makes npm PID 1, and npm (npx too)
// does not pass SIGTERM on: `docker stop` and Kubernetes never reach drover, nothing
// drains, and everything is killed at the end of the grace period.
const PACKAGE_RUNNERS = /^(npm|npx|yarn|pnpm|npm-cli\.js|npx-cli\.js)$/;

/** How the process sees itself; a test passes its own. */
export interface ProcessFacts {
  pid: number;
  /** PID 1's command line, as /proc/1/cmdline has it (NUL-separated); undefined if unreadable. */
  pid1Cmdline: () => string | undefined;
}

const realFacts: ProcessFacts = {
  pid: process.pid,
  pid1Cmdline: () => {
    try {
      return readFileSync('/proc/1/cmdline', 'latin1');
    } catch {
      return undefined;
    }
  },
};

/** The warnings about drover's own start: drover is PID 1, or npm/npx is (and started it). */
export function entryWarnings(facts: ProcessFacts = realFacts): string[] {
  if (facts.pid === 1) return [`[drover] ${PID1_WARNING}`];
  const name = packageRunner(facts.pid1Cmdline());
  return name === undefined ? [] : [`[drover] started by ${name}, which is PID 1 (the container's entry point): ${packageRunnerWarning(name)}`];
}

/** npm, npx, yarn or pnpm when that is what PID 1's command line (/proc/1/cmdline) runs; `drover doctor` asks too. */
export function packageRunner(pid1Cmdline: string | undefined): string | undefined {
  // npm may start drover through a shell (`sh -c`): what matters is who PID 1 is.
  // npm sets its process title ("npm run start"), which Linux then shows as one string.
  const argv = pid1Cmdline?.split(/[\0 ]/).filter(Boolean) ?? [];
  // `node /usr/lib/node_modules/npm/bin/npx-cli.js drover run` or `npm start`.
  const runner = argv.slice(0, 2).map((arg) => path.basename(arg)).find((name) => PACKAGE_RUNNERS.test(name));
  return runner?.replace(/-cli\.js$/, '');
}

/** What is wrong with a package runner as PID 1, and the fix. */
export function packageRunnerWarning(name: string): string {
  return (
    `${name} does not pass SIGTERM on, so docker stop and Kubernetes never reach drover, ` +
    'nothing drains, and every process is killed when the grace period ends; start drover itself, in exec form: ' +
    'CMD ["node_modules/.bin/drover", "run", "server.js"] (with --init or tini in front, see the README)'
  );
}
