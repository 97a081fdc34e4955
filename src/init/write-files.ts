import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { displayPath } from '../config/index.js';
import { DroverError } from '../errors/index.js';
import type { GeneratedFile } from './dockerfile.js';

/**
 * Write the generated files into `outDir` (created if needed). Without `force`, a file
 * already there stops everything before anything is written, and one message lists
 * every such file, so that a second run never half-overwrites a set.
 */
export function writeGeneratedFiles(outDir: string, files: readonly GeneratedFile[], force: boolean, command: string): string[] {
  const targets = files.map((file) => ({ ...file, path: path.join(outDir, file.name) }));
  const existing = targets.filter((file) => existsSync(file.path));
  if (existing.length > 0 && !force) {
    const names = existing.map((file) => displayPath(file.path));
    throw new DroverError(
      'DROVER_E_FILE_EXISTS',
      `${command}: ${names.join(', ')} already ${names.length === 1 ? 'exists' : 'exist'}; drover does not overwrite ${names.length === 1 ? 'it' : 'them'}: add --force to replace ${names.length === 1 ? 'it' : 'them'}, or --out <dir> to write elsewhere`,
    );
  }
  mkdirSync(outDir, { recursive: true });
  for (const file of targets) writeFileSync(file.path, file.text);
  return targets.map((file) => file.path);
}
