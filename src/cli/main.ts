#!/usr/bin/env node
import { CommanderError } from 'commander';
import { isDroverError } from '../errors/index.js';
import { buildProgram } from './program.js';

// The `drover` executable: run the command line, and turn errors into one clear
// message and an exit code. Only a bug in drover prints a stack.
try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander already printed its message (with a suggestion for a typo).
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else if (isDroverError(error)) {
    process.stderr.write(`drover: ${error.message} [${error.code}]\n`);
    process.exitCode = error.exitCode;
  } else {
    process.stderr.write(`drover: internal error, please report it:\n${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 70;
  }
}
