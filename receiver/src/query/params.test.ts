import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { QueryParamError, SearchLimits, parseEventsParams, parseSearchParams, parseTimestamp, pathId, pathSeq } from './params.ts';

const NOW = Date.UTC(2024, 4, 10, 12, 0, 0);

function rejects(fn: () => unknown, param: string, pattern: RegExp) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof QueryParamError, `expected QueryParamError, got ${String(err)}`);
    assert.equal(err.statusCode, 400);
    assert.equal(err.param, param);
    assert.match(err.message, pattern);
    return true;
  });
}

test('defaults: last 24 hours, 50 per page, sort left to the index', () => {
  const q = parseSearchParams({}, 'acme', NOW);
  assert.deepEqual(q, { tenant: 'acme', from: NOW - SearchLimits.defaultRangeMs, to: NOW, limit: 50, offset: 0 });
});

test('every filter maps onto the index query', () => {
  const q = parseSearchParams(
    {
      from: '1715000000000', to: '2024-05-10T00:00:00Z', service: 'shop', user: 'u-1', url: '/checkout', minDurationMs: '1000', maxDurationMs: '60000',
      hasErrors: 'true', rageClicks: '1', hasReplay: 'false', browser: 'Firefox', q: 'cart', sort: 'errors', order: 'asc', limit: '500', offset: '20',
    },
    'acme',
    NOW,
  );
  assert.deepEqual(q, {
    tenant: 'acme', from: 1715000000000, to: Date.UTC(2024, 4, 10), limit: 500, offset: 20, sort: 'errors', order: 'asc',
    service: 'shop', userId: 'u-1', url: '/checkout', browser: 'Firefox', text: 'cart', minDurationMs: 1000, maxDurationMs: 60000,
    hasErrors: true, hasRageClicks: true, hasReplay: false,
  });
});

test('only one end of the range given: the other is derived', () => {
  assert.deepEqual([parseSearchParams({ to: '100000000000' }, 't', NOW).from, parseSearchParams({ to: '100000000000' }, 't', NOW).to], [100000000000 - SearchLimits.defaultRangeMs, 100000000000]);
  const q = parseSearchParams({ from: String(NOW - 1000) }, 't', NOW);
  assert.deepEqual([q.from, q.to], [NOW - 1000, NOW]);
});

test('timestamps: epoch ms or ISO 8601; a zone-less date-time is UTC', () => {
  assert.equal(parseTimestamp('from', '0'), 0);
  assert.equal(parseTimestamp('from', '2024-05-01'), Date.UTC(2024, 4, 1));
  assert.equal(parseTimestamp('from', '2024-05-01T10:20'), Date.UTC(2024, 4, 1, 10, 20));
  assert.equal(parseTimestamp('from', '2024-05-01T10:20:30.5+02:00'), Date.UTC(2024, 4, 1, 8, 20, 30, 500));
  rejects(() => parseTimestamp('from', 'yesterday'), 'from', /neither epoch milliseconds nor an ISO 8601/);
  rejects(() => parseTimestamp('to', '2024-02-31'), 'to', /not a valid date/);
  rejects(() => parseTimestamp('to', '2024-13-01'), 'to', /not a valid date/);
  rejects(() => parseTimestamp('from', '999999999999999'), 'from', /past year 9999/);
  rejects(() => parseTimestamp('from', '-5'), 'from', /neither/);
});

test('bad values name the parameter and say what is allowed', () => {
  rejects(() => parseSearchParams({ limit: '0' }, 't', NOW), 'limit', /outside 1\.\.500/);
  rejects(() => parseSearchParams({ limit: '501' }, 't', NOW), 'limit', /outside 1\.\.500/);
  rejects(() => parseSearchParams({ limit: 'ten' }, 't', NOW), 'limit', /must be an integer/);
  rejects(() => parseSearchParams({ offset: '-1' }, 't', NOW), 'offset', /outside/);
  rejects(() => parseSearchParams({ sort: 'random' }, 't', NOW), 'sort', /one of firstSeen, lastSeen, duration, errors, pageViews, clicks/);
  rejects(() => parseSearchParams({ order: 'up' }, 't', NOW), 'order', /one of asc, desc/);
  rejects(() => parseSearchParams({ hasErrors: 'yes' }, 't', NOW), 'hasErrors', /true or false/);
  rejects(() => parseSearchParams({ service: ['a', 'b'] }, 't', NOW), 'service', /given 2 times/);
  rejects(() => parseSearchParams({ q: 'x'.repeat(300) }, 't', NOW), 'q', /300 characters long/);
  rejects(() => parseSearchParams({ from: '2000', to: '1000' }, 't', NOW), 'from', /after to/);
  rejects(() => parseSearchParams({ minDurationMs: '5', maxDurationMs: '4' }, 't', NOW), 'minDurationMs', /larger than maxDurationMs/);
});

test('empty values count as absent', () => {
  const q = parseSearchParams({ service: '', limit: '' }, 't', NOW);
  assert.equal(q.service, undefined);
  assert.equal(q.limit, 50);
});

test('any query string either parses or fails with a QueryParamError', () => {
  const keys = fc.constantFrom('from', 'to', 'limit', 'offset', 'sort', 'order', 'hasErrors', 'minDurationMs', 'q', 'service', 'other');
  fc.assert(
    fc.property(fc.dictionary(keys, fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 3 }), fc.integer())), (raw) => {
      try {
        const q = parseSearchParams(raw, 't', NOW);
        assert.ok(q.limit >= 1 && q.limit <= 500);
        assert.ok(q.from! <= q.to!);
      } catch (err) {
        if (!(err instanceof QueryParamError)) throw err;
      }
    }),
    { numRuns: 500 },
  );
});

test('hostile ids are refused before they reach anything', () => {
  for (const id of ['../../etc/passwd', 'a'.repeat(10_000), 'a\u0000b', '', 'a/b', '..', 'x..y', ' a']) {
    rejects(() => pathId('session id', id), 'session id', /session id/);
  }
  assert.equal(pathId('session id', '0b5c1d2e-7f4a-4c1d-9a3e-1f2b3c4d5e6f'), '0b5c1d2e-7f4a-4c1d-9a3e-1f2b3c4d5e6f');
});

test('seq from the URL is a non-negative 31-bit integer', () => {
  assert.equal(pathSeq('0'), 0);
  assert.equal(pathSeq('2147483647'), 2147483647);
  for (const bad of ['-1', '1.5', '2147483648', 'abc', '', '1e3']) rejects(() => pathSeq(bad), 'seq', /not a segment sequence number/);
});

test('events parameters: at, until, window', () => {
  assert.deepEqual(parseEventsParams({}), {});
  assert.deepEqual(parseEventsParams({ at: '2024-05-01T00:00:00Z', until: '1714521600001', window: 'tab-1' }), { at: 1714521600000, until: 1714521600001, windowId: 'tab-1' });
  rejects(() => parseEventsParams({ at: '2000', until: '1000' }), 'until', /before at/);
  rejects(() => parseEventsParams({ window: '../x' }), 'window', /window/);
  rejects(() => parseEventsParams({ at: 'soon' }), 'at', /neither/);
});
