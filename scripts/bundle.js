// After tsc: bundle the two entries that run in long-lived processes, each into one
// minified CommonJS file. Every ES module a process loads costs it memory of its own
// (module record, source text, Node's ESM loader), and these run once per app and once
// per worker: on 6 apps x 1 worker this takes about 0.75 MB off each supervisor and
// 0.5 MB off each worker (bench/memory.js). Minified, since V8 keeps every script's
// source in the heap; the source maps beside them map a stack trace back.
//
//   dist/cli/supervise-main.cjs   the background supervisor (`drover start`)
//   dist/worker/runtime.cjs       the runtime preloaded into workers (--require)
//   dist/worker/local-link.cjs    drover/worker's store outside drover (`node server.js`),
//                                 required by dist/worker/api.cjs only then: CommonJS, so
//                                 that a CommonJS app's require() can load it
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));

// `import.meta.url` becomes the bundle's own URL. The bundles stay in the folders of
// their entries, so that `new URL('../worker/…', import.meta.url)` (the launcher
// finding the runtime) resolves as it does unbundled.
const IMPORT_META_URL = fileURLToPath(new URL('./import-meta-url.js', import.meta.url));

for (const [entry, outfile] of [
  ['cli/supervise-main.js', 'cli/supervise-main.cjs'],
  ['worker/runtime.js', 'worker/runtime.cjs'],
  ['worker/local-link.js', 'worker/local-link.cjs'],
]) {
  await build({
    entryPoints: [`${dist}${entry}`],
    outfile: `${dist}${outfile}`,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    sourcemap: 'linked',
    // Only drover's own files go in; a package import here would be a mistake (the
    // supervisor must not load commander or zod), so it stays external and visible.
    packages: 'external',
    define: { 'import.meta.url': 'importMetaUrl' },
    inject: [IMPORT_META_URL],
    logLevel: 'warning',
  });
}
