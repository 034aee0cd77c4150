// The behaviour every SessionIndex engine must share, written once and run against each
// engine for real (sqlite-index.test.ts, postgres-index.test.ts). Each test works in its
// own fresh tenant, so engines that share one database between tests stay independent.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { it } from 'node:test';
import type { SegmentIndexRow } from '@otel-replay/protocol';
import { segmentKey } from './session-index.ts';
import type { PendingLegacyChunk, SessionActivity, SessionIndex, SessionQuery } from './session-index.ts';
import { InvalidIndexInputError, MAX_SESSION_URLS, MAX_STORED_CHARS } from './rows.ts';
import { InvalidSessionQueryError } from './search.ts';

const B = 1_700_000_000_000;

export function freshTenant(): string {
  return `t-${randomUUID().slice(0, 13)}`;
}

export function segmentRow(tenant: string, sessionId: string, windowId: string, seq: number, more: Partial<SegmentIndexRow> = {}): SegmentIndexRow {
  return {
    tenant, sessionId, windowId, seq,
    firstTimestamp: B + seq * 1000, lastTimestamp: B + seq * 1000 + 999, eventCount: 10 + seq, hasFullSnapshot: seq === 0,
    encoding: 'gzip-json', objectKey: `${tenant}/2024/obj-${seq}`, offset: seq * 100, length: 100, receivedAt: B + 5,
    ...more,
  };
}

export function activity(tenant: string, sessionId: string, more: Partial<SessionActivity> = {}): SessionActivity {
  return {
    tenant, sessionId, firstSeen: B, lastSeen: B, service: null, userId: null, entryUrl: null, urls: [],
    browser: null, os: null, device: null, userAgent: null,
    pageViews: 0, clicks: 0, errors: 0, rageClicks: 0, deadClicks: 0, networkFailures: 0, consoleErrors: 0, spans: 0, segments: 0, replayBytes: 0,
    ...more,
  };
}

function q(tenant: string, more: Partial<SessionQuery> = {}): SessionQuery {
  return { tenant, limit: 100, offset: 0, ...more };
}

async function ids(index: SessionIndex, query: SessionQuery): Promise<string[]> {
  return (await index.searchSessions(query)).sessions.map((s) => s.sessionId);
}

async function idSet(index: SessionIndex, query: SessionQuery): Promise<string[]> {
  return (await ids(index, query)).sort();
}

/** Four sessions that every search filter tells apart. */
async function searchFixture(index: SessionIndex, tenant: string): Promise<void> {
  await index.applyActivity([
    activity(tenant, 's1', {
      service: 'shop', userId: 'alice', firstSeen: B, lastSeen: B + 60_000, entryUrl: 'https://shop.example/home',
      urls: ['https://shop.example/home', 'https://shop.example/cart'], browser: 'Chrome', userAgent: 'Mozilla/5.0 Chrome/120',
      errors: 2, segments: 3, pageViews: 2, clicks: 10,
    }),
    activity(tenant, 's2', {
      service: 'shop', userId: 'bob', firstSeen: B + 120_000, lastSeen: B + 720_000, entryUrl: 'https://shop.example/checkout',
      browser: 'Firefox', rageClicks: 1, pageViews: 5, clicks: 3,
    }),
    activity(tenant, 's3', {
      service: 'blog', firstSeen: B + 1_000_000, lastSeen: B + 1_005_000, entryUrl: 'https://blog.example/Post?id=1',
      browser: 'Safari', segments: 1, pageViews: 1,
    }),
    activity(tenant, 's4', {
      service: 'blog', userId: 'ALICE', firstSeen: B + 2_000_000, lastSeen: B + 2_000_000, browser: 'Chrome Mobile', errors: 1, segments: 2, clicks: 1,
    }),
  ]);
}

/** What a test may ask of the engine it opens. */
export interface SuiteOpenOptions {
  /** The clock parked legacy chunks are stamped with (epoch ms). */
  now?: () => number;
}

