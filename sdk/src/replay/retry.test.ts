import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay, isRetryableStatus, parseRetryAfter, retryDelay } from './retry.ts';

test('only 429/502/503/504 are retryable statuses', () => {
  for (const s of [429, 502, 503, 504]) assert.equal(isRetryableStatus(s), true);
  for (const s of [200, 400, 401, 404, 413, 415, 500, 501]) assert.equal(isRetryableStatus(s), false);
});

test('Retry-After as seconds or HTTP-date; garbage is ignored', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(parseRetryAfter('5', now), 5000);
  assert.equal(parseRetryAfter(' 0 ', now), 0);
  assert.equal(parseRetryAfter('1.5', now), 1500);
  assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now), 30_000);
  assert.equal(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now), 0, 'a date in the past means now');
  for (const bad of [null, undefined, '', '-5', 'soon', '5s', '1e3', 'NaN']) assert.equal(parseRetryAfter(bad, now), null, String(bad));
});

test('backoff doubles from the initial delay, capped, with ±20% jitter', () => {
  const opts = { initialDelayMs: 1000, maxDelayMs: 30_000, maxRetryAfterMs: 60_000 };
  assert.equal(backoffDelay(0, opts, () => 0.5), 1000);
  assert.equal(backoffDelay(1, opts, () => 0.5), 2000);
  assert.equal(backoffDelay(3, opts, () => 0.5), 8000);
  assert.equal(backoffDelay(10, opts, () => 0.5), 30_000);
  assert.equal(backoffDelay(1000, opts, () => 1), 30_000, 'huge attempt numbers stay capped');
  assert.equal(backoffDelay(0, opts, () => 0), 800);
  assert.equal(backoffDelay(0, opts, () => 1), 1200);
});

test('retryDelay prefers the server Retry-After, bounded by maxRetryAfterMs', () => {
  const opts = { initialDelayMs: 1000, maxDelayMs: 30_000, maxRetryAfterMs: 60_000 };
  assert.equal(retryDelay(0, '7', 0, opts, () => 0.5), 7000);
  assert.equal(retryDelay(0, '3600', 0, opts, () => 0.5), 60_000);
  assert.equal(retryDelay(2, null, 0, opts, () => 0.5), 4000);
  assert.equal(retryDelay(2, 'bogus', 0, opts, () => 0.5), 4000);
});
