import { createHash, timingSafeEqual } from 'node:crypto';
import type { AppOptions } from '../config/app-schema.js';
import { isLoopback } from '../config/loopback.js';
import { DroverError } from '../errors/index.js';

// Who may use the admin listener. Over TCP the owner's socket permissions protect
// nothing: a host other than loopback needs a bearer token (admin_token, else the
// supervisor's DROVER_ADMIN_TOKEN), and once there is a token every route but the
// probes (when admin_public_probes, the default) asks for it, on loopback too.

/** The variable a token may come from instead of admin_token (kept out of config files and `ps`). */
export const TOKEN_VARIABLE = 'DROVER_ADMIN_TOKEN';
/** Shorter tokens are refused: a bearer token is a password that a network can try. */
export const MIN_TOKEN_LENGTH = 16;

/** How the admin listener of one app lets requests in. */
export interface AdminAccess {
  host: string;
  port: number;
  /** The token's digest, compared in constant time; undefined: no token (loopback only). */
  tokenDigest: Buffer | undefined;
  publicProbes: boolean;
}

/**
 * The admin listener's settings for an app, checked: undefined when it has none
 * (admin_port not set). Throws DROVER_E_ADMIN_LISTENER for a host other than loopback
 * without a token, or a DROVER_ADMIN_TOKEN that is too short.
 */
export function adminAccess(app: AppOptions, env: Readonly<Record<string, string | undefined>> = process.env): AdminAccess | undefined {
  if (app.admin_port === undefined) return undefined;
  const fromEnv = env[TOKEN_VARIABLE] || undefined;
  if (app.admin_token === undefined && fromEnv !== undefined && fromEnv.length < MIN_TOKEN_LENGTH) {
    throw new DroverError('DROVER_E_ADMIN_LISTENER', `${app.name}: ${TOKEN_VARIABLE} is ${fromEnv.length} characters; the admin token must have at least ${MIN_TOKEN_LENGTH}`);
  }
  const token = app.admin_token ?? fromEnv;
  if (token === undefined && !isLoopback(app.admin_host)) {
    throw new DroverError(
      'DROVER_E_ADMIN_LISTENER',
      `${app.name}: admin_host '${app.admin_host}' is not loopback, so the admin listener needs a token: set admin_token in the app's config, or ${TOKEN_VARIABLE} in drover's environment (at least ${MIN_TOKEN_LENGTH} characters; \`openssl rand -hex 32\` makes one); or leave admin_host at 127.0.0.1`,
    );
  }
  return { host: app.admin_host, port: app.admin_port, tokenDigest: token === undefined ? undefined : digest(token), publicProbes: app.admin_public_probes };
}

export { isLoopback };

/** Whether an Authorization header carries the token, compared in constant time (digests of equal length). */
export function hasToken(authorization: string | undefined, tokenDigest: Buffer): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return match !== null && tokenMatches(match[1]!, tokenDigest);
}

/** Whether `token` is the admin token, compared in constant time (digests of equal length). */
export function tokenMatches(token: string, tokenDigest: Buffer): boolean {
  return timingSafeEqual(digest(token), tokenDigest);
}

/**
 * The cookie that carries the token for a browser (the dashboard), named after the
 * port: cookies are not kept apart by port, and each app's listener has its own token.
 */
export const tokenCookieName = (port: number) => `drover_token_${port}`;

/** Whether a Cookie header carries the token in the cookie `name`, compared in constant time. */
export function hasCookieToken(cookie: string | undefined, name: string, tokenDigest: Buffer): boolean {
  for (const pair of (cookie ?? '').split(';')) {
    const at = pair.indexOf('=');
    if (at > 0 && pair.slice(0, at).trim() === name) {
      let value = pair.slice(at + 1).trim();
      try {
        value = decodeURIComponent(value);
      } catch {
        return false;
      }
      return tokenMatches(value, tokenDigest);
    }
  }
  return false;
}

const digest = (token: string) => createHash('sha256').update(token, 'utf8').digest();
