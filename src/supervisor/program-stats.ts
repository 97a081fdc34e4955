import { readdirSync, readFileSync } from 'node:fs';
import type { WorkerStats } from '../ipc/messages.js';

// Figures for a program that is not Node.js, which has no runtime to report them:
// read from /proc (Linux) for its whole process group, so that `npm run x` counts the
// script npm started, as `ls` and max_memory_restart expect. Elsewhere: none.

/** Linux's clock ticks per second (USER_HZ), which /proc/<pid>/stat counts CPU time in. */
const TICKS_PER_SECOND = 100;

interface Sample {
  rss: number;
  cpuTicks: number;
  at: number;
}

/** The memory and CPU time of every process in the group `pgid`; undefined where /proc cannot say. */
function sampleGroup(pgid: number): Sample | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  let rss = 0;
  let cpuTicks = 0;
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
    } catch {
      continue; // Gone meanwhile.
    }
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // From field 3 on: state, ppid, pgrp (5), ... utime (14), stime (15), ... rss (24).
    if (Number(fields[2]) !== pgid) continue;
    cpuTicks += Number(fields[11]) + Number(fields[12]);
    // In kB, whatever the page size (64K pages on some arm64 kernels).
    rss += residentKb(entry) * 1024;
  }
  return { rss, cpuTicks, at: Date.now() };
}

function residentKb(pid: string): number {
  try {
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Samples one program's group each time it is asked, CPU as a share of one core since the last time. */
export class ProgramStats {
  readonly #pgid: number;
  readonly #startedAt = Date.now();
  #last: Sample | undefined;

  constructor(pgid: number) {
    this.#pgid = pgid;
    this.#last = sampleGroup(pgid);
  }

  next(): WorkerStats | undefined {
    const sample = sampleGroup(this.#pgid);
    if (!sample) return undefined;
    const last = this.#last ?? sample;
    this.#last = sample;
    const seconds = Math.max((sample.at - last.at) / 1000, 0.001);
    const cpuPercent = Math.round(((sample.cpuTicks - last.cpuTicks) / TICKS_PER_SECOND / seconds) * 1000) / 10;
    return {
      rss: sample.rss,
      heapUsed: 0,
      heapTotal: 0,
      cpuPercent: Math.max(0, cpuPercent),
      eventLoopDelay: { p50: 0, p99: 0, max: 0 },
      requestsServed: 0,
      requestsInFlight: 0,
      connections: 0,
      uptimeMs: sample.at - this.#startedAt,
      health: undefined,
    };
  }
}
