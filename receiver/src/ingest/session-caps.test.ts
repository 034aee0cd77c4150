// SessionCaps against a stand-in index: where a session is cut (duration, bytes), that a
// cut session stays cut, that retries of stored segments are not mistaken for overflow,
// that deleted sessions are dropped without a cut, and that requests in flight count.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Segment } from '@otel-replay/protocol';
import { segmentKey } from '../index/session-index.ts';
import type { SessionState } from '../index/session-index.ts';
import { SessionCaps } from './session-caps.ts';

const T0 = 1_700_000_000_000;
const NOW = T0 + 10 * 3600_000;

function seg(sessionId: string, seq: number, startMs: number, bytes = 100, windowId = 'w'): Segment {
  return {
    meta: {
      sessionId, windowId, seq, firstTimestamp: startMs, lastTimestamp: startMs + 999, eventCount: 3,
      hasFullSnapshot: seq === 0, encoding: 'gzip-json', protocolVersion: 1,
    },
    body: new Uint8Array(bytes),
  };
}

function fakeIndex(states: Record<string, SessionState> = {}, stored: string[] = []) {
  const calls = { states: 0, existing: 0 };
  return {
    calls,
    async sessionStates(_tenant: string, ids: string[]) {
      calls.states++;
      return new Map(ids.filter((id) => states[id]).map((id) => [id, states[id]!]));
    },
    async existingSegments(_tenant: string, keys: { sessionId: string; windowId: string; seq: number }[]) {
      calls.existing++;
      return new Set(keys.map((k) => segmentKey(k.sessionId, k.windowId, k.seq)).filter((k) => stored.includes(k)));
    },
  };
}

const state = (more: Partial<SessionState>): SessionState => ({ firstSeen: T0, replayBytes: 0, truncatedAt: null, deleted: false, ...more });
const seqs = (list: Segment[]) => list.map((s) => `${s.meta.sessionId}/${s.meta.seq}`);

describe('SessionCaps', () => {
  it('keeps everything within both caps, with one index read', async () => {
    const index = fakeIndex({ A: state({ replayBytes: 500 }) });
    const caps = new SessionCaps({ index, maxDurationMs: 3600_000, maxBytes: 1000, now: () => NOW });
    const segments = [seg('A', 1, T0 + 1000), seg('A', 2, T0 + 2000), seg('B', 0, T0)];
    const d = await caps.apply('t', segments);
    assert.deepEqual(seqs(d.keep), ['A/1', 'A/2', 'B/0']);
    assert.deepEqual([d.dropped, d.cuts], [[], []]);
    assert.deepEqual(index.calls, { states: 1, existing: 0 });
  });

  it('cuts at the first segment that ends past the duration cap, and drops the rest of that session only', async () => {
    const caps = new SessionCaps({ index: fakeIndex({ A: state({}) }), maxDurationMs: 3600_000, maxBytes: 0, now: () => NOW });
    const late = T0 + 3600_000 - 500; // ends 499 ms past the cap
    const d = await caps.apply('t', [seg('A', 9, late + 10_000), seg('A', 7, T0 + 5000), seg('A', 8, late), seg('B', 0, T0 + 3600_000 * 2)]);
    assert.deepEqual(seqs(d.keep), ['A/7', 'B/0']);
    assert.deepEqual(d.dropped.map((x) => [x.meta.seq, x.reason]), [[8, 'max-duration'], [9, 'max-duration']]);
    assert.deepEqual(d.cuts, [{ tenant: 't', sessionId: 'A', at: late, reason: 'max-duration' }]);
  });

  it('cuts at the segment that would pass the byte cap, counting what is stored and what is in flight', async () => {
    const caps = new SessionCaps({ index: fakeIndex({ A: state({ replayBytes: 600 }) }), maxDurationMs: 0, maxBytes: 1000, now: () => NOW });
    const first = await caps.apply('t', [seg('A', 1, T0 + 1000, 300)]);
    assert.deepEqual(seqs(first.keep), ['A/1']);
    // Not yet released: 600 stored + 300 in flight + 200 > 1000.
    const second = await caps.apply('t', [seg('A', 2, T0 + 2000, 200)]);
    assert.deepEqual(second.cuts.map((c) => c.reason), ['max-bytes']);
    first.release();
    first.release();
    const third = await caps.apply('t', [seg('A', 2, T0 + 2000, 200), seg('A', 3, T0 + 3000, 300)]);
    assert.deepEqual(seqs(third.keep), ['A/2']);
    assert.deepEqual(third.cuts, [{ tenant: 't', sessionId: 'A', at: T0 + 3000, reason: 'max-bytes' }]);
  });

  it('cuts a brand-new session whose first segment alone is over the byte cap', async () => {
    const caps = new SessionCaps({ index: fakeIndex(), maxDurationMs: 0, maxBytes: 1000, now: () => NOW });
    const d = await caps.apply('t', [seg('N', 0, T0, 5000)]);
    assert.deepEqual([d.keep, d.cuts], [[], [{ tenant: 't', sessionId: 'N', at: T0, reason: 'max-bytes' }]]);
  });

  it('drops everything after a cut without cutting again, but lets retries of stored segments through as duplicates', async () => {
    const index = fakeIndex({ A: state({ replayBytes: 900, truncatedAt: T0 + 50 }) }, [segmentKey('A', 'w', 1)]);
    const caps = new SessionCaps({ index, maxDurationMs: 0, maxBytes: 1000, now: () => NOW });
    const d = await caps.apply('t', [seg('A', 1, T0 + 10), seg('A', 5, T0 + 10, 1)]);
    assert.deepEqual(seqs(d.keep), ['A/1']);
    assert.deepEqual(d.dropped.map((x) => [x.meta.seq, x.reason]), [[5, 'truncated']]);
    assert.deepEqual(d.cuts, []);
  });

  it('does not mistake the retry of a segment stored just under the cap for overflow', async () => {
    const index = fakeIndex({ A: state({ replayBytes: 950 }) }, [segmentKey('A', 'w', 4)]);
    const caps = new SessionCaps({ index, maxDurationMs: 0, maxBytes: 1000, now: () => NOW });
    const d = await caps.apply('t', [seg('A', 4, T0 + 4000, 200)]);
    assert.deepEqual([seqs(d.keep), d.cuts], [['A/4'], []]);
    assert.equal(index.calls.existing, 1);
  });

  it('drops segments of a deleted session without marking a cut', async () => {
    const caps = new SessionCaps({ index: fakeIndex({ D: state({ deleted: true }) }), maxDurationMs: 0, maxBytes: 0, now: () => NOW });
    assert.equal(caps.enabled, false);
    const d = await caps.apply('t', [seg('D', 3, T0), seg('E', 0, T0)]);
    assert.deepEqual([seqs(d.keep), d.dropped.map((x) => x.reason), d.cuts], [['E/0'], ['deleted'], []]);
  });

  it('treats absurd browser clocks as the receiver clock, so they cannot dodge or force a cut', async () => {
    const caps = new SessionCaps({ index: fakeIndex({ A: state({ firstSeen: NOW - 1000 }) }), maxDurationMs: 3600_000, maxBytes: 0, now: () => NOW });
    const d = await caps.apply('t', [seg('A', 1, 0), seg('A', 2, NOW + 30 * 86_400_000)]);
    assert.deepEqual([seqs(d.keep), d.cuts], [['A/1', 'A/2'], []]);
  });
});
