import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FastifyRequest } from 'fastify';
import { AuthError, Authenticator } from './auth.ts';
import { digestOf } from './keys/key-file.ts';
import type { KeyRecord } from './keys/key-file.ts';
import type { RateLimits } from './limits/rate-limiter.ts';

const CONFIG_WRITE = 'config-write-key-0123456789';
const CONFIG_READ = 'config-read-token-0123456789';
const CONFIG_ADMIN = 'config-admin-token-0123456789';
const FILE_WRITE = 'orp_wk_file-write-0123456789';
const FILE_READ = 'orp_rt_file-read-0123456789';
const FILE_ADMIN = 'orp_at_file-admin-0123456789';
const LIMITS: RateLimits = { requestsPerSecond: 5, burstRequests: 10, bytesPerSecond: 1000, burstBytes: 2000 };
const QUERY_LIMITS: RateLimits = { requestsPerSecond: 20, burstRequests: 200, bytesPerSecond: 0, burstBytes: 0 };
const NOW = Date.parse('2025-06-01T12:00:00.000Z');

function req(headers: Record<string, string>): FastifyRequest {
  return { headers } as unknown as FastifyRequest;
}
const bearer = (secret: string, extra: Record<string, string> = {}) => req({ authorization: `Bearer ${secret}`, ...extra });

function rec(over: Partial<KeyRecord> & { secret: string }): KeyRecord {
  const { secret, ...rest } = over;
  return { id: 'k_file000001', tenant: 'acme', role: 'write', digest: digestOf(secret), label: 'web', createdAt: '2025-01-01T00:00:00.000Z', expiresAt: null, revokedAt: null, scope: {}, ...rest };
}

function auth(required = true, allowKeylessDeletion = false): Authenticator {
  const a = new Authenticator(
    { required, defaultTenant: 'default', tenants: [{ id: 'cfg', writeKeys: [CONFIG_WRITE], readTokens: [CONFIG_READ], adminTokens: [CONFIG_ADMIN] }], keyFile: '', keyFilePollMs: 1000, allowKeylessDeletion },
    { rateLimit: LIMITS, queryRateLimit: QUERY_LIMITS, now: () => NOW },
  );
  a.useKeyFile({ version: 1, keys: [rec({ secret: FILE_WRITE })] });
  return a;
}

function refused(fn: () => unknown, status: number, message: RegExp): void {
  assert.throws(fn, (err: unknown) => err instanceof AuthError && err.statusCode === status && message.test(err.message));
}

test('config keys and key-file keys both identify their tenant, key id and limits', () => {
  const a = auth();
  const c = a.identify(bearer(CONFIG_WRITE), 'write');
  assert.equal(c.tenant, 'cfg');
  assert.match(c.keyId!, /^config:[0-9a-f]{12}$/);
  assert.equal(c.bucket, c.keyId);
  assert.deepEqual(c.limits, LIMITS);
  const f = a.identify(req({ 'x-otel-replay-key': FILE_WRITE }), 'write');
  assert.deepEqual(f, { tenant: 'acme', keyId: 'k_file000001', role: 'write', bucket: 'k_file000001', limits: LIMITS });
  assert.equal(a.tenantOf(bearer(CONFIG_READ), 'read'), 'cfg');
});

test('X-Scope-OrgID from the client never changes the tenant', () => {
  const a = auth();
  assert.equal(a.tenantOf(bearer(FILE_WRITE, { 'x-scope-orgid': 'victim' }), 'write'), 'acme');
  assert.equal(auth(false).tenantOf(req({ 'x-scope-orgid': 'victim' }), 'write'), 'default');
});

test('missing, unknown and wrong-role credentials: 401 with a message saying what to do', () => {
  const a = auth();
  refused(() => a.identify(req({}), 'write'), 401, /missing write key: send Authorization: Bearer/);
  refused(() => a.identify(req({}), 'read'), 401, /missing read token/);
  refused(() => a.identify(bearer('orp_wk_not-a-real-key-000000000'), 'write'), 401, /unknown write key: .*npm run keys -- create/);
  refused(() => a.identify(bearer(CONFIG_READ), 'write'), 401, /a read credential cannot be used to ingest/);
  refused(() => a.identify(bearer(FILE_WRITE), 'read'), 401, /a write credential cannot be used to query/);
  refused(() => a.identify(req({ authorization: 'Basic abc' }), 'write'), 401, /missing write key/);
});

