import type { AppOptions } from './app-schema.js';

const SECRET_NAME = /KEY|SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL/i;

/** Hide the values of variables whose names say they are secrets, for anything drover prints or serves. */
export function maskEnv(env: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([key, value]) => [key, SECRET_NAME.test(key) ? '********' : value]));
}

/** An app's options as drover prints or serves them: secret variables and the admin token masked. */
export function maskApp(app: AppOptions): AppOptions {
  return { ...app, env: maskEnv(app.env), ...(app.admin_token === undefined ? {} : { admin_token: '********' }) };
}
