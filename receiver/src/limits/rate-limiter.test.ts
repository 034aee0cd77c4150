import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateLimiter } from './rate-limiter.ts';
import type { RateLimits } from './rate-limiter.ts';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => { t += ms; } };
}

const REQS: RateLimits = { requestsPerSecond: 2, burstRequests: 4, bytesPerSecond: 0, burstBytes: 0 };
const BYTES: RateLimits = { requestsPerSecond: 0, burstRequests: 0, bytesPerSecond: 1000, burstBytes: 5000 };

test('no limits: everything passes and no bucket is kept', () => {
  const rl = new RateLimiter();
  for (let i = 0; i < 1000; i++) assert.equal(rl.take('k', { requestsPerSecond: 0, burstRequests: 0, bytesPerSecond: 0, burstBytes: 0 }, 1e9).allowed, true);
  assert.equal(rl.size(), 0);
});

test('request bucket: the burst passes, then 429 with the wait until one token refills, then it recovers', () => {
  const c = clock();
  const rl = new RateLimiter(c.now);
  for (let i = 0; i < 4; i++) assert.equal(rl.take('k', REQS, 0).allowed, true, `request ${i} of the burst`);
  const refused = rl.take('k', REQS, 0);
  assert.deepEqual(refused, { allowed: false, retryAfterSeconds: 1, limit: 'requests' });
  c.advance(499);
  assert.equal(rl.take('k', REQS, 0).allowed, false, 'half a token is not enough');
  c.advance(1);
  assert.equal(rl.take('k', REQS, 0).allowed, true, '500 ms at 2/s refills one');
  assert.equal(rl.take('k', REQS, 0).allowed, false);
  c.advance(60_000);
  for (let i = 0; i < 4; i++) assert.equal(rl.take('k', REQS, 0).allowed, true, 'refill stops at the burst');
  assert.equal(rl.take('k', REQS, 0).allowed, false);
});

test('buckets are per key: one key at its limit does not slow another', () => {
  const rl = new RateLimiter(clock().now);
  for (let i = 0; i < 4; i++) rl.take('a', REQS, 0);
  assert.equal(rl.take('a', REQS, 0).allowed, false);
  assert.equal(rl.take('b', REQS, 0).allowed, true);
});

test('byte bucket: Retry-After is the time the missing bytes take to refill, rounded up', () => {
  const c = clock();
  const rl = new RateLimiter(c.now);
  assert.equal(rl.take('k', BYTES, 4000).allowed, true);
  const refused = rl.take('k', BYTES, 3500);
  assert.equal(refused.allowed, false);
  assert.equal(refused.limit, 'bytes');
  assert.equal(refused.retryAfterSeconds, 3, '2500 bytes missing at 1000 B/s → 2.5 s → 3');
  c.advance(2500);
  assert.equal(rl.take('k', BYTES, 3500).allowed, true);
});

test('a refused request takes nothing, so retrying early does not dig deeper', () => {
  const c = clock();
  const rl = new RateLimiter(c.now);
  rl.take('k', BYTES, 5000);
  for (let i = 0; i < 50; i++) assert.equal(rl.take('k', BYTES, 1000).allowed, false);
  c.advance(1000);
  assert.equal(rl.take('k', BYTES, 1000).allowed, true);
});

test('a request larger than the whole burst passes on a full bucket and leaves it in debt', () => {
  const c = clock();
  const rl = new RateLimiter(c.now);
  assert.equal(rl.take('k', BYTES, 20_000).allowed, true);
  const next = rl.take('k', BYTES, 1);
  assert.equal(next.allowed, false);
  assert.equal(next.retryAfterSeconds, 16, '15000 bytes of debt + 1 at 1000 B/s');
  c.advance(15_001);
  assert.equal(rl.take('k', BYTES, 1).allowed, true);
});

test('charge() puts late-known bytes on the bucket without refusing', () => {
  const c = clock();
  const rl = new RateLimiter(c.now);
  assert.equal(rl.take('k', BYTES, 0).allowed, true);
  rl.charge('k', BYTES, 7000);
  assert.equal(rl.take('k', BYTES, 1).allowed, false);
  c.advance(2001);
  assert.equal(rl.take('k', BYTES, 1).allowed, true);
});

test('a rate without a burst gets one second\'s worth', () => {
  const rl = new RateLimiter(clock().now);
  const limits: RateLimits = { requestsPerSecond: 3, burstRequests: 0, bytesPerSecond: 100, burstBytes: 0 };
  for (let i = 0; i < 3; i++) assert.equal(rl.take('k', limits, 10).allowed, true);
  assert.equal(rl.take('k', limits, 10).limit, 'requests');
  assert.equal(rl.take('j', limits, 100).allowed, true);
  assert.equal(rl.take('j', limits, 1).limit, 'bytes');
});

test('both limits: the longer wait decides, and is named', () => {
  const c = clock();
  const rl = new RateLimiter(c.now);
  const both: RateLimits = { requestsPerSecond: 10, burstRequests: 1, bytesPerSecond: 100, burstBytes: 1000 };
  assert.equal(rl.take('k', both, 1000).allowed, true);
  const refused = rl.take('k', both, 500);
  assert.deepEqual(refused, { allowed: false, retryAfterSeconds: 5, limit: 'bytes' });
});

test('cost per call stays flat with many keys (O(1) per request)', () => {
  const rl = new RateLimiter();
  const limits: RateLimits = { requestsPerSecond: 1e9, burstRequests: 1e9, bytesPerSecond: 1e12, burstBytes: 1e12 };
  const time = (keys: number) => {
    for (let i = 0; i < keys; i++) rl.take(`k${i}`, limits, 100);
    const n = 200_000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) rl.take(`k${i % keys}`, limits, 100);
    return Number(process.hrtime.bigint() - t0) / n;
  };
  const small = time(10);
  const large = time(50_000);
  // Generous bound: the point is no growth with the number of keys, and well under a microsecond.
  assert.ok(large < Math.max(small * 10, 2000), `ns per take: ${small.toFixed(0)} with 10 keys, ${large.toFixed(0)} with 50k keys`);
});

test('a heavier request takes several tokens; one heavier than the whole burst passes only from a full bucket, into debt', () => {
  const c = clock();
  const rl = new RateLimiter(c.now);
  assert.equal(rl.take('k', REQS, 0, 3).allowed, true);
  assert.deepEqual(rl.take('k', REQS, 0, 2), { allowed: false, retryAfterSeconds: 1, limit: 'requests' }, 'one token left, two needed: 0.5 s → 1');
  assert.equal(rl.take('k', REQS, 0, 1).allowed, true);
  c.advance(10_000);
  assert.equal(rl.take('k', REQS, 0, 10).allowed, true, 'a full bucket lets a request of 10 through with a burst of 4');
  assert.deepEqual(rl.take('k', REQS, 0, 1), { allowed: false, retryAfterSeconds: 4, limit: 'requests' }, '6 tokens of debt + 1 at 2/s = 3.5 s → 4');
  c.advance(3500);
  assert.equal(rl.take('k', REQS, 0, 1).allowed, true);
});
