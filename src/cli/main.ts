#!/usr/bin/env node
import { CommanderError } from 'commander';
import { buildProgram } from './program.js';
import { reportFatal } from './report-fatal.js';

// The `drover` executable: run the command line, and turn errors into one clear
// message and an exit code. Only a bug in drover prints a stack.
try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander already printed its message (with a suggestion for a typo).
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else {
    process.exitCode = reportFatal(error);
  }
}
