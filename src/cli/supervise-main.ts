#!/usr/bin/env node
import { consoleOutput } from '../log/console-output.js';
import { reportFatal } from './report-fatal.js';
import { superviseApps, type SupervisionPlan } from './supervise.js';

// The entry of a background supervisor (`drover start`): the validated plan arrives on
// stdin as JSON, so that this process never loads the command line or the schema, and
// no secret of the environment shows in `ps`. The build bundles it into one CommonJS
// file, supervise-main.cjs (scripts/bundle.js), which is what `drover start` runs; so
// no top-level await here, which CommonJS cannot have.
async function main(): Promise<void> {
  try {
    let input = '';
    for await (const chunk of process.stdin) input += String(chunk);
    process.exitCode = await superviseApps(JSON.parse(input) as SupervisionPlan);
  } catch (error) {
    // Through the supervisor's output, so that its log line has its time too.
    process.exitCode = reportFatal(error, (text) => consoleOutput.warn(text.trimEnd()));
  }
}

void main();