test('auth optional: keyless requests go to the default tenant with a per-tenant bucket; a bad key is still refused', () => {
  const a = auth(false);
  assert.deepEqual(a.identify(req({}), 'write'), { tenant: 'default', keyId: null, role: null, bucket: 'tenant:default', limits: LIMITS });
  assert.deepEqual(a.identify(req({}), 'read'), { tenant: 'default', keyId: null, role: null, bucket: 'tenant:default', limits: QUERY_LIMITS }, 'reads use the query limits');
  refused(() => a.identify(bearer('typo-typo-typo-typo-typo'), 'write'), 401, /unknown write key/);
});

test('revoked and expired keys: 401 naming the key and when', () => {
  const a = auth();
  a.useKeyFile({ version: 1, keys: [
    rec({ secret: FILE_WRITE, revokedAt: '2025-06-01T11:00:00.000Z' }),
    rec({ secret: 'orp_wk_expired-0123456789', id: 'k_expired001', expiresAt: '2025-06-01T12:00:00.000Z' }),
    rec({ secret: 'orp_wk_later-0123456789', id: 'k_later00001', expiresAt: '2025-06-01T12:00:01.000Z' }),
  ] });
  refused(() => a.identify(bearer(FILE_WRITE), 'write'), 401, /write key k_file000001 \(web\) was revoked at 2025-06-01T11:00:00.000Z; use its replacement/);
  refused(() => a.identify(bearer('orp_wk_expired-0123456789'), 'write'), 401, /k_expired001 .*expired at 2025-06-01T12:00:00.000Z/);
  assert.equal(a.tenantOf(bearer('orp_wk_later-0123456789'), 'write'), 'acme');
});

test('useKeyFile replaces the file keys as a whole; config keys stay', () => {
  const a = auth();
  a.useKeyFile({ version: 1, keys: [] });
  refused(() => a.identify(bearer(FILE_WRITE), 'write'), 401, /unknown write key/);
  assert.equal(a.tenantOf(bearer(CONFIG_WRITE), 'write'), 'cfg');
  assert.deepEqual(a.keyCounts(), { config: 3, file: 0 });
});

test('origin scope: only listed origins may use the write key (403 otherwise, Origin required)', () => {
  const a = auth();
  a.useKeyFile({ version: 1, keys: [rec({ secret: FILE_WRITE, scope: { origins: ['https://shop.example'] }, rateLimit: { requestsPerSecond: 1 } })] });
  const ok = a.identify(bearer(FILE_WRITE, { origin: 'https://shop.example' }), 'write');
  assert.equal(ok.tenant, 'acme');
  assert.deepEqual(ok.limits, { ...LIMITS, requestsPerSecond: 1 }, 'per-key override on top of the defaults');
  refused(() => a.identify(bearer(FILE_WRITE, { origin: 'https://evil.example' }), 'write'), 403, /k_file000001 may not be used from origin https:\/\/evil.example; its scope allows https:\/\/shop.example/);
  refused(() => a.identify(bearer(FILE_WRITE), 'write'), 403, /without an Origin header/);
});

