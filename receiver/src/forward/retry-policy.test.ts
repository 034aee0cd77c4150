import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { classifyStatus, parseRetryAfter, retryDelayMs } from './retry-policy.ts';

describe('classifyStatus', () => {
  it('follows OTLP: 2xx delivered, 429/502/503/504 (and 408) retried, other 4xx permanent', () => {
    for (const s of [200, 202, 204]) assert.equal(classifyStatus(s), 'delivered');
    for (const s of [408, 429, 502, 503, 504]) assert.equal(classifyStatus(s), 'retry');
    for (const s of [400, 401, 403, 404, 405, 413, 415, 301]) assert.equal(classifyStatus(s), 'permanent');
    for (const s of [500, 501, 505]) assert.equal(classifyStatus(s), 'retry-limited');
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it('reads delta-seconds and HTTP-dates', () => {
    assert.equal(parseRetryAfter('3', now), 3000);
    assert.equal(parseRetryAfter(' 0 ', now), 0);
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now), 5000);
    assert.equal(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now), 0);
  });
  it('ignores what is absent or malformed', () => {
    for (const v of [null, '', '-1', '1.5', 'soon', '12abc', '99999999999999999999x']) assert.equal(parseRetryAfter(v, now), null, String(v));
  });
});

describe('retryDelayMs', () => {
  const retry = { initialDelayMs: 100, maxDelayMs: 1000 };
  it('grows exponentially with jitter between half and all of the step, capped', () => {
    assert.equal(retryDelayMs(0, retry, null, () => 0), 50);
    assert.equal(retryDelayMs(0, retry, null, () => 1), 100);
    assert.equal(retryDelayMs(2, retry, null, () => 1), 400);
    assert.equal(retryDelayMs(10, retry, null, () => 1), 1000);
    assert.equal(retryDelayMs(10_000, retry, null, () => 0.5), 750);
  });
  it('uses Retry-After, capped by maxDelayMs', () => {
    assert.equal(retryDelayMs(0, retry, 700), 700);
    assert.equal(retryDelayMs(0, retry, 60_000), 1000);
    assert.equal(retryDelayMs(0, retry, 0), 100, 'Retry-After: 0 does not make a busy loop');
  });
});
