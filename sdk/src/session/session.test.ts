import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expiryReason, parseStoredSession } from './expiry.ts';
import { randomHexId } from './ids.ts';
import { isSessionSampled, sessionHashFraction } from './sampling.ts';
import { SESSION_STORAGE_KEY, SessionManager, WINDOW_LIVE_KEY, WINDOW_STORAGE_KEY } from './session-manager.ts';
import { memoryStore } from './storage.ts';
import type { SessionChange } from './session.ts';

test('randomHexId: 32 lowercase hex digits, a safe protocol id, never repeating', () => {
  const ids = new Set(Array.from({ length: 1000 }, randomHexId));
  assert.equal(ids.size, 1000);
  for (const id of ids) assert.match(id, /^[0-9a-f]{32}$/);
});

test('sampling: same id, same answer; rate 0 and 1 are absolute; rate ~ fraction of ids', () => {
  const ids = Array.from({ length: 20000 }, randomHexId);
  for (const id of ids.slice(0, 100)) {
    assert.equal(isSessionSampled(id, 0.3), isSessionSampled(id, 0.3));
    assert.equal(isSessionSampled(id, 0), false);
    assert.equal(isSessionSampled(id, 1), true);
    const f = sessionHashFraction(id);
    assert.ok(f >= 0 && f < 1);
  }
  const share = ids.filter((id) => isSessionSampled(id, 0.25)).length / ids.length;
  assert.ok(Math.abs(share - 0.25) < 0.02, `expected about 25% sampled, got ${share}`);
  // Monotone in the rate: a session sampled at 10% is sampled at 50%.
  for (const id of ids.slice(0, 2000)) if (isSessionSampled(id, 0.1)) assert.ok(isSessionSampled(id, 0.5));
  // NaN or negative rates sample nothing rather than everything.
  assert.equal(isSessionSampled(ids[0]!, Number.NaN), false);
  assert.equal(isSessionSampled(ids[0]!, -1), false);
});

test('expiryReason: idle and max duration, max duration first', () => {
  const limits = { idleTimeoutMs: 1000, maxDurationMs: 5000 };
  const s = { id: 'a', previousId: null, startedAt: 0, lastActivity: 0 };
  assert.equal(expiryReason(s, 999, limits), null);
  assert.equal(expiryReason(s, 1000, limits), 'idle');
  assert.equal(expiryReason({ ...s, lastActivity: 4900 }, 5000, limits), 'max-duration');
  assert.equal(expiryReason({ ...s, lastActivity: 4900 }, 4950, limits), null);
});

test('parseStoredSession refuses hostile or broken storage content', () => {
  assert.equal(parseStoredSession(null), null);
  assert.equal(parseStoredSession('not json'), null);
  assert.equal(parseStoredSession('[]'), null);
  assert.equal(parseStoredSession(JSON.stringify({ id: '../../etc', startedAt: 1, lastActivity: 1 })), null);
  assert.equal(parseStoredSession(JSON.stringify({ id: 'a b', startedAt: 1, lastActivity: 1 })), null);
  assert.equal(parseStoredSession(JSON.stringify({ id: 'abc', startedAt: 'x', lastActivity: 1 })), null);
  assert.equal(parseStoredSession(JSON.stringify({ id: 'x'.repeat(129), startedAt: 1, lastActivity: 1 })), null);
  assert.deepEqual(parseStoredSession(JSON.stringify({ id: 'abc', startedAt: 1, lastActivity: 2, previousId: '<script>' })), { id: 'abc', previousId: null, startedAt: 1, lastActivity: 2 });
});

function fakeLoggerProvider() {
  const emitted: { eventName?: string; attributes?: Record<string, unknown> }[] = [];
  return { emitted, getLogger: () => ({ emit: (r: { eventName?: string; attributes?: Record<string, unknown> }) => void emitted.push(r), enabled: () => true }) };
}

function manager(overrides: { now: () => number; storage?: ReturnType<typeof memoryStore>; windowStorage?: ReturnType<typeof memoryStore>; sampleRate?: number }) {
  const lp = fakeLoggerProvider();
  const m = new SessionManager({
    options: { idleTimeoutMs: 1000, maxDurationMs: 10_000, sampleRate: overrides.sampleRate ?? 1 },
    storage: overrides.storage ?? memoryStore(),
    windowStorage: overrides.windowStorage ?? memoryStore(),
    now: overrides.now,
    loggerProvider: lp as never,
  });
  return { m, lp };
}

test('SessionManager: first use starts a session with a session.start event; activity keeps it; idle renews it with end then start', () => {
  let now = 1_000_000;
  const { m, lp } = manager({ now: () => now });
  const changes: SessionChange[] = [];
  m.onChange((c) => changes.push(c));
  const first = m.current();
  assert.match(first.id, /^[0-9a-f]{32}$/);
  assert.equal(first.previousId, null);
  assert.deepEqual(lp.emitted.map((e) => e.eventName), ['session.start']);
  assert.equal(lp.emitted[0]!.attributes!['session.id'], first.id);
  now += 900;
  m.touch();
  now += 900; // 1800 since start, 900 since activity: still valid
  assert.equal(m.current().id, first.id);
  now += 1000; // idle
  const second = m.current();
  assert.notEqual(second.id, first.id);
  assert.equal(second.previousId, first.id);
  assert.deepEqual(lp.emitted.map((e) => e.eventName), ['session.start', 'session.end', 'session.start']);
  assert.equal(lp.emitted[1]!.attributes!['session.id'], first.id, 'session.end carries the ended session');
  assert.equal(lp.emitted[2]!.attributes!['session.previous_id'], first.id);
  assert.deepEqual(changes.map((c) => c.type), ['start', 'end', 'start']);
  assert.equal(changes[1]!.type === 'end' && changes[1]!.reason, 'idle');
});

