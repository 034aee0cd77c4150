import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FastifyRequest } from 'fastify';
import { Authenticator } from '../auth.ts';
import { QUERY_COSTS, QueryGate, queryCost } from './query-limits.ts';
import { RateLimitedError, RateLimiter } from './rate-limiter.ts';
import type { RateLimits } from './rate-limiter.ts';

const READ = 'read-token-for-query-limits-01';
const OTHER_READ = 'read-token-for-query-limits-02';
const ADMIN = 'admin-token-for-query-limits-1';
const QUERY: RateLimits = { requestsPerSecond: 4, burstRequests: 8, bytesPerSecond: 0, burstBytes: 0 };

function clock(start = 5_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => { t += ms; } };
}

function gate(now: () => number, required = false) {
  const auth = new Authenticator(
    { required, defaultTenant: 'default', tenants: [{ id: 'shop', writeKeys: [], readTokens: [READ, OTHER_READ], adminTokens: [ADMIN] }], keyFile: '', keyFilePollMs: 1000, allowKeylessDeletion: false },
    { queryRateLimit: QUERY },
  );
  const limited: string[] = [];
  return { gate: new QueryGate({ auth, limiter: new RateLimiter(now), onLimited: (who) => limited.push(who.tenant) }), limited };
}

function req(url: string | undefined, secret?: string): FastifyRequest {
  return { headers: secret ? { authorization: `Bearer ${secret}` } : {}, routeOptions: { url } } as unknown as FastifyRequest;
}

test('costs: an events stream 2, an export 10, everything else 1', () => {
  assert.equal(queryCost('/api/v1/sessions'), 1);
  assert.equal(queryCost('/api/v1/sessions/:sessionId'), 1);
  assert.equal(queryCost('/api/v1/sessions/:sessionId/segments/:windowId/:seq'), 1);
  assert.equal(queryCost('/api/v1/sessions/:sessionId/events'), QUERY_COSTS.eventsStream);
  assert.equal(queryCost('/api/v1/sessions/:sessionId/export.html'), QUERY_COSTS.export);
  assert.equal(queryCost('/api/v1/users/:userId/sessions'), 1);
  assert.equal(queryCost(undefined), 1, 'an unmatched path under /api/v1 costs a request too');
  assert.deepEqual(QUERY_COSTS, { request: 1, eventsStream: 2, export: 10 });
});

test('a key over its bucket gets RateLimitedError (429) with the wait, then recovers as it refills', () => {
  const c = clock();
  const { gate: g, limited } = gate(c.now);
  for (let i = 0; i < 4; i++) assert.equal(g.admit(req('/api/v1/sessions/:sessionId/events', READ), 'read').tenant, 'shop');
  assert.throws(() => g.admit(req('/api/v1/sessions', READ), 'read'), (err: unknown) =>
    err instanceof RateLimitedError && err.statusCode === 429 && err.retryAfterSeconds === 1
    && /^read token config:[0-9a-f]{12} is over its query rate limit \(4 requests\/s, bursts of 8; an events stream counts as 2 requests, an export as 10\); retry after 1 s$/.test(err.message));
  assert.deepEqual(limited, ['shop']);
  // Another token of the same tenant has its own bucket.
  assert.equal(g.admit(req('/api/v1/sessions', OTHER_READ), 'read').tenant, 'shop');
  c.advance(250);
  assert.equal(g.admit(req('/api/v1/sessions', READ), 'read').tenant, 'shop', 'a quarter second at 4/s refills one');
  assert.throws(() => g.admit(req('/api/v1/sessions', READ), 'read'), RateLimitedError);
});

test('an export from a full bucket passes and leaves the debt to wait for; deletions count against the admin token', () => {
  const c = clock();
  const { gate: g } = gate(c.now);
  assert.equal(g.admit(req('/api/v1/sessions/:sessionId/export.html', READ), 'read').tenant, 'shop');
  assert.throws(() => g.admit(req('/api/v1/sessions', READ), 'read'), (err: unknown) => err instanceof RateLimitedError && err.retryAfterSeconds === 1, '2 tokens of debt + 1 at 4/s = 0.75 s');
  for (let i = 0; i < 8; i++) g.admit(req('/api/v1/sessions/:sessionId', ADMIN), 'delete');
  assert.throws(() => g.admit(req('/api/v1/sessions/:sessionId', ADMIN), 'delete'), (err: unknown) => err instanceof RateLimitedError && /^admin token config:/.test(err.message));
});

test('keyless requests share one bucket per tenant; auth errors come before any token is taken', () => {
  const c = clock();
  const { gate: g } = gate(c.now);
  for (let i = 0; i < 8; i++) g.admit(req('/api/v1/sessions'), 'read');
  assert.throws(() => g.admit(req('/api/v1/sessions'), 'read'), (err: unknown) => err instanceof RateLimitedError && /^tenant default \(requests without a token\) is over its query rate limit/.test(err.message));
  assert.equal(g.admit(req('/api/v1/sessions', READ), 'read').tenant, 'shop', 'a token is not in the keyless bucket');
  const strict = gate(clock().now, true).gate;
  for (let i = 0; i < 20; i++) assert.throws(() => strict.admit(req('/api/v1/sessions'), 'read'), /missing read token/);
  assert.equal(strict.admit(req('/api/v1/sessions', READ), 'read').tenant, 'shop', 'refused requests took nothing from any bucket');
});
