import { closeSync, openSync, readSync } from 'node:fs';
import path from 'node:path';

// Whether Node.js can run a script, decided by its name and, where the name does not
// say, by its content: express-generator's `bin/www` and `node_modules/.bin/next` have
// no extension but a `#!/usr/bin/env node` line.

const NODE_EXTENSION = /\.(c|m)?(j|t)s$/;
/** How much of a file is read to decide: a shebang line, and enough to tell text from binary. */
const HEAD_BYTES = 512;

/** Undefined when Node.js can run `script`; otherwise why not, in a few words. */
export function whyNotNode(script: string): string | undefined {
  if (NODE_EXTENSION.test(script)) return undefined;
  const head = readHead(script);
  if (head === undefined) return 'it cannot be read';
  const text = head.toString('latin1');
  const shebang = /^#!\s*(\S+)(?:[ \t]+(\S+))?/.exec(text);
  if (shebang) {
    // `#!/usr/bin/env node`, `#!/usr/bin/env -S node --flag`, `#!/usr/local/bin/node`.
    const [, program, argument] = shebang;
    const interpreter = path.basename(program!) === 'env' ? argument === '-S' ? /^#!\s*\S+\s+-S\s+(\S+)/.exec(text)?.[1] : argument : program;
    return interpreter !== undefined && /^node(js)?$/.test(path.basename(interpreter)) ? undefined : `its #! line runs ${interpreter ?? program}, not node`;
  }
  if (head.includes(0)) return 'it is a binary file';
  // Another extension (.py, .sh) with no #! line saying node: not Node's.
  if (path.extname(script) !== '') return `'${path.extname(script)}' is not a Node.js extension`;
  return undefined;
}

function readHead(file: string): Buffer | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const buffer = Buffer.alloc(HEAD_BYTES);
    return buffer.subarray(0, readSync(fd, buffer, 0, HEAD_BYTES, 0));
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
