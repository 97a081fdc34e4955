import { formatBytes } from '../config/units.js';
import { formatTable } from '../log/text-table.js';
import type { Fact } from './fact.js';
import type { DoctorFacts } from './facts.js';
import type { Recommendation } from './recommend.js';
import type { DoctorWarning } from './warnings.js';

/** What `drover doctor` prints on a terminal: the facts by section, each with its source, then the recommendation and the warnings. */
export function formatDoctorReport(facts: DoctorFacts, recommendation: Recommendation, warnings: readonly DoctorWarning[]): string {
  const { cpu, memory } = facts.resources;
  const bytes = (fact: Fact<number | 'none'>) => (fact.value === 'none' ? 'none' : fact.value === null ? 'unknown' : formatBytes(fact.value));
  const plain = <T>(fact: Fact<T>, show: (value: T) => string = String) => (fact.value === null ? 'unknown' : show(fact.value));
  const cpus = (value: number | 'none') => (value === 'none' ? 'none' : Number.isInteger(value) ? String(value) : value.toFixed(2));
  const row = (label: string, value: string, fact: Fact<unknown>) => [label, clip(value, 48), fact.source];
  const files = facts.system.openFiles;
  const sections: [string, string[][]][] = [
    [
      'CPU',
      [
        row('host CPUs', plain(cpu.host), cpu.host),
        row('CPU affinity', plain(cpu.affinity), cpu.affinity),
        row('cgroup CPU quota', plain(cpu.cgroupQuota, cpus), cpu.cgroupQuota),
        row('cgroup cpuset', plain(cpu.cgroupCpuset, cpus), cpu.cgroupCpuset),
        row('allowance', plain(cpu.allowance, cpus), cpu.allowance),
      ],
    ],
    [
      'Memory',
      [
        row('host memory', bytes(memory.host), memory.host),
        row('cgroup limit', bytes(memory.cgroupLimit), memory.cgroupLimit),
        row('host swap', bytes(memory.hostSwap), memory.hostSwap),
        row('cgroup swap', bytes(memory.cgroupSwap), memory.cgroupSwap),
        row('limit', bytes(memory.limit), memory.limit),
      ],
    ],
    [
      'System',
      [
        row('cgroup', plain(facts.resources.cgroup), facts.resources.cgroup),
        row('container', plain(facts.system.container), facts.system.container),
        row('Kubernetes', plain(facts.system.kubernetes, (k) => (k ? 'yes' : 'no')), facts.system.kubernetes),
        row('PID 1', plain(facts.system.pid1), facts.system.pid1),
        row('init system', plain(facts.system.initSystem), facts.system.initSystem),
        row('open files', plain(files, (f) => `${f.soft} (hard ${f.hard})`), files),
      ],
    ],
    [
      'Node.js',
      [row('version', plain(facts.node.version), facts.node.version), row('type stripping', plain(facts.node.typeStripping), facts.node.typeStripping)],
    ],
    [
      facts.app ? `App '${facts.app.name}' (${facts.app.script})` : 'Apps',
      [
        ...(facts.app ? [row('port', plain(facts.port.port), facts.port.port), row('may bind it', plain(facts.port.mayBind), facts.port.mayBind)] : []),
        row('under drover now', runningSummary(facts), facts.running),
        ...(facts.running.value ?? []).flatMap((app) =>
          app.workers.map((worker) => [
            `  ${app.name} ${worker.slot}`,
            `pid ${worker.pid}: ${worker.rss === null ? 'no report yet' : `${formatBytes(worker.rss)} RSS, loop p99 ${worker.loopDelayP99} ms, CPU ${worker.cpuPercent}%`}`,
            '',
          ]),
        ),
      ],
    ],
  ];
  const lines: string[] = [`drover doctor: ${facts.app ? `app '${facts.app.name}'` : 'this machine, for an app with the options given'}`, ''];
  for (const [title, rows] of sections) lines.push(title, indent(formatTable(['', '', ''], rows).split('\n').slice(1).join('\n')), '');
  const count = recommendation.workers === 1 ? '1 worker' : `${recommendation.workers} workers`;
  lines.push(`Recommendation: ${recommendation.mode}${recommendation.mode === 'cluster' ? `, ${count}` : ''}`);
  for (const reason of recommendation.reasons) lines.push(`  - ${reason}`);
  lines.push(`  per worker: max_memory_restart ${recommendation.maxMemoryRestart}, --max-old-space-size=${recommendation.maxOldSpaceSize} (--auto-heap sets this one)`, '');
  if (warnings.length === 0) lines.push('Warnings: none');
  else {
    lines.push('Warnings');
    for (const warning of warnings) lines.push(`  ! ${warning.message}`, `    fix: ${warning.fix}`);
  }
  return `${lines.join('\n')}\n`;
}

function runningSummary(facts: DoctorFacts): string {
  const apps = facts.running.value;
  if (apps === null) return 'unknown';
  if (apps.length === 0) return facts.app ? 'no' : 'no app running';
  return apps.map((app) => `${app.name}: ${app.workers.length} worker${app.workers.length === 1 ? '' : 's'}`).join(', ');
}

const indent = (text: string) => text.split('\n').map((line) => `  ${line}`).join('\n');
const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
