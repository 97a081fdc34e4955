import { existsSync } from 'node:fs';
import path from 'node:path';
import { detectContainer, runtimeInCgroup } from '../capacity/index.js';
import { packageRunner } from '../cli/entry-warnings.js';
import { known, readUnder, unknown, type Fact } from './fact.js';
import type { DoctorHost } from './host.js';

// Where the app runs: a container or not, Kubernetes or not, who PID 1 is and which
// init system that makes, and how many files a process may open.

export interface SystemFacts {
  /** The container runtime ('docker', 'podman', ...), or 'none'. */
  container: Fact<string>;
  kubernetes: Fact<boolean>;
  /** PID 1's command line, arguments joined by spaces. */
  pid1: Fact<string>;
  /** systemd, an init (tini, dumb-init), a package runner (npm), node, a shell, or PID 1's name. */
  initSystem: Fact<string>;
  /** RLIMIT_NOFILE of this process, which drover and its workers inherit when started from here. */
  openFiles: Fact<{ soft: number | 'unlimited'; hard: number | 'unlimited' }>;
}

// Inits made for containers: they reap orphans and pass signals on.
const CONTAINER_INITS = /^(tini|tini-static|dumb-init|docker-init|catatonit|s6-svscan|runsvdir|supervisord)$/;

export function readSystemFacts(host: DoctorHost): SystemFacts {
  const exists = (file: string) => existsSync(path.join(host.root, file));
  const cgroupText = ['proc/1/cgroup', 'proc/self/cgroup'].map((file) => readUnder(host.root, file)).find((read) => 'text' in read);
  const cgroupRuntime = runtimeInCgroup(cgroupText && 'text' in cgroupText ? cgroupText.text : undefined)?.runtime;

  // The same test `drover run` uses for container mode (src/capacity/container.ts).
  const sign = detectContainer({ root: host.root, env: host.env, pid: host.pid });
  const container: Fact<string> = sign
    ? known(sign.runtime, sign.evidence)
    : known('none', 'no /.dockerenv, /run/.containerenv, $container, $KUBERNETES_SERVICE_HOST, or container runtime in the cgroup path; not PID 1');

  let kubernetes: Fact<boolean>;
  if (host.env.KUBERNETES_SERVICE_HOST) kubernetes = known(true, '$KUBERNETES_SERVICE_HOST is set');
  else if (exists('var/run/secrets/kubernetes.io/serviceaccount')) kubernetes = known(true, '/var/run/secrets/kubernetes.io/serviceaccount exists');
  else if (cgroupRuntime === 'Kubernetes') kubernetes = known(true, 'the cgroup path names kubepods');
  else kubernetes = known(false, 'no $KUBERNETES_SERVICE_HOST, service account or kubepods cgroup');

  const cmdline = readUnder(host.root, 'proc/1/cmdline');
  const pid1Argv = 'text' in cmdline ? cmdline.text.split('\0').filter(Boolean) : undefined;
  const pid1: Fact<string> =
    host.pid === 1
      ? known('drover doctor itself', 'this process is PID 1')
      : pid1Argv && pid1Argv.length > 0
        ? known(pid1Argv.join(' '), '/proc/1/cmdline')
        : unknown('error' in cmdline ? cmdline.error : '/proc/1/cmdline is empty (a kernel thread, or hidden)');

  return { container, kubernetes, pid1, initSystem: initSystem(host, exists, pid1Argv, 'text' in cmdline ? cmdline.text : undefined), openFiles: readOpenFiles(host.root) };
}

function initSystem(host: DoctorHost, exists: (file: string) => boolean, argv: string[] | undefined, cmdline: string | undefined): Fact<string> {
  // As sd_booted(3) checks: systemd creates this at boot.
  if (exists('run/systemd/system')) return known('systemd', '/run/systemd/system exists');
  if (argv === undefined || argv.length === 0) return unknown('PID 1 could not be read');
  const name = path.basename(argv[0]!);
  const runner = packageRunner(cmdline);
  if (runner) return known(`${runner} (a package runner, not an init)`, '/proc/1/cmdline');
  if (CONTAINER_INITS.test(name)) return known(`${name} (an init for containers)`, '/proc/1/cmdline');
  if (name === 'node' || name === 'nodejs' || argv.some((arg) => /\bdrover\b/.test(arg))) return known('node (no init: nothing reaps orphans)', '/proc/1/cmdline');
  if (/^(sh|bash|dash|ash|zsh)$/.test(name)) return known(`${name} (a shell, not an init)`, '/proc/1/cmdline');
  return known(name, '/proc/1/cmdline');
}

function readOpenFiles(root: string): Fact<{ soft: number | 'unlimited'; hard: number | 'unlimited' }> {
  const limits = readUnder(root, 'proc/self/limits');
  if ('error' in limits) return unknown(limits.error);
  const match = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limits.text);
  if (!match) return unknown('/proc/self/limits has no "Max open files" line');
  const value = (text: string) => (text === 'unlimited' ? 'unlimited' : Number(text));
  return known({ soft: value(match[1]!), hard: value(match[2]!) }, "/proc/self/limits (this shell's, which drover and its workers inherit when started from here)");
}
