import { readFileSync } from 'node:fs';
import { InvalidOptionError } from '../errors/index.js';

// PM2 takes `uid`/`gid` as names or numbers; Node's fork() needs numbers.

/** A user name or id -> numeric uid, from /etc/passwd. */
export function resolveUserId(value: number | string, field: string): number {
  return resolveId(value, '/etc/passwd', field, 'user');
}

/** A group name or id -> numeric gid, from /etc/group. */
export function resolveGroupId(value: number | string, field: string): number {
  return resolveId(value, '/etc/group', field, 'group');
}

function resolveId(value: number | string, file: string, field: string, what: string): number {
  if (typeof value === 'number') return value;
  if (/^\d+$/.test(value)) return Number(value);
  let table = '';
  try {
    table = readFileSync(file, 'utf8');
  } catch {
    // No such file (not Linux): the name cannot be resolved.
  }
  for (const line of table.split('\n')) {
    const [name, , id] = line.split(':');
    if (name === value && id !== undefined) return Number(id);
  }
  throw new InvalidOptionError([`${field}: no ${what} named '${value}' in ${file}`]);
}
