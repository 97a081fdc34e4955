import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { adminAccess, hasToken, isLoopback } from '../../src/admin/access.js';
import { validateAppOptions } from '../../src/config/index.js';
import { isDroverError } from '../../src/errors/index.js';

// Who may use the admin listener, decided from the config alone.

const app = (options: Record<string, unknown>) => validateAppOptions({ script: 'test/fixtures/apps/slotted.cjs', ...options });
const TOKEN = 'a-token-of-some-length';

describe('admin listener access', () => {
  it('is off without admin_port', () => {
    assert.equal(adminAccess(app({}), {}), undefined);
  });

  it('on loopback needs no token, and uses one when given', () => {
    assert.equal(adminAccess(app({ admin_port: 9100 }), {})!.tokenDigest, undefined);
    const access = adminAccess(app({ admin_port: 9100 }), { DROVER_ADMIN_TOKEN: TOKEN })!;
    assert.ok(hasToken(`Bearer ${TOKEN}`, access.tokenDigest!));
  });

  it('refuses a host other than loopback without a token, naming both ways to give one', () => {
    assert.throws(
      () => adminAccess(app({ admin_port: 9100, admin_host: '0.0.0.0' }), {}),
      (error) => isDroverError(error) && error.code === 'DROVER_E_ADMIN_LISTENER' && /admin_token/.test(error.message) && /DROVER_ADMIN_TOKEN/.test(error.message),
    );
    assert.ok(adminAccess(app({ admin_port: 9100, admin_host: '0.0.0.0', admin_token: TOKEN }), {})!.tokenDigest);
    assert.ok(adminAccess(app({ admin_port: 9100, admin_host: '0.0.0.0' }), { DROVER_ADMIN_TOKEN: TOKEN })!.tokenDigest);
  });

  it('refuses short tokens, in the config and in the environment', () => {
    assert.throws(() => app({ admin_port: 9100, admin_token: 'short' }), /admin_token: expected a string of at least 16 characters/);
    assert.throws(() => adminAccess(app({ admin_port: 9100 }), { DROVER_ADMIN_TOKEN: 'short' }), /DROVER_ADMIN_TOKEN is 5 characters/);
    assert.throws(() => app({ admin_port: 0 }), /admin_port: expected a port number/);
    assert.throws(() => app({ admin_port: 9100, min_ready: 0 }), /min_ready: expected a positive integer/);
  });

  it('knows loopback addresses', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost']) assert.equal(isLoopback(host), true, host);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', 'example.com', '128.0.0.1']) assert.equal(isLoopback(host), false, host);
  });

  it('takes only the exact token, as a bearer token', () => {
    const { tokenDigest } = adminAccess(app({ admin_port: 9100, admin_token: TOKEN }), {})!;
    assert.equal(hasToken(`Bearer ${TOKEN}`, tokenDigest!), true);
    assert.equal(hasToken(`bearer ${TOKEN}`, tokenDigest!), true);
    for (const header of [undefined, '', TOKEN, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, `Basic ${TOKEN}`, 'Bearer ']) {
      assert.equal(hasToken(header, tokenDigest!), false, String(header));
    }
  });
});
