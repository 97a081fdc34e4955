import { fileURLToPath } from 'node:url';
import { maxWorkers } from '../capacity/index.js';
import { loadApps, type AppOptions, type OptionOrigin } from '../config/index.js';
import { DroverError } from '../errors/index.js';
import { buildAppRequest, type AppFlags } from '../cli/app-request.js';
import { decideWorkers } from '../cli/run-command.js';
import { readFacts, type DoctorFacts } from './facts.js';
import { currentDoctorHost, type DoctorHost } from './host.js';
import { recommend, type Recommendation } from './recommend.js';
import { formatDoctorReport } from './report.js';
import { doctorWarnings, type DoctorWarning } from './warnings.js';

/** What `drover doctor --json` prints. */
export interface DoctorReport {
  facts: Omit<DoctorFacts, 'resources'> & { resources: Omit<DoctorFacts['resources'], 'capacity'> };
  recommendation: Recommendation;
  warnings: DoctorWarning[];
}

/**
 * `drover doctor [script | config]`: read the machine and the app, and say whether and
 * how to cluster here. The worker count is the one `drover run` would start (the
 * same flags, config and capacity); exit 0 whatever it finds.
 */
export async function doctorCommand(target: string | undefined, args: readonly string[], flags: AppFlags & { json?: boolean }, host: DoctorHost = currentDoctorHost()): Promise<number> {
  const { app, origins, named, others } = await appInQuestion(target, args, flags);
  const { facts, recommendation, warnings } = await diagnose(host, { app, origins, named, fromEnv: flags.instances === undefined });
  if (others.length > 0) recommendation.reasons.push(`the config file has other apps too (${others.join(', ')}): this is for '${app.name}'; --only <name> asks about another`);
  if (flags.json) {
    // The capacity is the facts above worked out: left out, as the recommendation says it.
    const { cgroup, cpu, memory } = facts.resources;
    const report: DoctorReport = { facts: { ...facts, resources: { cgroup, cpu, memory } }, recommendation, warnings };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    process.stdout.write(formatDoctorReport(facts, recommendation, warnings));
  }
  return 0;
}

/** The question, answered: the facts, the recommendation and the warnings, for an app as `drover run` would take it. */
export async function diagnose(
  host: DoctorHost,
  question: { app: AppOptions; origins: Record<string, OptionOrigin>; named: boolean; fromEnv: boolean },
): Promise<{ facts: DoctorFacts; recommendation: Recommendation; warnings: DoctorWarning[] }> {
  const { app } = question;
  const facts = await readFacts(host, question.named ? [app] : [], app.worker_memory);
  const decision = decideWorkers(app, question.origins, facts.resources.capacity, question.fromEnv);
  const recommendation = recommend(facts, decision);
  const warnings = doctorWarnings(facts, decision);
  const max = maxWorkers(facts.resources.capacity, app.max_workers);
  if (decision.count > max.limit) {
    warnings.unshift({
      message: `drover run refuses ${decision.count} workers here: more than max_workers ${max.limit} (${max.reason})`,
      fix: 'ask for fewer, or set max_workers (--max-workers) if you mean it',
    });
  }
  return { facts, recommendation, warnings };
}

// The app the question is about: the script or config file given (or found in the
// current folder), validated as `drover run` validates it. With neither, an app with
// drover's defaults and the flags given, so that the count is still run's.
async function appInQuestion(
  target: string | undefined,
  args: readonly string[],
  flags: AppFlags,
): Promise<{ app: AppOptions; origins: Record<string, OptionOrigin>; named: boolean; others: string[] }> {
  try {
    const loaded = await loadApps(buildAppRequest(target, args, flags));
    return { app: loaded.apps[0]!, origins: loaded.origins[0]!, named: true, others: loaded.apps.slice(1).map((a) => a.name) };
  } catch (error) {
    if (target !== undefined || !(error instanceof DroverError) || error.code !== 'DROVER_E_CONFIG_NOT_FOUND') throw error;
  }
  // A stand-in script that exists (this file): only the options matter.
  const loaded = await loadApps(buildAppRequest(fileURLToPath(import.meta.url), [], { ...flags, name: flags.name ?? 'app' }));
  return { app: loaded.apps[0]!, origins: loaded.origins[0]!, named: false, others: [] };
}
