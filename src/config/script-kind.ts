import { closeSync, openSync, readSync } from 'node:fs';
import path from 'node:path';

// Whether Node.js runs a script, decided by its name and, where the name does not say,
// by its content: express-generator's `bin/www` and `node_modules/.bin/next` have no
// extension but a `#!/usr/bin/env node` line; `redis-server` is a binary.

const NODE_EXTENSION = /\.(c|m)?(j|t)s$/;
/** How much of a file is read to decide: a shebang line, and enough to tell text from binary. */
const HEAD_BYTES = 512;

/**
 * What runs a script, by its content: `node` (a Node.js extension, a #! line that runs
 * node, or any other text, as PM2 runs it with node), `self` (a #! line of another
 * program, or a binary: the file is executed), or `unreadable`.
 */
export type ScriptKind = { kind: 'node' } | { kind: 'self'; what: string } | { kind: 'unreadable' };

export function scriptKind(script: string): ScriptKind {
  if (NODE_EXTENSION.test(script)) return { kind: 'node' };
  const head = readHead(script);
  if (head === undefined) return { kind: 'unreadable' };
  const text = head.toString('latin1');
  const shebang = /^#!\s*(\S+)(?:[ \t]+(\S+))?/.exec(text);
  if (shebang) {
    // `#!/usr/bin/env node`, `#!/usr/bin/env -S node --flag`, `#!/usr/local/bin/node`.
    const [, program, argument] = shebang;
    const interpreter = path.basename(program!) === 'env' ? argument === '-S' ? /^#!\s*\S+\s+-S\s+(\S+)/.exec(text)?.[1] : argument : program;
    return interpreter !== undefined && /^node(js)?$/.test(path.basename(interpreter))
      ? { kind: 'node' }
      : { kind: 'self', what: `its #! line runs ${interpreter ?? program}` };
  }
  if (head.includes(0)) return { kind: 'self', what: 'it is a binary' };
  return { kind: 'node' };
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
