// Injected into the CommonJS bundles by scripts/bundle.js: what `import.meta.url` was
// in the ES modules, the URL of the file that runs (the bundle).
import { pathToFileURL } from 'node:url';

export const importMetaUrl = pathToFileURL(__filename).href;
