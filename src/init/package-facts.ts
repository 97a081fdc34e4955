import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** What the generated Dockerfile needs to know of the app's package.json. */
export interface PackageFacts {
  readonly hasPackageJson: boolean;
  /** package-lock.json or npm-shrinkwrap.json: `npm ci` refuses to run without one. */
  readonly hasLockfile: boolean;
  /** A `build` script: the Dockerfile then builds in a stage of its own, with dev dependencies. */
  readonly hasBuildScript: boolean;
  /** Where drover is listed: only `dependencies` survive `npm ci --omit=dev`. */
  readonly drover: 'dependencies' | 'devDependencies' | 'absent';
}

/** Read the project's package.json (a missing or unreadable one reads as empty). */
export function readPackageFacts(projectDir: string): PackageFacts {
  const file = path.join(projectDir, 'package.json');
  let pkg: { scripts?: Record<string, unknown>; dependencies?: Record<string, unknown>; devDependencies?: Record<string, unknown> } = {};
  const hasPackageJson = existsSync(file);
  if (hasPackageJson) {
    try {
      pkg = JSON.parse(readFileSync(file, 'utf8')) as typeof pkg;
    } catch {
      // An unreadable package.json fails `npm ci` with its own message; the warnings below name what is missing.
    }
  }
  return {
    hasPackageJson,
    hasLockfile: ['package-lock.json', 'npm-shrinkwrap.json'].some((name) => existsSync(path.join(projectDir, name))),
    hasBuildScript: typeof pkg.scripts?.build === 'string',
    drover: pkg.dependencies?.drover !== undefined ? 'dependencies' : pkg.devDependencies?.drover !== undefined ? 'devDependencies' : 'absent',
  };
}
