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
 * (x-forwarded-for) is the client as the nearest trusted proxy saw it. It runs for
 * every new connection, so it scans the head line by line for the one name it needs,
 * rather than splitting the whole head.
 */
export function keyFromHead(head: string, key: StickyKey, trustedProxies = 1): string | undefined {
  const blank = head.indexOf('\r\n\r\n');
  const end = blank >= 0 ? blank : head.length;
  const firstLine = head.indexOf('\r\n');
  if (key.kind === 'sid') return /[?&]sid=([^&\s]+)/.exec(head.slice(0, firstLine >= 0 && firstLine < end ? firstLine : end))?.[1];
  const values = headerValues(head, firstLine, end, key.kind === 'cookie' ? 'cookie' : key.kind === 'header' ? key.name : '');
  if (values.length === 0) return undefined;
  if (key.kind === 'cookie') return cookieValue(values.join(';'), key.name);
  // A list (x-forwarded-for: client, proxy1, proxy2): the entry the trusted proxies vouch for.
  const entries = values.join(',').split(',').map((entry) => entry.trim()).filter(Boolean);
  return entries[Math.max(0, entries.length - trustedProxies)];
}

/** The values of every header line named `name` (lower case) between the request line and `end`. */
function headerValues(head: string, firstLine: number, end: number, name: string): string[] {
  const values: string[] = [];
  if (firstLine < 0) return values;
  for (let at = firstLine + 2; at < end; ) {
    const next = head.indexOf('\r\n', at);
    const lineEnd = next >= 0 && next < end ? next : end;
    const colon = head.indexOf(':', at);
    // Most lines are told apart by the length of their name alone.
    if (colon - at === name.length && head.slice(at, colon).toLowerCase() === name) values.push(head.slice(colon + 1, lineEnd).trim());
    at = lineEnd + 2;
  }
  return values;
}

/** `name`'s value in a Cookie header ("a=1; name=value"), or undefined if absent or empty. */
function cookieValue(cookies: string, name: string): string | undefined {
  for (let at = 0; at < cookies.length; ) {
    const semicolon = cookies.indexOf(';', at);
    const pairEnd = semicolon >= 0 ? semicolon : cookies.length;
    const equals = cookies.indexOf('=', at);
    if (equals > at && equals < pairEnd && cookies.slice(at, equals).trim() === name) return cookies.slice(equals + 1, pairEnd).trim() || undefined;
    at = pairEnd + 1;
  }
  return undefined;
}