test('SessionManager: max duration ends a session however active it is', () => {
  let now = 0;
  const { m } = manager({ now: () => now });
  const first = m.current().id;
  for (let i = 0; i < 20; i++) {
    now += 600;
    m.touch();
  }
  assert.notEqual(m.current().id, first);
});

test('SessionManager: two tabs sharing storage share the session; activity in one keeps it alive for the other', () => {
  let now = 0;
  const shared = memoryStore();
  const a = manager({ now: () => now, storage: shared });
  const b = manager({ now: () => now, storage: shared });
  const id = a.m.current().id;
  assert.equal(b.m.current().id, id);
  assert.equal(b.lp.emitted.length, 0, 'adopting a session is not a new session');
  for (let i = 0; i < 5; i++) {
    now += 800;
    a.m.touch();
  }
  // b saw no activity itself for 4 s, but tab a was active.
  assert.equal(b.m.current().id, id);
  assert.notEqual(a.m.windowId(), '');
});

test('SessionManager: a renewal in another tab is adopted with end/start notifications but no duplicate events', () => {
  let now = 0;
  const shared = memoryStore();
  const a = manager({ now: () => now, storage: shared });
  const b = manager({ now: () => now, storage: shared });
  const old = a.m.current().id;
  b.m.current();
  const changes: SessionChange[] = [];
  b.m.onChange((c) => changes.push(c));
  a.m.endSession();
  const fresh = a.m.current().id;
  assert.notEqual(fresh, old);
  now += 1500; // past b's re-read interval; a touches so the new session is not idle
  a.m.touch();
  assert.equal(b.m.current().id, a.m.current().id);
  assert.deepEqual(changes.map((c) => c.type), ['end', 'start']);
  assert.equal(b.lp.emitted.length, 0);
});

test('SessionManager: window id is kept per tab storage and survives a new manager (reload); garbage is replaced', () => {
  const tab = memoryStore();
  const w1 = manager({ now: () => 0, windowStorage: tab }).m.windowId();
  assert.equal(tab.get(WINDOW_LIVE_KEY), w1, 'the page marks its window id live');
  tab.set(WINDOW_LIVE_KEY, ''); // what pagehide does when the page is reloaded
  const w2 = manager({ now: () => 0, windowStorage: tab }).m.windowId();
  assert.equal(w1, w2);
  assert.notEqual(manager({ now: () => 0 }).m.windowId(), w1);
  const bad = memoryStore();
  bad.set(WINDOW_STORAGE_KEY, '../../x');
  assert.match(manager({ now: () => 0, windowStorage: bad }).m.windowId(), /^[0-9a-f]{16}$/);
});

test('SessionManager: a tab whose sessionStorage was copied from a live tab (Duplicate tab) takes its own window id and keeps it', () => {
  const original = memoryStore();
  const w1 = manager({ now: () => 0, windowStorage: original }).m.windowId();
  original.set(`otel-replay.seq.${w1}`, '{"s":"x","n":7}');
  // Duplicate tab: every entry copied while the original page is still open.
  const copy = memoryStore();
  for (const key of [WINDOW_STORAGE_KEY, WINDOW_LIVE_KEY, `otel-replay.seq.${w1}`]) copy.set(key, original.get(key)!);
  const w2 = manager({ now: () => 0, windowStorage: copy }).m.windowId();
  assert.notEqual(w2, w1);
  assert.match(w2, /^[0-9a-f]{16}$/);
  assert.equal(copy.get(WINDOW_STORAGE_KEY), w2, 'the copy keeps its new id for its own reloads');
  assert.equal(original.get(WINDOW_STORAGE_KEY), w1, 'the original tab is untouched');
  copy.set(WINDOW_LIVE_KEY, ''); // the copy is reloaded
  assert.equal(manager({ now: () => 0, windowStorage: copy }).m.windowId(), w2);
});

test('SessionManager: corrupt stored session is replaced, and sampled follows the id', () => {
  const storage = memoryStore();
  storage.set(SESSION_STORAGE_KEY, '{"id":');
  const { m } = manager({ now: () => 5, storage, sampleRate: 0 });
  const s = m.current();
  assert.match(s.id, /^[0-9a-f]{32}$/);
  assert.equal(s.sampled, false);
  assert.equal(JSON.parse(storage.get(SESSION_STORAGE_KEY)!).id, s.id);
});

test('SessionManager: a throwing listener does not stop others', () => {
  let now = 0;
  const { m } = manager({ now: () => now });
  m.current();
  let heard = 0;
  m.onChange(() => {
    throw new Error('boom');
  });
  m.onChange(() => heard++);
  now += 5000;
  m.current();
  assert.equal(heard, 2);
});
