const SECRET_NAME = /KEY|SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL/i;

/** Hide the values of variables whose names say they are secrets, for anything drover prints or serves. */
export function maskEnv(env: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([key, value]) => [key, SECRET_NAME.test(key) ? '********' : value]));
}