/** Registers the shared tests; `open` returns a migrated index on the engine's database. */
export function sessionIndexSuite(open: (options?: SuiteOpenOptions) => Promise<SessionIndex>): void {
  const withIndex = async (fn: (index: SessionIndex, tenant: string) => Promise<void>, options?: SuiteOpenOptions): Promise<void> => {
    const index = await open(options);
    try {
      await fn(index, freshTenant());
    } finally {
      await index.close();
    }
  };

  it('migrates idempotently: running migrate again changes nothing and keeps data', () => withIndex(async (index, tenant) => {
    await index.applyActivity([activity(tenant, 'keep', { clicks: 3 })]);
    await index.migrate();
    await index.migrate();
    assert.equal((await index.getSession(tenant, 'keep'))?.clicks, 3);
    await index.ping();
  }));

  it('reports each inserted segment as inserted or duplicate, within one call and across calls', () => withIndex(async (index, tenant) => {
    assert.deepEqual(await index.insertSegments([]), []);
    const a = segmentRow(tenant, 'S', 'w1', 0);
    const b = segmentRow(tenant, 'S', 'w1', 1);
    assert.deepEqual(await index.insertSegments([a, b, { ...a, objectKey: 'other' }]), [true, true, false]);
    const c = segmentRow(tenant, 'S', 'w2', 0);
    assert.deepEqual(await index.insertSegments([b, c, c, a]), [false, true, false, false]);
    const rows = await index.listSegments(tenant, 'S');
    assert.equal(rows.length, 3);
    // The first copy wins: a retry never rewrites where the bytes are.
    assert.equal(rows.find((r) => r.windowId === 'w1' && r.seq === 0)?.objectKey, a.objectKey);
  }));

  it('counts newly inserted segments in their session, in the same call, creating the session', () => withIndex(async (index, tenant) => {
    const a0 = segmentRow(tenant, 'A', 'w1', 0, { length: 100, firstTimestamp: B + 1000, lastTimestamp: B + 1999 });
    const a1 = segmentRow(tenant, 'A', 'w1', 1, { length: 250, firstTimestamp: B + 2000, lastTimestamp: B + 2999 });
    const a2 = segmentRow(tenant, 'A', 'w2', 0, { length: 40, firstTimestamp: B + 500, lastTimestamp: B + 600 });
    const b0 = segmentRow(tenant, 'B', 'w1', 0, { length: 7, firstTimestamp: B + 50, lastTimestamp: B + 60 });
    assert.deepEqual(await index.insertSegments([a0, a1, b0]), [true, true, true]);
    const a = await index.getSession(tenant, 'A');
    assert.deepEqual(a, {
      ...activity(tenant, 'A', { firstSeen: B + 1000, lastSeen: B + 2999, segments: 2, replayBytes: 350 }),
      durationMs: 1999, hasReplay: true,
    });
    assert.deepEqual([(await index.getSession(tenant, 'B'))?.segments, (await index.getSession(tenant, 'B'))?.replayBytes], [1, 7]);
    // A replay-only session is found by search, like any other.
    assert.deepEqual(await idSet(index, q(tenant, { hasReplay: true })), ['A', 'B']);

    // What the session already knows is kept; a new segment only adds its own share.
    await index.applyActivity([activity(tenant, 'A', { service: 'shop', browser: 'Firefox', clicks: 3, firstSeen: B + 1500, lastSeen: B + 1500 })]);
    assert.deepEqual(await index.insertSegments([a2]), [true]);
    const later = await index.getSession(tenant, 'A');
    assert.ok(later);
    assert.deepEqual(
      [later.segments, later.replayBytes, later.firstSeen, later.lastSeen, later.service, later.browser, later.clicks],
      [3, 390, B + 500, B + 2999, 'shop', 'Firefox', 3],
    );
  }));

  it('adds nothing for duplicates, repeated in the same call or sent again later', () => withIndex(async (index, tenant) => {
    const s0 = segmentRow(tenant, 'S', 'w', 0, { length: 100 });
    const s1 = segmentRow(tenant, 'S', 'w', 1, { length: 30 });
    // The copy repeated in the same call claims another size and time: it must not count.
    const s0Again = { ...s0, objectKey: 'retry', length: 999, firstTimestamp: B - 50_000 };
    assert.deepEqual(await index.insertSegments([s0, s0Again, s1, s1]), [true, false, true, false]);
    const once = await index.getSession(tenant, 'S');
    assert.deepEqual([once?.segments, once?.replayBytes, once?.firstSeen], [2, 130, s0.firstTimestamp]);
    assert.deepEqual(await index.insertSegments([s1, s0Again, s0]), [false, false, false]);
    assert.deepEqual(await index.getSession(tenant, 'S'), once);
    const s2 = segmentRow(tenant, 'S', 'w', 2, { length: 5 });
    assert.deepEqual(await index.insertSegments([s0, s2, s1]), [false, true, false]);
    const after = await index.getSession(tenant, 'S');
    assert.deepEqual([after?.segments, after?.replayBytes, after?.lastSeen], [3, 135, s2.lastTimestamp]);
  }));

  it('counts each segment once when two receivers insert overlapping batches at the same time', () => withIndex(async (first, tenant) => {
    const second = await open();
    try {
      // Three sessions, each segment sent by both receivers in opposite orders and in
      // overlapping slices, as two load-balanced receivers see a client's retries.
      const rows = Array.from({ length: 120 }, (_, i) => segmentRow(tenant, `s${i % 3}`, `w${i % 2}`, i, { length: 10 + i }));
      const slices = [rows.slice(0, 80), rows.slice(40), [...rows].reverse().slice(0, 70), [...rows].reverse().slice(30)];
      const results = await Promise.all(slices.map((batch, i) => (i % 2 ? second : first).insertSegments(batch)));
      const insertedBy = new Map<SegmentIndexRow, number>();
      slices.forEach((batch, i) => batch.forEach((r, j) => insertedBy.set(r, (insertedBy.get(r) ?? 0) + Number(results[i]![j]))));
      for (const r of rows) assert.equal(insertedBy.get(r), 1, `segment ${r.seq} reported inserted ${insertedBy.get(r)} times`);
      for (const sessionId of ['s0', 's1', 's2']) {
        const mine = rows.filter((r) => r.sessionId === sessionId);
        const s = await second.getSession(tenant, sessionId);
        assert.ok(s, `session ${sessionId} missing`);
        assert.equal(s.segments, mine.length, `session ${sessionId} segments`);
        assert.equal(s.replayBytes, mine.reduce((n, r) => n + r.length, 0), `session ${sessionId} replay bytes`);
        assert.equal(s.firstSeen, Math.min(...mine.map((r) => r.firstTimestamp)));
        assert.equal(s.lastSeen, Math.max(...mine.map((r) => r.lastTimestamp)));
      }
    } finally {
      await second.close();
    }
  }));

  it('refuses an invalid segment row before writing any row of the batch', () => withIndex(async (index, tenant) => {
    const good = segmentRow(tenant, 'S', 'w', 0);
    const bad = segmentRow(tenant, 'S', 'w', 1, { seq: -1 });
    await assert.rejects(index.insertSegments([good, bad]), (err: Error) => err instanceof InvalidIndexInputError && /seq/.test(err.message));
    await assert.rejects(index.insertSegments([segmentRow(tenant, 'S\u0000x', 'w', 0)]), InvalidIndexInputError);
    await assert.rejects(index.insertSegments([segmentRow(tenant, 'S', 'w', 2, { firstTimestamp: 1.5 })]), InvalidIndexInputError);
    assert.deepEqual(await index.listSegments(tenant, 'S'), []);
    assert.equal(await index.getSession(tenant, 'S'), null, 'a refused batch counts nothing');
  }));

  it('inserts a large batch in one call', () => withIndex(async (index, tenant) => {
    const rows = Array.from({ length: 2000 }, (_, i) => segmentRow(tenant, `s${i % 7}`, `w${i % 3}`, i));
    const flags = await index.insertSegments(rows);
    assert.equal(flags.filter(Boolean).length, 2000);
    assert.equal((await index.insertSegments(rows.slice(0, 50))).filter(Boolean).length, 0);
    const some = await index.listSegments(tenant, 's0');
    assert.equal(some.length, rows.filter((r) => r.sessionId === 's0').length);
  }));

  it('answers which segment keys already exist, per tenant', () => withIndex(async (index, tenant) => {
    await index.insertSegments([segmentRow(tenant, 'S', 'w1', 0), segmentRow(tenant, 'S', 'w1', 1)]);
    const found = await index.existingSegments(tenant, [
      { sessionId: 'S', windowId: 'w1', seq: 1 },
      { sessionId: 'S', windowId: 'w1', seq: 2 },
      { sessionId: 'S', windowId: 'w9', seq: 0 },
      { sessionId: 'S\u0000', windowId: 'w1', seq: 0 },
    ]);
    assert.deepEqual([...found], [segmentKey('S', 'w1', 1)]);
    assert.equal((await index.existingSegments(freshTenant(), [{ sessionId: 'S', windowId: 'w1', seq: 0 }])).size, 0);
    assert.equal((await index.existingSegments(tenant, [])).size, 0);
  }));

  it('lists segments by (window, seq), not by time, with every field intact', () => withIndex(async (index, tenant) => {
    // Timestamps run backwards against seq: a skewed clock must not reorder playback.
    const rows = [
      segmentRow(tenant, 'S', 'w-b', 1, { firstTimestamp: B + 10, lastTimestamp: B + 11 }),
      segmentRow(tenant, 'S', 'w-a', 2, { firstTimestamp: B + 1, lastTimestamp: B + 2 }),
      segmentRow(tenant, 'S', 'w-a', 0, { firstTimestamp: B + 900, lastTimestamp: B + 901, hasFullSnapshot: true }),
      segmentRow(tenant, 'S', 'w-b', 0, { firstTimestamp: B + 500, lastTimestamp: B + 600, encoding: 'json' }),
      segmentRow(tenant, 'S', 'w-a', 1, { firstTimestamp: B + 5, lastTimestamp: B + 6, offset: 2 ** 40, length: 2 ** 33 }),
      segmentRow(tenant, 'other', 'w-a', 0),
    ];
    await index.insertSegments(rows);
    const listed = await index.listSegments(tenant, 'S');
    assert.deepEqual(listed.map((r) => `${r.windowId}/${r.seq}`), ['w-a/0', 'w-a/1', 'w-a/2', 'w-b/0', 'w-b/1']);
    assert.deepEqual(listed[1], rows[4]);
    assert.deepEqual(listed[3], rows[3]);
    assert.equal(listed[0]!.hasFullSnapshot, true);
    assert.equal(listed[2]!.hasFullSnapshot, false);
    assert.deepEqual((await index.listSegments(tenant, 'S', 'w-b')).map((r) => r.seq), [0, 1]);
    assert.deepEqual(await index.listSegments(tenant, 'S', 'nope'), []);
    assert.deepEqual(await index.listSegments(tenant, 'missing'), []);
  }));

  it('accumulates activity: counters add, times widen, entry URL stays, latest non-null strings win', () => withIndex(async (index, tenant) => {
    assert.equal(await index.getSession(tenant, 'S'), null);
    await index.applyActivity([activity(tenant, 'S', {
      firstSeen: B + 1000, lastSeen: B + 2000, service: 'shop', userId: null, entryUrl: 'https://a.example/start',
      urls: ['https://a.example/start', 'https://a.example/2'], browser: 'Chrome', os: 'Linux', device: 'desktop', userAgent: 'UA1',
      pageViews: 2, clicks: 5, errors: 1, rageClicks: 1, deadClicks: 2, networkFailures: 3, consoleErrors: 4, spans: 6, segments: 0, replayBytes: 0,
    })]);
    await index.applyActivity([
      activity(tenant, 'S', {
        firstSeen: B + 500, lastSeen: B + 1500, service: null, userId: 'u-42', entryUrl: 'https://a.example/later',
        urls: ['https://a.example/2', 'https://a.example/3'], browser: null, os: 'Android', userAgent: null,
        pageViews: 1, clicks: 1, segments: 2, replayBytes: 3_000_000_000,
      }),
      // A second delta of the same session in the same call.
      activity(tenant, 'S', { firstSeen: B + 9000, lastSeen: B + 8000, clicks: 10, errors: 2 }),
    ]);
    const s = await index.getSession(tenant, 'S');
    assert.ok(s);
    assert.equal(s.firstSeen, B + 500);
    assert.equal(s.lastSeen, B + 9000);
    assert.equal(s.durationMs, 8500);
    assert.equal(s.service, 'shop');
    assert.equal(s.userId, 'u-42');
    assert.equal(s.entryUrl, 'https://a.example/start');
    assert.deepEqual(s.urls, ['https://a.example/start', 'https://a.example/2', 'https://a.example/later', 'https://a.example/3']);
    assert.equal(s.browser, 'Chrome');
    assert.equal(s.os, 'Android');
    assert.equal(s.device, 'desktop');
    assert.equal(s.userAgent, 'UA1');
    assert.deepEqual(
      [s.pageViews, s.clicks, s.errors, s.rageClicks, s.deadClicks, s.networkFailures, s.consoleErrors, s.spans, s.segments, s.replayBytes],
      [3, 16, 3, 1, 2, 3, 4, 6, 2, 3_000_000_000],
    );
    assert.equal(s.hasReplay, true);
    assert.equal(s.tenant, tenant);
  }));

  it('keeps a bounded distinct URL list and cuts oversized strings', () => withIndex(async (index, tenant) => {
    const urls = Array.from({ length: 80 }, (_, i) => `https://a.example/p${i}`);
    await index.applyActivity([activity(tenant, 'S', { urls: [...urls.slice(0, 30), ...urls.slice(0, 30)] })]);
    await index.applyActivity([activity(tenant, 'S', { urls, userAgent: 'u'.repeat(10 * 1024), entryUrl: 'e'.repeat(10 * 1024) })]);
    const s = await index.getSession(tenant, 'S');
    assert.ok(s);
    assert.equal(s.urls.length, MAX_SESSION_URLS);
    // The new entry URL is also a visited URL, so it takes the next free place.
    assert.deepEqual(s.urls, [...urls.slice(0, 30), 'e'.repeat(MAX_STORED_CHARS), ...urls.slice(30, MAX_SESSION_URLS - 1)]);
    assert.equal(s.userAgent?.length, MAX_STORED_CHARS);
    assert.equal(s.entryUrl?.length, MAX_STORED_CHARS);
  }));

  it('refuses an invalid activity delta before applying any delta of the batch', () => withIndex(async (index, tenant) => {
    await assert.rejects(
      index.applyActivity([activity(tenant, 'ok', { clicks: 1 }), activity(tenant, 'bad', { clicks: -1 })]),
      (err: Error) => err instanceof InvalidIndexInputError && /clicks/.test(err.message),
    );
    await assert.rejects(index.applyActivity([activity(tenant, 'bad', { firstSeen: Number.NaN })]), InvalidIndexInputError);
    assert.equal(await index.getSession(tenant, 'ok'), null);
    await index.applyActivity([]);
  }));

  it('filters sessions by time overlap, service, user, URL, duration and flags', () => withIndex(async (index, tenant) => {
    await searchFixture(index, tenant);
    assert.deepEqual(await idSet(index, q(tenant)), ['s1', 's2', 's3', 's4']);
    assert.deepEqual(await idSet(index, q(tenant, { from: B + 700_000 })), ['s2', 's3', 's4']);
    assert.deepEqual(await idSet(index, q(tenant, { to: B + 100_000 })), ['s1']);
    assert.deepEqual(await idSet(index, q(tenant, { from: B + 600_000, to: B + 1_002_000 })), ['s2', 's3']);
    assert.deepEqual(await idSet(index, q(tenant, { from: B + 720_000.5, to: B + 999_999.5 })), []);
    assert.deepEqual(await idSet(index, q(tenant, { service: 'shop' })), ['s1', 's2']);
    assert.deepEqual(await idSet(index, q(tenant, { service: 'SHOP' })), []);
    assert.deepEqual(await idSet(index, q(tenant, { userId: 'alice' })), ['s1']);
    assert.deepEqual(await idSet(index, q(tenant, { url: 'cart' })), ['s1']);
    assert.deepEqual(await idSet(index, q(tenant, { url: 'CHECKOUT' })), ['s2']);
    assert.deepEqual(await idSet(index, q(tenant, { url: 'post?id' })), ['s3']);
    assert.deepEqual(await idSet(index, q(tenant, { url: 'shop.example' })), ['s1', 's2']);
    assert.deepEqual(await idSet(index, q(tenant, { minDurationMs: 60_000 })), ['s1', 's2']);
    assert.deepEqual(await idSet(index, q(tenant, { maxDurationMs: 5_000 })), ['s3', 's4']);
    assert.deepEqual(await idSet(index, q(tenant, { minDurationMs: 5_000, maxDurationMs: 60_000 })), ['s1', 's3']);
    assert.deepEqual(await idSet(index, q(tenant, { hasErrors: true })), ['s1', 's4']);
    assert.deepEqual(await idSet(index, q(tenant, { hasErrors: false })), ['s2', 's3']);
    assert.deepEqual(await idSet(index, q(tenant, { hasRageClicks: true })), ['s2']);
    assert.deepEqual(await idSet(index, q(tenant, { hasRageClicks: false })), ['s1', 's3', 's4']);
    assert.deepEqual(await idSet(index, q(tenant, { hasReplay: true })), ['s1', 's3', 's4']);
    assert.deepEqual(await idSet(index, q(tenant, { hasReplay: false })), ['s2']);
    assert.deepEqual(await idSet(index, q(tenant, { browser: 'chrome' })), ['s1', 's4']);
    assert.deepEqual(await idSet(index, q(tenant, { browser: 'FIRE' })), ['s2']);
    assert.deepEqual(await idSet(index, q(tenant, { text: 'ALICE' })), ['s1', 's4']);
    assert.deepEqual(await idSet(index, q(tenant, { text: 'blog.example' })), ['s3']);
    assert.deepEqual(await idSet(index, q(tenant, { text: 'mozilla' })), ['s1']);
    assert.deepEqual(await idSet(index, q(tenant, { text: 'S2' })), ['s2']);
    assert.deepEqual(await idSet(index, q(tenant, { text: 'blog' })), ['s3', 's4']);
    assert.deepEqual(await idSet(index, q(tenant, { service: 'shop', hasErrors: true, browser: 'chr', url: 'home', text: 'alice' })), ['s1']);
    const s1 = (await index.searchSessions(q(tenant, { userId: 'alice' }))).sessions[0];
    assert.deepEqual(s1, await index.getSession(tenant, 's1'));
  }));

  it('sorts by every whitelisted field in both orders and paginates with a total', () => withIndex(async (index, tenant) => {
    await searchFixture(index, tenant);
    assert.deepEqual(await ids(index, q(tenant)), ['s4', 's3', 's2', 's1']);
    assert.deepEqual(await ids(index, q(tenant, { sort: 'firstSeen', order: 'asc' })), ['s1', 's2', 's3', 's4']);
    assert.deepEqual(await ids(index, q(tenant, { sort: 'firstSeen', order: 'desc' })), ['s4', 's3', 's2', 's1']);
    assert.deepEqual(await ids(index, q(tenant, { sort: 'lastSeen', order: 'asc' })), ['s1', 's2', 's3', 's4']);
    assert.deepEqual(await ids(index, q(tenant, { sort: 'duration', order: 'desc' })), ['s2', 's1', 's3', 's4']);
    assert.deepEqual(await ids(index, q(tenant, { sort: 'duration', order: 'asc' })), ['s4', 's3', 's1', 's2']);
    // Ties break on session id in the same direction.
    assert.deepEqual(await ids(index, q(tenant, { sort: 'errors', order: 'desc' })), ['s1', 's4', 's3', 's2']);
    assert.deepEqual(await ids(index, q(tenant, { sort: 'errors', order: 'asc' })), ['s2', 's3', 's4', 's1']);
    assert.deepEqual(await ids(index, q(tenant, { sort: 'pageViews', order: 'asc' })), ['s4', 's3', 's1', 's2']);
    assert.deepEqual(await ids(index, q(tenant, { sort: 'clicks', order: 'desc' })), ['s1', 's2', 's4', 's3']);
    const pages: string[][] = [];
    for (let offset = 0; offset < 6; offset += 2) {
      const page = await index.searchSessions(q(tenant, { sort: 'firstSeen', order: 'asc', limit: 2, offset }));
      assert.equal(page.total, 4);
      pages.push(page.sessions.map((s) => s.sessionId));
    }
    assert.deepEqual(pages, [['s1', 's2'], ['s3', 's4'], []]);
    const filtered = await index.searchSessions(q(tenant, { service: 'blog', limit: 1 }));
    assert.equal(filtered.total, 2);
    assert.equal(filtered.sessions.length, 1);
  }));

  it('refuses invalid search parameters with a clear error', () => withIndex(async (index, tenant) => {
    for (const bad of [{ limit: 0 }, { limit: 501 }, { limit: 1.5 }, { offset: -1 }, { from: Number.NaN }, { maxDurationMs: Infinity }]) {
      await assert.rejects(index.searchSessions(q(tenant, bad)), InvalidSessionQueryError);
    }
    await assert.rejects(index.searchSessions(q(tenant, { sort: 'session_id; DROP TABLE sessions' as never })), /sort must be one of/);
    await assert.rejects(index.searchSessions(q(tenant, { order: 'sideways' as never })), /order must be asc or desc/);
    assert.equal((await index.searchSessions(q(tenant, { limit: 500 }))).total, 0);
  }));

  it('keeps tenants apart: sessions, segments and legacy chunks', () => withIndex(async (index, tenant) => {
    const other = freshTenant();
    await index.applyActivity([activity(tenant, 'same', { service: 'mine', clicks: 1 }), activity(other, 'same', { service: 'theirs', clicks: 7 })]);
    await index.insertSegments([segmentRow(tenant, 'same', 'w', 0)]);
    assert.deepEqual(await index.insertSegments([segmentRow(other, 'same', 'w', 0)]), [true]);
    await index.putLegacyChunk({ tenant: other, sessionId: 'same', windowId: 'w', eventNumber: 1, chunk: 0, totalChunks: 2, offset: 0, timestamp: B, body: 'theirs' });
    assert.equal((await index.getSession(tenant, 'same'))?.clicks, 1);
    assert.equal((await index.getSession(other, 'same'))?.clicks, 7);
    const mine = await index.searchSessions(q(tenant, { text: 'same' }));
    assert.deepEqual(mine.sessions.map((s) => [s.tenant, s.service]), [[tenant, 'mine']]);
    assert.equal(mine.total, 1);
    assert.equal((await index.searchSessions(q(tenant, { service: 'theirs' }))).total, 0);
    assert.deepEqual((await index.listSegments(tenant, 'same')).map((r) => r.tenant), [tenant]);
    assert.deepEqual(await index.legacyChunks(tenant, 'same', 'w', 1), []);
    await index.deleteLegacyChunks(tenant, 'same', 'w', 1);
    assert.equal((await index.legacyChunks(other, 'same', 'w', 1)).length, 1);
  }));

  it('treats hostile filter values as literals', () => withIndex(async (index, tenant) => {
    const drop = "svc'; DROP TABLE sessions; --";
    await index.applyActivity([
      activity(tenant, 'h1', { entryUrl: 'https://x.example/100%off' }),
      activity(tenant, 'h2', { entryUrl: 'https://x.example/a_b' }),
      activity(tenant, 'h3', { entryUrl: 'https://x.example/aXb', service: drop }),
      activity(tenant, 'h4', { entryUrl: 'https://x.example/it\'s "quoted" \\back\\slash' }),
      activity(tenant, 'h5', { entryUrl: 'https://x.example/ÉCOLE/日本語/😀', userId: "O'Brien", browser: 'Ünïcode Browser' }),
      activity(tenant, 'h6', { entryUrl: 'https://x.example/a\nb' }),
    ]);
    assert.deepEqual(await idSet(index, q(tenant, { url: '%' })), ['h1']);
    assert.deepEqual(await idSet(index, q(tenant, { url: '100%o' })), ['h1']);
    assert.deepEqual(await idSet(index, q(tenant, { url: '_' })), ['h2']);
    assert.deepEqual(await idSet(index, q(tenant, { url: 'a_b' })), ['h2']);
    assert.deepEqual(await idSet(index, q(tenant, { url: '\\' })), ['h4']);
    assert.deepEqual(await idSet(index, q(tenant, { url: '\\b' })), ['h4']);
    assert.deepEqual(await idSet(index, q(tenant, { url: '\'s "QUOTED"' })), ['h4']);
    assert.deepEqual(await idSet(index, q(tenant, { url: 'école' })), ['h5']);
    assert.deepEqual(await idSet(index, q(tenant, { url: '日本' })), ['h5']);
    assert.deepEqual(await idSet(index, q(tenant, { text: '😀' })), ['h5']);
    assert.deepEqual(await idSet(index, q(tenant, { text: "o'brien" })), ['h5']);
    assert.deepEqual(await idSet(index, q(tenant, { browser: 'ÜNÏ' })), ['h5']);
    assert.deepEqual(await idSet(index, q(tenant, { userId: "O'Brien" })), ['h5']);
    assert.deepEqual(await idSet(index, q(tenant, { service: drop })), ['h3']);
    assert.deepEqual(await idSet(index, q(tenant, { text: drop })), ['h3']);
    // A line break matches the stored line break, and a needle cannot span two values.
    assert.deepEqual(await idSet(index, q(tenant, { url: 'a\nb' })), ['h6']);
    assert.deepEqual(await idSet(index, q(tenant, { text: 'h1\nhttps' })), []);
    const huge = 'x'.repeat(10 * 1024);
    for (const needle of [huge, '%'.repeat(10 * 1024), `${huge}'"\\%_`, 'a\u0000b', '\u0000']) {
      for (const field of ['url', 'text', 'browser', 'service', 'userId'] as const) {
        const page = await index.searchSessions(q(tenant, { [field]: needle }));
        assert.equal(page.total, 0, `${field} = ${JSON.stringify(needle.slice(0, 20))} matched something`);
      }
    }
    for (const id of ["' OR 1=1 --", 'a\u0000b', huge, '%']) {
      assert.equal(await index.getSession(tenant, id), null);
      assert.deepEqual(await index.listSegments(tenant, id), []);
      assert.deepEqual(await index.legacyChunks(tenant, id, id, 0), []);
      assert.deepEqual(await index.legacyChunks(tenant, 'L', id, 0), []);
      await index.deleteLegacyChunks(tenant, id, id, 0);
      assert.equal((await index.existingSegments(tenant, [{ sessionId: id, windowId: id, seq: 0 }])).size, 0);
    }
    assert.equal((await index.searchSessions(q(tenant))).total, 6);
    assert.equal((await index.searchSessions(q("' OR 1=1 --"))).total, 0);
  }));

  it('parks, reads and deletes legacy chunks idempotently', () => withIndex(async (index, tenant) => {
    const chunk = (n: number, body: string): PendingLegacyChunk => ({
      tenant, sessionId: 'L', windowId: 'w1', eventNumber: 7, chunk: n, totalChunks: 3, offset: n * 10, timestamp: B + n, body,
    });
    await index.putLegacyChunk(chunk(2, 'c2'));
    await index.putLegacyChunk(chunk(0, 'c0 "quoted" \\ 日本'));
    await index.putLegacyChunk(chunk(0, 'a retry with other bytes'));
    await index.putLegacyChunk({ ...chunk(0, 'other event'), eventNumber: 8 });
    assert.deepEqual(await index.legacyChunks(tenant, 'L', 'w1', 7), [chunk(0, 'c0 "quoted" \\ 日本'), chunk(2, 'c2')]);
    await index.putLegacyChunk(chunk(1, 'c1'));
    assert.deepEqual((await index.legacyChunks(tenant, 'L', 'w1', 7)).map((c) => c.body), ['c0 "quoted" \\ 日本', 'c1', 'c2']);
    await index.deleteLegacyChunks(tenant, 'L', 'w1', 7);
    await index.deleteLegacyChunks(tenant, 'L', 'w1', 7);
    assert.deepEqual(await index.legacyChunks(tenant, 'L', 'w1', 7), []);
    assert.equal((await index.legacyChunks(tenant, 'L', 'w1', 8)).length, 1);
    await index.putLegacyChunk(chunk(1, 'again'));
    assert.deepEqual((await index.legacyChunks(tenant, 'L', 'w1', 7)).map((c) => c.body), ['again']);
    await assert.rejects(index.putLegacyChunk({ ...chunk(0, 'x'), totalChunks: 0 }), InvalidIndexInputError);
  }));

  it('keeps windows apart: the same event number in two page loads never mixes', () => withIndex(async (index, tenant) => {
    // Legacy counters restart on every page load, so event 3 exists once per window.
    const chunk = (windowId: string, n: number, totalChunks: number, body: string): PendingLegacyChunk => ({
      tenant, sessionId: 'L', windowId, eventNumber: 3, chunk: n, totalChunks, offset: n, timestamp: B + n, body,
    });
    await index.putLegacyChunk(chunk('legacy-1', 0, 2, 'first load, part 0'));
    await index.putLegacyChunk(chunk('legacy-2', 0, 3, 'second load, part 0'));
    await index.putLegacyChunk(chunk('legacy-2', 1, 3, 'second load, part 1'));
    await index.putLegacyChunk(chunk('legacy-1', 1, 2, 'first load, part 1'));
    assert.deepEqual(await index.legacyChunks(tenant, 'L', 'legacy-1', 3), [chunk('legacy-1', 0, 2, 'first load, part 0'), chunk('legacy-1', 1, 2, 'first load, part 1')]);
    assert.deepEqual(await index.legacyChunks(tenant, 'L', 'legacy-2', 3), [chunk('legacy-2', 0, 3, 'second load, part 0'), chunk('legacy-2', 1, 3, 'second load, part 1')]);
    assert.deepEqual(await index.legacyChunks(tenant, 'L', 'legacy-3', 3), []);
    await index.deleteLegacyChunks(tenant, 'L', 'legacy-1', 3);
    assert.deepEqual(await index.legacyChunks(tenant, 'L', 'legacy-1', 3), []);
    assert.deepEqual((await index.legacyChunks(tenant, 'L', 'legacy-2', 3)).map((c) => c.body), ['second load, part 0', 'second load, part 1']);
  }));

  it('refuses a legacy chunk whose window id is not a safe id, storing nothing', () => withIndex(async (index, tenant) => {
    const good: PendingLegacyChunk = { tenant, sessionId: 'L', windowId: 'w', eventNumber: 0, chunk: 0, totalChunks: 2, offset: 0, timestamp: B, body: 'x' };
    for (const windowId of ['', '../etc', 'a b', 'w\u0000', 'x'.repeat(10 * 1024), 42 as never, undefined as never]) {
      await assert.rejects(
        index.putLegacyChunk({ ...good, windowId }),
        (err: Error) => err instanceof InvalidIndexInputError && /windowId/.test(err.message),
        `windowId ${JSON.stringify(String(windowId).slice(0, 20))} was accepted`,
      );
    }
    assert.deepEqual(await index.legacyChunks(tenant, 'L', '../etc', 0), []);
    await index.putLegacyChunk(good);
    assert.deepEqual(await index.legacyChunks(tenant, 'L', 'w', 0), [good]);
  }));

  it('sweeps chunks parked before a cutoff, in every tenant, and counts them', () => {
    // A pinned clock far in the past: chunks parked by other tests (real clock) are
    // newer than any cutoff used here, so the counts below are exact.
    let clock = 1_000;
    return withIndex(async (index, tenant) => {
      const other = freshTenant();
      const chunk = (t: string, windowId: string, n: number): PendingLegacyChunk => ({
        tenant: t, sessionId: 'L', windowId, eventNumber: 5, chunk: n, totalChunks: 4, offset: n, timestamp: B, body: `${windowId}/${n}`,
      });
      await index.putLegacyChunk(chunk(tenant, 'old', 0));
      await index.putLegacyChunk(chunk(other, 'old', 0));
      clock = 2_000;
      await index.putLegacyChunk(chunk(tenant, 'old', 1));
      await index.putLegacyChunk(chunk(tenant, 'new', 0));
      // A retry of an old chunk keeps its first parked_at: retries cannot keep it alive.
      await index.putLegacyChunk(chunk(tenant, 'old', 0));
      assert.equal(await index.deleteLegacyChunksOlderThan(0), 0);
      assert.equal(await index.deleteLegacyChunksOlderThan(1_000), 0, 'the cutoff itself is not older');
      assert.equal(await index.deleteLegacyChunksOlderThan(1_500), 2);
      assert.deepEqual((await index.legacyChunks(tenant, 'L', 'old', 5)).map((c) => c.body), ['old/1']);
      assert.deepEqual(await index.legacyChunks(other, 'L', 'old', 5), []);
      assert.equal(await index.deleteLegacyChunksOlderThan(1_500), 0);
      assert.equal(await index.deleteLegacyChunksOlderThan(2_001), 2);
      assert.deepEqual(await index.legacyChunks(tenant, 'L', 'old', 5), []);
      assert.deepEqual(await index.legacyChunks(tenant, 'L', 'new', 5), []);
      for (const bad of [Number.NaN, Infinity, 1.5, '1000' as never]) {
        await assert.rejects(index.deleteLegacyChunksOlderThan(bad), InvalidIndexInputError);
      }
    }, { now: () => clock });
  });
}
