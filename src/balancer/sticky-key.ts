import { InvalidOptionError } from '../errors/index.js';

// What a sticky balancer knows a client by (`sticky_key`): its address, or something
// read from the first bytes of its request: a header, a cookie, or Engine.IO's sid.

export type StickyKey = { kind: 'ip' } | { kind: 'header'; name: string } | { kind: 'cookie'; name: string } | { kind: 'sid' };

const CHOICES = "'ip', 'header:<name>', 'cookie:<name>' or 'sid'";

/** "header:x-forwarded-for" -> { kind: 'header', name: 'x-forwarded-for' }; anything else names the choices. */
export function parseStickyKey(spec: string, field = 'sticky_key'): StickyKey {
  if (spec === 'ip' || spec === 'sid') return { kind: spec };
  const at = spec.indexOf(':');
  const [kind, name] = at < 0 ? [spec, ''] : [spec.slice(0, at), spec.slice(at + 1)];
  if ((kind === 'header' || kind === 'cookie') && /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) return { kind, name: kind === 'header' ? name.toLowerCase() : name };
  throw new InvalidOptionError([`${field}: expected ${CHOICES}, got '${spec}'`]);
}

/** Whether the key is read from the request head (so the supervisor must read its first bytes). */
export function needsHead(key: StickyKey): boolean {
  return key.kind !== 'ip';
}

/**
 * The key in a request head (the bytes up to the blank line, or as many as came), or
 * undefined where it is not there. `trustedProxies` says which entry of a list header
 * (x-forwarded-for) is the client as the nearest trusted proxy saw it.
 */
export function keyFromHead(head: string, key: StickyKey, trustedProxies = 1): string | undefined {
  const end = head.indexOf('\r\n\r\n');
  const lines = (end >= 0 ? head.slice(0, end) : head).split('\r\n');
  if (key.kind === 'sid') return /[?&]sid=([^&\s]+)/.exec(lines[0] ?? '')?.[1];
  const values = lines
    .slice(1)
    .map((line) => [line.slice(0, line.indexOf(':')).trim().toLowerCase(), line.slice(line.indexOf(':') + 1).trim()] as const)
    .filter(([name]) => name === (key.kind === 'cookie' ? 'cookie' : key.kind === 'header' ? key.name : ''))
    .map(([, value]) => value);
  if (values.length === 0) return undefined;
  if (key.kind === 'cookie') {
    for (const pair of values.join('; ').split(';')) {
      const at = pair.indexOf('=');
      if (at > 0 && pair.slice(0, at).trim() === key.name) return pair.slice(at + 1).trim() || undefined;
    }
    return undefined;
  }
  // A list (x-forwarded-for: client, proxy1, proxy2): the entry the trusted proxies vouch for.
  const entries = values.join(',').split(',').map((entry) => entry.trim()).filter(Boolean);
  return entries[Math.max(0, entries.length - trustedProxies)];
}
