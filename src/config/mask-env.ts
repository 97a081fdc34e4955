import type { AppOptions } from './app-schema.js';

const SECRET_NAME = /KEY|SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL/i;

/**
 * Hide the values of variables whose names say they are secrets, and the password in a
 * URL (DROVER_REDIS_URL, DATABASE_URL), for anything drover prints or serves.
 */
export function maskEnv(env: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([key, value]) => [key, SECRET_NAME.test(key) ? '********' : maskUrlPassword(value)]));
}

/** "redis://:secret@host:6379/0" -> "redis://:***@host:6379/0"; anything else unchanged. */
export function maskUrlPassword(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/:@\s]*:)[^@/\s]+@/i, '$1***@');
}

/** An app's options as drover prints or serves them: secret variables, the store's Redis password and the admin token masked. */
export function maskApp(app: AppOptions): AppOptions {
  return {
    ...app,
    env: maskEnv(app.env),
    store: app.store && { ...app.store, redis: maskUrlPassword(app.store.redis) },
    ...(app.admin_token === undefined ? {} : { admin_token: '********' }),
  };
}