test('three roles: write ingests only, read queries only, admin queries and deletes', () => {
  const a = auth();
  a.useKeyFile({ version: 1, keys: [
    rec({ secret: FILE_WRITE }),
    rec({ secret: FILE_READ, id: 'k_read000001', role: 'read', label: 'grafana' }),
    rec({ secret: FILE_ADMIN, id: 'k_admin00001', role: 'admin', label: 'privacy' }),
  ] });
  // Admin is a superset of read for its tenant, with the query limits.
  assert.deepEqual(a.identify(bearer(FILE_ADMIN), 'read'), { tenant: 'acme', keyId: 'k_admin00001', role: 'admin', bucket: 'k_admin00001', limits: QUERY_LIMITS });
  assert.equal(a.identify(bearer(FILE_ADMIN), 'delete').tenant, 'acme');
  assert.equal(a.tenantOf(bearer(CONFIG_ADMIN), 'delete'), 'cfg');
  assert.equal(a.tenantOf(bearer(CONFIG_ADMIN), 'read'), 'cfg');
  assert.equal(a.identify(bearer(FILE_READ), 'read').role, 'read');
  // A read token is a good credential without the permission: 403, saying what to do.
  refused(() => a.identify(bearer(FILE_READ), 'delete'), 403, /^read token k_read000001 \(grafana\) cannot delete; use an admin token \(npm run keys -- create --tenant acme --role admin\)$/);
  refused(() => a.identify(bearer(CONFIG_READ), 'delete'), 403, /cannot delete; use an admin token \(npm run keys -- create --tenant cfg --role admin\)/);
  refused(() => a.identify(bearer(FILE_WRITE), 'delete'), 401, /^a write credential cannot be used to delete; use an admin token$/);
  // An admin token never ingests.
  refused(() => a.identify(bearer(FILE_ADMIN), 'write'), 401, /^an admin credential cannot be used to ingest; use a write key$/);
  refused(() => a.identify(bearer(CONFIG_ADMIN), 'write'), 401, /admin credential cannot be used to ingest/);
  refused(() => a.identify(bearer('orp_at_unknown-0123456789'), 'delete'), 401, /unknown admin token: .*--role admin/);
  refused(() => a.identify(req({}), 'delete'), 401, /missing admin token/);
});

test('revoked and expired admin tokens are refused for deleting and for reading', () => {
  const a = auth();
  a.useKeyFile({ version: 1, keys: [
    rec({ secret: FILE_ADMIN, id: 'k_admin00001', role: 'admin', revokedAt: '2025-06-01T11:00:00.000Z' }),
    rec({ secret: 'orp_at_expired-0123456789', id: 'k_admin00002', role: 'admin', expiresAt: '2025-06-01T12:00:00.000Z' }),
  ] });
  for (const access of ['delete', 'read'] as const) {
    refused(() => a.identify(bearer(FILE_ADMIN), access), 401, /^admin token k_admin00001 \(web\) was revoked at 2025-06-01T11:00:00.000Z; use its replacement$/);
    refused(() => a.identify(bearer('orp_at_expired-0123456789'), access), 401, /admin token k_admin00002 .*expired at 2025-06-01T12:00:00.000Z/);
  }
});

test('auth optional: keyless requests read the default tenant but delete only when allowKeylessDeletion is set', () => {
  const closed = auth(false);
  assert.equal(closed.tenantOf(req({}), 'read'), 'default');
  refused(() => closed.identify(req({}), 'delete'), 401, /missing admin token: deleting sessions needs one even while auth is optional; create it with `npm run keys -- create --tenant default --role admin`.*auth\.allowKeylessDeletion/);
  // A token still decides, keyless or not.
  assert.equal(closed.tenantOf(bearer(CONFIG_ADMIN), 'delete'), 'cfg');
  refused(() => closed.identify(bearer(CONFIG_READ), 'delete'), 403, /cannot delete/);
  const open = auth(false, true);
  assert.deepEqual(open.identify(req({}), 'delete'), { tenant: 'default', keyId: null, role: null, bucket: 'tenant:default', limits: QUERY_LIMITS });
  refused(() => open.identify(bearer(CONFIG_READ), 'delete'), 403, /cannot delete/);
  // Auth required: allowKeylessDeletion does not open anything.
  refused(() => auth(true, true).identify(req({}), 'delete'), 401, /missing admin token: send Authorization: Bearer <admin token>/);
});

test("a read or admin token's own requests-per-second applies to the query API; byte fields do not", () => {
  const a = auth();
  a.useKeyFile({ version: 1, keys: [
    rec({ secret: FILE_READ, id: 'k_read000001', role: 'read', rateLimit: { requestsPerSecond: 2, bytesPerSecond: 5 } }),
    rec({ secret: FILE_ADMIN, id: 'k_admin00001', role: 'admin', rateLimit: { requestsPerSecond: 0, burstRequests: 7 } }),
  ] });
  assert.deepEqual(a.identify(bearer(FILE_READ), 'read').limits, { ...QUERY_LIMITS, requestsPerSecond: 2 });
  assert.deepEqual(a.identify(bearer(FILE_ADMIN), 'delete').limits, { ...QUERY_LIMITS, requestsPerSecond: 0, burstRequests: 7 }, '0 = this token is not limited');
  assert.deepEqual(a.identify(bearer(CONFIG_READ), 'read').limits, QUERY_LIMITS);
});
