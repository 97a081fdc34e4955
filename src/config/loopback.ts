import { isIP } from 'node:net';

/** Whether `host` names this machine only: 127.0.0.0/8, ::1 (bracketed or not) or localhost. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  const bare = host.replace(/^\[|\]$/g, '');
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1' || bare === '::ffff:127.0.0.1';
}
