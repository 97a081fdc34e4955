import path from 'node:path';
import type { AppOptions } from '../config/index.js';
import { typeScriptSupport } from '../config/typescript.js';
import { known, readUnder, unknown, type Fact } from './fact.js';
import type { DoctorHost } from './host.js';

// What the app itself needs from this machine: Node.js able to run it, and the right
// to bind its port.

export interface NodeFacts {
  version: Fact<string>;
  /** How a TypeScript app would run: type stripping (native, or behind a flag), tsx, or not at all. */
  typeStripping: Fact<string>;
}

export interface PortFacts {
  port: Fact<number>;
  /** Ports below this need root or CAP_NET_BIND_SERVICE. */
  unprivilegedFrom: Fact<number>;
  /** Whether this process may bind the port: 'yes (root)', 'yes (CAP_NET_BIND_SERVICE)', 'yes (not privileged)', or 'no'. */
  mayBind: Fact<string>;
}

// Bit 10 of the capability sets (linux/capability.h).
const CAP_NET_BIND_SERVICE = 10n;

export function readNodeFacts(app: AppOptions | undefined): NodeFacts {
  const features = process.features as { typescript?: string | false };
  const support = typeScriptSupport(app ? path.resolve(app.cwd, app.script) : path.join(process.cwd(), 'x.ts'));
  const typeStripping =
    support.kind === 'native'
      ? support.nodeArgs.length === 0
        ? known(`on (${String(features.typescript)})`, 'process.features.typescript')
        : known(`behind ${support.nodeArgs.join(' ')} (drover adds it for a .ts app)`, `Node.js ${process.version} (22.6 or newer)`)
      : support.kind === 'tsx'
        ? known('none; drover runs a .ts app through the project\'s tsx', `Node.js ${process.version}, tsx found`)
        : known('none, and no tsx found: a .ts app cannot run', support.advice);
  return { version: known(process.version, 'process.version'), typeStripping };
}

/** The app's port (its env PORT, else this shell's), and whether binding it needs privileges this process lacks. */
export function readPortFacts(host: DoctorHost, app: AppOptions | undefined): PortFacts {
  const fromApp = app?.env.PORT;
  const text = fromApp ?? host.env.PORT;
  const port: Fact<number> =
    text !== undefined && /^\d+$/.test(text)
      ? known(Number(text), fromApp !== undefined ? "the app's env PORT" : "this shell's PORT, which the workers inherit")
      : unknown(text === undefined ? "no PORT in the app's env or this shell (drover cannot see a port written in the code)" : `PORT is '${text}', not a number`);

  const start = readUnder(host.root, 'proc/sys/net/ipv4/ip_unprivileged_port_start');
  const unprivilegedFrom: Fact<number> =
    'text' in start && /^\d+$/.test(start.text)
      ? known(Number(start.text), '/proc/sys/net/ipv4/ip_unprivileged_port_start')
      : known(1024, `the kernel's default (${'error' in start ? start.error : 'unreadable'})`);

  let mayBind: Fact<string>;
  if (port.value === null) mayBind = unknown('no port known');
  else if (port.value >= unprivilegedFrom.value!) mayBind = known('yes (not a privileged port)', `${port.value} >= ${unprivilegedFrom.value}`);
  else if (host.uid === 0) mayBind = known('yes (root)', 'uid 0');
  else {
    const status = readUnder(host.root, 'proc/self/status');
    const capEff = 'text' in status ? /^CapEff:\s+([0-9a-f]+)/m.exec(status.text)?.[1] : undefined;
    if (capEff === undefined) mayBind = unknown(`not root, and the capabilities could not be read (${'error' in status ? status.error : 'no CapEff line'})`);
    else if ((BigInt(`0x${capEff}`) >> CAP_NET_BIND_SERVICE) & 1n) mayBind = known('yes (CAP_NET_BIND_SERVICE)', '/proc/self/status CapEff');
    else mayBind = known('no', `uid ${host.uid ?? '?'}, no CAP_NET_BIND_SERVICE in /proc/self/status CapEff`);
  }
  return { port, unprivilegedFrom, mayBind };
}
