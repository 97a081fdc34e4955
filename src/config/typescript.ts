import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

// How this Node.js can run a TypeScript file: natively (type stripping), through the
// project's own tsx, or not at all (with advice on which of the two to add).

export type TypeScriptSupport =
  | { kind: 'native'; nodeArgs: string[] }
  | { kind: 'tsx'; nodeArgs: string[] }
  | { kind: 'none'; advice: string };

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);

/** Decide how a `.ts` file next to `near` (a script or config path) can run. */
export function typeScriptSupport(near: string): TypeScriptSupport {
  const features = process.features as { typescript?: string | false };
  if (features.typescript) return { kind: 'native', nodeArgs: [] };
  if (major > 22 || (major === 22 && minor >= 6)) return { kind: 'native', nodeArgs: ['--experimental-strip-types'] };
  try {
    const loader = createRequire(near).resolve('tsx');
    return { kind: 'tsx', nodeArgs: ['--import', pathToFileURL(loader).href] };
  } catch {
    return {
      kind: 'none',
      advice:
        `Node.js ${process.version} cannot run TypeScript by itself: install tsx in the project (npm install --save-dev tsx), ` +
        'or use Node.js 22.6 or newer, which strips types',
    };
  }
}

const TYPESCRIPT_LOADER = /\btsx\b|ts-node|@swc-node|esbuild-register|--experimental-(strip|transform)-types/;

/** Whether node options already bring TypeScript support (`--import tsx`, ts-node, type stripping). */
export function hasTypeScriptLoader(nodeArgs: readonly string[]): boolean {
  return nodeArgs.some((arg) => TYPESCRIPT_LOADER.test(arg));
}
