// The end-of-life behaviour every SessionIndex engine must share — sessions cut by a cap,
// deleted at once (and staying deleted), expired by retention, and the one-at-a-time job
// lock — written once and run against each engine for real (sqlite-index.test.ts,
// postgres-index.test.ts). Each test works in its own fresh tenant.

import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { SessionIndex } from './session-index.ts';
import { InvalidIndexInputError } from './rows.ts';
import { activity, freshTenant, segmentRow } from './session-index.suite.ts';

const B = 1_700_000_000_000;
const DAY = 86_400_000;

/** Registers the shared tests; `open` returns a migrated index on the engine's database. */
export function lifecycleSuite(open: () => Promise<SessionIndex>): void {
  const withIndex = async (fn: (index: SessionIndex, tenant: string) => Promise<void>): Promise<void> => {
    const index = await open();
    try {
      await fn(index, freshTenant());
    } finally {
      await index.close();
    }
  };

  it('marks a session cut once (first cut wins), creating it if needed, and shows it in the summary', () => withIndex(async (index, tenant) => {
    await index.insertSegments([segmentRow(tenant, 'S', 'w', 0)]);
    await index.applyActivity([activity(tenant, 'plain', { clicks: 1 })]);
    const before = await index.getSession(tenant, 'S');
    assert.ok(before);
    assert.equal('truncatedAt' in before, false, 'an uncut session has no truncation fields');
    await index.markTruncated([{ tenant, sessionId: 'S', at: B + 5000, reason: 'max-bytes' }]);
    await index.markTruncated([{ tenant, sessionId: 'S', at: B + 9000, reason: 'max-duration' }]);
    const cut = await index.getSession(tenant, 'S');
    assert.deepEqual(cut, { ...before, truncatedAt: B + 5000, truncatedReason: 'max-bytes' });
    // Later activity and segments keep the mark.
    await index.applyActivity([activity(tenant, 'S', { clicks: 2, lastSeen: B + 20_000 })]);
    await index.insertSegments([segmentRow(tenant, 'S', 'w', 1)]);
    const later = await index.getSession(tenant, 'S');
    assert.deepEqual([later?.truncatedAt, later?.truncatedReason, later?.clicks, later?.segments], [B + 5000, 'max-bytes', 2, 2]);
    // A session whose very first segment was over the cap exists, cut, with no replay.
    await index.markTruncated([{ tenant, sessionId: 'fresh', at: B + 1, reason: 'max-bytes' }]);
    const fresh = await index.getSession(tenant, 'fresh');
    assert.deepEqual([fresh?.firstSeen, fresh?.segments, fresh?.hasReplay, fresh?.truncatedAt], [B + 1, 0, false, B + 1]);
    const listed = (await index.searchSessions({ tenant, limit: 10, offset: 0 })).sessions;
    assert.deepEqual(listed.map((s) => [s.sessionId, s.truncatedReason ?? null]).sort(), [['S', 'max-bytes'], ['fresh', 'max-bytes'], ['plain', null]]);
    for (const bad of [{ reason: 'bored' }, { at: -1 }, { at: 1.5 }, { sessionId: '' }, { sessionId: 'a\u0000' }]) {
      await assert.rejects(index.markTruncated([{ tenant, sessionId: 'S', at: B, reason: 'max-bytes', ...bad } as never]), InvalidIndexInputError);
    }
  }));

  it('answers session states for the caps: known, unknown, cut and deleted, per tenant', () => withIndex(async (index, tenant) => {
    await index.insertSegments([segmentRow(tenant, 'A', 'w', 0, { length: 300, firstTimestamp: B + 100 })]);
    await index.applyActivity([activity(tenant, 'C', { firstSeen: B - 50 })]);
    await index.markTruncated([{ tenant, sessionId: 'C', at: B + 7, reason: 'max-duration' }]);
    await index.applyActivity([activity(tenant, 'D')]);
    await index.deleteSessions(tenant, ['D'], B);
    const states = await index.sessionStates(tenant, ['A', 'C', 'D', 'nope', 'A', "' OR 1=1 --", 'x\u0000']);
    assert.deepEqual(Object.fromEntries(states), {
      A: { firstSeen: B + 100, replayBytes: 300, truncatedAt: null, deleted: false },
      C: { firstSeen: B - 50, replayBytes: 0, truncatedAt: B + 7, deleted: false },
      D: { firstSeen: 0, replayBytes: 0, truncatedAt: null, deleted: true },
    });
    assert.equal((await index.sessionStates(freshTenant(), ['A', 'C', 'D'])).size, 0);
    assert.equal((await index.sessionStates(tenant, [])).size, 0);
  }));

  it('deletes sessions at once with their segments and chunks, touching nothing else', () => withIndex(async (index, tenant) => {
    const other = freshTenant();
    for (const t of [tenant, other]) {
      await index.insertSegments([segmentRow(t, 'gone', 'w', 0), segmentRow(t, 'gone', 'w', 1), segmentRow(t, 'kept', 'w', 0)]);
      await index.applyActivity([activity(t, 'gone', { userId: 'u1', clicks: 1 }), activity(t, 'kept', { userId: 'u1' })]);
      await index.putLegacyChunk({ tenant: t, sessionId: 'gone', windowId: 'w', eventNumber: 1, chunk: 0, totalChunks: 2, offset: 0, timestamp: B, body: 'x' });
    }
    assert.deepEqual(await index.deleteSessions(tenant, ['gone', 'never-was', 'gone'], B + DAY), ['gone']);
    assert.equal(await index.getSession(tenant, 'gone'), null);
    assert.deepEqual(await index.listSegments(tenant, 'gone'), []);
    assert.deepEqual(await index.legacyChunks(tenant, 'gone', 'w', 1), []);
    assert.deepEqual((await index.searchSessions({ tenant, limit: 10, offset: 0 })).sessions.map((s) => s.sessionId), ['kept']);
    assert.equal((await index.listSegments(tenant, 'kept')).length, 1);
    // The same id in another tenant is another session.
    assert.equal((await index.getSession(other, 'gone'))?.clicks, 1);
    assert.equal((await index.listSegments(other, 'gone')).length, 2);
    assert.equal((await index.legacyChunks(other, 'gone', 'w', 1)).length, 1);
    // A second delete finds nothing.
    assert.deepEqual(await index.deleteSessions(tenant, ['gone'], B + DAY), []);
    assert.deepEqual(await index.deleteSessions(tenant, [], B + DAY), []);
    for (const hostile of ["' OR 1=1 --", '%', 'a\u0000b', '', 'x'.repeat(10_000)]) {
      assert.deepEqual(await index.deleteSessions(tenant, [hostile], B), []);
    }
    assert.equal((await index.searchSessions({ tenant, limit: 10, offset: 0 })).total, 1);
    assert.equal((await index.searchSessions({ tenant: other, limit: 10, offset: 0 })).total, 2);
  }));

  it('keeps a deleted session deleted: late segments, activity and cuts do not bring it back', () => withIndex(async (index, tenant) => {
    await index.insertSegments([segmentRow(tenant, 'S', 'w', 0)]);
    await index.deleteSessions(tenant, ['S'], B);
    // A retry of a stored segment, a new one, and the tab's later events.
    assert.deepEqual(await index.insertSegments([segmentRow(tenant, 'S', 'w', 0), segmentRow(tenant, 'S', 'w', 1), segmentRow(tenant, 'T', 'w', 0)]), [false, false, true]);
    await index.applyActivity([activity(tenant, 'S', { clicks: 5, userId: 'u' }), activity(tenant, 'T', { clicks: 1 })]);
    await index.markTruncated([{ tenant, sessionId: 'S', at: B, reason: 'max-bytes' }]);
    assert.equal(await index.getSession(tenant, 'S'), null);
    assert.deepEqual(await index.listSegments(tenant, 'S'), []);
    assert.equal((await index.existingSegments(tenant, [{ sessionId: 'S', windowId: 'w', seq: 1 }])).size, 0);
    assert.deepEqual([(await index.getSession(tenant, 'T'))?.clicks, (await index.getSession(tenant, 'T'))?.segments], [1, 1]);
    assert.deepEqual((await index.searchSessions({ tenant, limit: 10, offset: 0 })).sessions.map((s) => s.sessionId), ['T']);
  }));

  it("deletes every session of one user, exactly that user's, in that tenant only", () => withIndex(async (index, tenant) => {
    const other = freshTenant();
    const odd = "o'brien %_ \\ 日本";
    await index.applyActivity([
      activity(tenant, 'a1', { userId: 'alice' }), activity(tenant, 'a2', { userId: 'alice' }),
      activity(tenant, 'A3', { userId: 'ALICE' }), activity(tenant, 'b1', { userId: 'bob' }), activity(tenant, 'anon'),
      activity(tenant, 'o1', { userId: odd }), activity(tenant, 'o2', { userId: "o'brien" }),
      activity(other, 'a1', { userId: 'alice' }),
    ]);
    await index.insertSegments([segmentRow(tenant, 'a1', 'w', 0), segmentRow(tenant, 'a2', 'w', 0), segmentRow(tenant, 'b1', 'w', 0)]);
    assert.deepEqual((await index.deleteUserSessions(tenant, 'alice', B)).sort(), ['a1', 'a2']);
    assert.deepEqual((await index.searchSessions({ tenant, limit: 10, offset: 0 })).sessions.map((s) => s.sessionId).sort(), ['A3', 'anon', 'b1', 'o1', 'o2']);
    assert.deepEqual(await index.listSegments(tenant, 'a1'), []);
    assert.equal((await index.listSegments(tenant, 'b1')).length, 1);
    assert.ok(await index.getSession(other, 'a1'));
    assert.deepEqual(await index.deleteUserSessions(tenant, 'alice', B), []);
    // Values are literals: no wildcard, no quoting trouble.
    for (const hostile of ['%', '_', "' OR 1=1 --", 'o%', '', 'a\u0000']) assert.deepEqual(await index.deleteUserSessions(tenant, hostile, B), [], hostile);
    assert.deepEqual(await index.deleteUserSessions(tenant, odd, B), ['o1']);
    assert.equal((await index.searchSessions({ tenant, limit: 10, offset: 0 })).total, 4);
  }));

  it('expires sessions whose last activity is before the cutoff, in batches, young ones untouched', () => withIndex(async (index, tenant) => {
    const other = freshTenant();
    const old = Array.from({ length: 7 }, (_, i) => `old-${i}`);
    await index.applyActivity([
      ...old.map((id, i) => activity(tenant, id, { firstSeen: B - 40 * DAY, lastSeen: B - 31 * DAY + i })),
      activity(tenant, 'young', { firstSeen: B - 40 * DAY, lastSeen: B - DAY }),
      activity(tenant, 'edge', { firstSeen: B - 30 * DAY, lastSeen: B - 30 * DAY }),
      activity(other, 'old-0', { firstSeen: B - 40 * DAY, lastSeen: B - 31 * DAY }),
    ]);
    const oldTime = { firstTimestamp: B - 35 * DAY, lastTimestamp: B - 35 * DAY, receivedAt: B - 35 * DAY };
    await index.insertSegments([segmentRow(tenant, 'old-0', 'w', 0, oldTime), segmentRow(tenant, 'young', 'w', 0, oldTime)]);
    await index.putLegacyChunk({ tenant, sessionId: 'old-1', windowId: 'w', eventNumber: 1, chunk: 0, totalChunks: 2, offset: 0, timestamp: B, body: 'x' });
    const cutoff = B - 30 * DAY;
    assert.equal(await index.expireSessions(tenant, cutoff, 3), 3);
    assert.equal(await index.expireSessions(tenant, cutoff, 3), 3);
    assert.equal(await index.expireSessions(tenant, cutoff, 3), 1);
    assert.equal(await index.expireSessions(tenant, cutoff, 3), 0);
    assert.deepEqual((await index.searchSessions({ tenant, limit: 10, offset: 0 })).sessions.map((s) => s.sessionId).sort(), ['edge', 'young']);
    assert.deepEqual(await index.listSegments(tenant, 'old-0'), []);
    assert.deepEqual(await index.legacyChunks(tenant, 'old-1', 'w', 1), []);
    assert.equal((await index.listSegments(tenant, 'young')).length, 1);
    assert.ok(await index.getSession(other, 'old-0'), 'another tenant keeps its own retention');
    await assert.rejects(index.expireSessions(tenant, Number.NaN, 3), InvalidIndexInputError);
    await assert.rejects(index.expireSessions(tenant, cutoff, 0), InvalidIndexInputError);
  }));

  it('expires segment rows received before a cutoff, whatever their session', () => withIndex(async (index, tenant) => {
    await index.insertSegments([
      ...Array.from({ length: 5 }, (_, i) => segmentRow(tenant, 'S', 'w', i, { receivedAt: B - 10 * DAY + i })),
      segmentRow(tenant, 'S', 'w', 5, { receivedAt: B }),
      segmentRow(tenant, 'T', 'w', 0, { receivedAt: B - 10 * DAY }),
    ]);
    assert.equal(await index.expireSegments(tenant, B - DAY, 4), 4);
    assert.equal(await index.expireSegments(tenant, B - DAY, 4), 2);
    assert.equal(await index.expireSegments(tenant, B - DAY, 4), 0);
    assert.deepEqual((await index.listSegments(tenant, 'S')).map((r) => r.seq), [5]);
    assert.deepEqual(await index.listSegments(tenant, 'T'), []);
    assert.ok(await index.getSession(tenant, 'S'), 'the session row stays; it is judged by its own last activity');
  }));

  it('recounts a live session when retention trims its oldest rows; the caps still judge its whole recording', () => withIndex(async (index, tenant) => {
    const other = freshTenant();
    const OLD = B - 10 * DAY;
    const cutoff = B - DAY;
    // Session L is still recording: its oldest segments (both tabs) were received before the
    // cutoff, its latest after. D's only segments are old, though its spans keep it alive.
    // X has nothing old. The same ids in another tenant are other sessions.
    const at = (received: number, seq: number, windowId: string) => ({ firstTimestamp: received - 900, lastTimestamp: received - 100, receivedAt: received, length: 100 + seq * 7 + windowId.length, hasFullSnapshot: seq % 3 === 0 });
    const plan: [string, string, number, number][] = [
      ['L', 'a', 0, OLD], ['L', 'a', 1, OLD + 1000], ['L', 'a', 2, OLD + 2000], ['L', 'a', 3, B], ['L', 'a', 4, B + 1000], ['L', 'a', 5, B + 2000],
      ['L', 'bb', 0, OLD + 500], ['L', 'bb', 1, OLD + 1500], ['L', 'bb', 2, B + 500], ['L', 'bb', 3, B + 1500],
      ['D', 'a', 0, OLD], ['D', 'a', 1, OLD + 1000],
      ['X', 'a', 0, B], ['X', 'a', 1, B + 1000],
    ];
    for (const t of [tenant, other]) {
      await index.insertSegments(plan.map(([id, w, seq, received]) => segmentRow(t, id, w, seq, at(received, seq, w))));
      await index.applyActivity([
        activity(t, 'L', { clicks: 4, errors: 1, firstSeen: OLD - 5000, lastSeen: B + 60_000 }),
        activity(t, 'D', { spans: 3, firstSeen: OLD - 5000, lastSeen: B + 30_000 }),
      ]);
    }
    const before = { L: (await index.getSession(tenant, 'L'))!, X: (await index.getSession(tenant, 'X'))!, otherL: await index.getSession(other, 'L') };
    const lifetimeBytes = before.L.replayBytes;
    assert.equal(before.L.segments, 10);
    assert.equal(before.L.firstSeen, OLD - 5000);

    // Small batches, so one statement's rows span sessions and a session spans statements.
    let removed = 0;
    for (let n = -1; n !== 0; removed += n) n = await index.expireSegments(tenant, cutoff, 3);
    assert.equal(removed, 7);

    // L: what a fresh count of the remaining rows says.
    const rows = await index.listSegments(tenant, 'L');
    assert.deepEqual(rows.map((r) => `${r.windowId}/${r.seq}`), ['a/3', 'a/4', 'a/5', 'bb/2', 'bb/3']);
    const L = (await index.getSession(tenant, 'L'))!;
    const fresh = { segments: rows.length, replayBytes: rows.reduce((n, r) => n + r.length, 0), firstSeen: Math.min(...rows.map((r) => r.firstTimestamp)) };
    assert.deepEqual({ segments: L.segments, replayBytes: L.replayBytes, firstSeen: L.firstSeen }, fresh);
    assert.equal(L.durationMs, L.lastSeen - fresh.firstSeen);
    assert.deepEqual([L.lastSeen, L.clicks, L.errors, L.hasReplay], [before.L.lastSeen, 4, 1, true], 'last activity and event counters stay');
    // Search shows the same numbers, and no longer finds L where its recording is gone.
    const listed = (await index.searchSessions({ tenant, limit: 10, offset: 0 })).sessions;
    assert.deepEqual(listed.find((s) => s.sessionId === 'L'), L);
    assert.deepEqual((await index.searchSessions({ tenant, from: OLD - 5000, to: OLD + 5000, limit: 10, offset: 0 })).sessions.map((s) => s.sessionId), []);
    assert.deepEqual((await index.searchSessions({ tenant, sort: 'duration', order: 'desc', limit: 10, offset: 0 })).sessions.map((s) => [s.sessionId, s.durationMs]).find(([id]) => id === 'L'), ['L', L.durationMs]);
    // D: nothing left to replay; it starts at the cutoff, before which nothing is kept.
    const D = (await index.getSession(tenant, 'D'))!;
    assert.deepEqual([D.segments, D.replayBytes, D.hasReplay, D.firstSeen, D.lastSeen, D.spans], [0, 0, false, cutoff, B + 30_000, 3]);
    // Untouched: X, and everything of the other tenant.
    assert.deepEqual(await index.getSession(tenant, 'X'), before.X);
    assert.deepEqual(await index.getSession(other, 'L'), before.otherL);

    // The caps still see the whole recording: bytes removed count, the start stays.
    const state = (await index.sessionStates(tenant, ['L'])).get('L')!;
    assert.deepEqual(state, { firstSeen: OLD - 5000, replayBytes: lifetimeBytes, truncatedAt: null, deleted: false });
    // New segments add on top of the recount, for the summary and for the caps.
    await index.insertSegments([segmentRow(tenant, 'L', 'a', 6, { ...at(B + 3000, 6, 'a'), length: 50 })]);
    const after = (await index.getSession(tenant, 'L'))!;
    assert.deepEqual([after.segments, after.replayBytes, after.firstSeen], [fresh.segments + 1, fresh.replayBytes + 50, fresh.firstSeen]);
    assert.equal((await index.sessionStates(tenant, ['L'])).get('L')!.replayBytes, lifetimeBytes + 50);
    // A later trim keeps the first start for the caps and adds its bytes.
    await index.insertSegments([segmentRow(tenant, 'L', 'c', 0, { ...at(OLD + 9000, 0, 'c'), length: 40 })]);
    assert.equal(await index.expireSegments(tenant, cutoff, 3), 1);
    assert.deepEqual(await index.getSession(tenant, 'L'), after);
    assert.deepEqual((await index.sessionStates(tenant, ['L'])).get('L'), { firstSeen: OLD - 5000, replayBytes: lifetimeBytes + 90, truncatedAt: null, deleted: false });
    assert.equal(await index.expireSegments(tenant, cutoff, 3), 0);
  }));

  it('forgets deleted ids after their retention and lists tenants from sessions and deletions', () => withIndex(async (index, tenant) => {
    const onlyDeleted = freshTenant();
    await index.applyActivity([activity(tenant, 'S'), activity(onlyDeleted, 'D1'), activity(onlyDeleted, 'D2')]);
    await index.deleteSessions(onlyDeleted, ['D1'], B - 40 * DAY);
    await index.deleteSessions(onlyDeleted, ['D2'], B);
    const tenants = await index.listTenants();
    assert.ok(tenants.includes(tenant) && tenants.includes(onlyDeleted), 'both tenants listed');
    assert.deepEqual([...tenants].sort(), tenants, 'sorted');
    assert.equal(new Set(tenants).size, tenants.length, 'distinct');
    assert.equal(await index.expireDeletedSessions(onlyDeleted, B - 30 * DAY), 1);
    assert.equal(await index.expireDeletedSessions(onlyDeleted, B - 30 * DAY), 0);
    // D1 is forgotten, so it could be recorded again; D2 is still deleted.
    await index.applyActivity([activity(onlyDeleted, 'D1', { clicks: 1 }), activity(onlyDeleted, 'D2', { clicks: 1 })]);
    assert.equal((await index.getSession(onlyDeleted, 'D1'))?.clicks, 1);
    assert.equal(await index.getSession(onlyDeleted, 'D2'), null);
  }));

  it('runs a job exclusively: a second start while it runs is refused without waiting', () => withIndex(async (index) => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = index.runExclusive('retention-test', async () => {
      await gate;
      return 42;
    });
    await new Promise((r) => setTimeout(r, 20));
    const started = Date.now();
    assert.deepEqual(await index.runExclusive('retention-test', async () => 1), { ran: false });
    assert.ok(Date.now() - started < 1000);
    assert.deepEqual(await index.runExclusive('other-job', async () => 'x'), { ran: true, result: 'x' });
    release();
    assert.deepEqual(await first, { ran: true, result: 42 });
    assert.deepEqual(await index.runExclusive('retention-test', async () => 7), { ran: true, result: 7 });
    await assert.rejects(index.runExclusive('retention-test', async () => {
      throw new Error('job failed');
    }), /job failed/);
    assert.deepEqual(await index.runExclusive('retention-test', async () => 8), { ran: true, result: 8 }, 'a failed job releases the lock');
  }));
}
