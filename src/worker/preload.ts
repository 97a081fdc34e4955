import { fileURLToPath } from 'node:url';

// How a worker preloads drover's runtime: the bundled CommonJS file (scripts/bundle.js)
// with --require, rather than dist/worker/runtime.js with --import. An ES module
// preload starts Node's ESM loader in every worker, even for a CommonJS app, and its
// dozen files each cost memory: the bundle takes about 0.5 MB off each idle worker
// (bench/memory.js). ESM and TypeScript apps still load as before: a CommonJS preload
// runs first, then the main module, whatever its kind.
// The path goes through '../worker/' so that it resolves the same from dist/worker/,
// dist/supervisor/ and the bundled supervisor in dist/cli/.
export const RUNTIME_BUNDLE = fileURLToPath(new URL('../worker/runtime.cjs', import.meta.url));

/** The execArgv that preloads the worker runtime, before the app's own node_args. */
export const RUNTIME_PRELOAD_ARGS: readonly string[] = ['--require', RUNTIME_BUNDLE];
