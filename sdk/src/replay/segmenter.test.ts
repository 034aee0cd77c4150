import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startsWithFullSnapshot } from '@otel-replay/protocol';
import type { RrwebEvent } from '@otel-replay/protocol';
import { Segmenter, startsWithFullSnapshot as segmenterRule, trimBuffer } from './segmenter.ts';
import type { SealedSegment } from './segmenter.ts';

const meta = (t: number): RrwebEvent => ({ type: 4, timestamp: t, data: { href: 'http://x/', width: 1, height: 1 } });
const full = (t: number, pad = 0): RrwebEvent => ({ type: 2, timestamp: t, data: { node: { type: 0, id: 1, childNodes: [] }, pad: 'x'.repeat(pad) } });
const inc = (t: number, pad = 0): RrwebEvent => ({ type: 3, timestamp: t, data: { source: 2, pad: 'y'.repeat(pad) } });

function types(s: SealedSegment): number[] {
  return (JSON.parse(s.json) as RrwebEvent[]).map((e) => e.type);
}

test('a Meta + FullSnapshot pair always starts a new segment, flagged as a full snapshot', () => {
  const seg = new Segmenter({ maxRawChars: 1e6 });
  assert.deepEqual(seg.push(meta(1)), []);
  assert.deepEqual(seg.push(full(2)), []);
  assert.deepEqual(seg.push(inc(3)), []);
  const sealed = seg.push(meta(10));
  assert.equal(sealed.length, 1);
  assert.deepEqual(types(sealed[0]!), [4, 2, 3]);
  assert.equal(sealed[0]!.hasFullSnapshot, true);
  assert.equal(sealed[0]!.firstTimestamp, 1);
  assert.equal(sealed[0]!.lastTimestamp, 3);
  assert.equal(sealed[0]!.eventCount, 3);
  seg.push(full(11));
  const rest = seg.seal()!;
  assert.deepEqual(types(rest), [4, 2]);
  assert.equal(rest.hasFullSnapshot, true);
  assert.equal(seg.seal(), null);
});

test('a FullSnapshot without its Meta also opens a segment; a segment starting with an incremental is not seekable', () => {
  const seg = new Segmenter({ maxRawChars: 1e6 });
  seg.push(inc(1));
  const sealed = seg.push(full(2));
  assert.equal(sealed.length, 1);
  assert.equal(sealed[0]!.hasFullSnapshot, false);
  const next = seg.seal()!;
  assert.equal(next.hasFullSnapshot, true);
  assert.deepEqual(types(next), [2]);
});

test('every sealed segment agrees with the protocol full-snapshot rule and never holds a full snapshot after its start', () => {
  const seg = new Segmenter({ maxRawChars: 400 });
  const sealed: SealedSegment[] = [];
  let t = 0;
  for (let round = 0; round < 30; round++) {
    sealed.push(...seg.push(meta(++t)), ...seg.push(full(++t, round * 7)));
    for (let i = 0; i < round % 5; i++) sealed.push(...seg.push(inc(++t, 50)));
  }
  const last = seg.seal();
  if (last) sealed.push(last);
  assert.equal(sealed.reduce((n, s) => n + s.eventCount, 0), 30 * 2 + [0, 1, 2, 3, 4].reduce((a, b) => a + b, 0) * 6);
  for (const s of sealed) {
    const events = JSON.parse(s.json) as RrwebEvent[];
    assert.equal(s.hasFullSnapshot, startsWithFullSnapshot(events));
    assert.equal(events.slice(2).some((e) => e.type === 2 || e.type === 4), false, 'a Meta/FullSnapshot inside a segment');
    assert.ok(s.lastTimestamp >= s.firstTimestamp);
  }
});

test('the segmenter\'s full-snapshot rule is the protocol\'s, for every start of up to three event types', () => {
  const types = [undefined, 0, 1, 2, 3, 4, 5, 6, 7];
  let checked = 0;
  for (const a of types) for (const b of types) for (const c of types) {
    const list = [a, b, c].filter((x): x is number => x !== undefined);
    assert.equal(segmenterRule(list), startsWithFullSnapshot(list.map((type) => ({ type, timestamp: 1 }))), `types ${JSON.stringify(list)}`);
    checked++;
  }
  assert.equal(checked, 729);
});

test('segments are sealed when their raw size passes the limit, and a huge event travels alone', () => {
  const seg = new Segmenter({ maxRawChars: 1000 });
  const sealed: SealedSegment[] = [];
  for (let i = 0; i < 20; i++) sealed.push(...seg.push(inc(i, 100)));
  assert.ok(sealed.length >= 2);
  for (const s of sealed) assert.ok(s.json.length < 1000 + 200, `segment of ${s.json.length} chars`);
  const before = seg.size;
  assert.ok(before > 0);
  const bigSealed = seg.push(inc(100, 5000));
  // the buffered events are sealed first, then the huge one alone
  assert.equal(bigSealed.length, 2);
  assert.equal(bigSealed[0]!.eventCount, before);
  assert.equal(bigSealed[1]!.eventCount, 1);
  assert.equal(seg.size, 0);
});

test('a Meta is never sealed alone away from its FullSnapshot by the size limit', () => {
  const seg = new Segmenter({ maxRawChars: 10 });
  assert.deepEqual(seg.push(meta(1)), []);
  const sealed = seg.push(full(2, 50));
  assert.equal(sealed.length, 1);
  assert.deepEqual(types(sealed[0]!), [4, 2]);
  assert.equal(sealed[0]!.hasFullSnapshot, true);
});

test('a clock that jumps back keeps last_ts >= first_ts', () => {
  const seg = new Segmenter({ maxRawChars: 1e6 });
  seg.push(inc(1000));
  seg.push(inc(500));
  const s = seg.seal()!;
  assert.equal(s.firstTimestamp, 1000);
  assert.equal(s.lastTimestamp, 1000);
});

test('trimBuffer keeps the latest full snapshot at or before the cut-off and everything after it', () => {
  const mk = (first: number, full: boolean): SealedSegment => ({ json: '[]', firstTimestamp: first, lastTimestamp: first + 1, eventCount: 1, hasFullSnapshot: full });
  const segs = [mk(0, true), mk(5, false), mk(10, true), mk(15, false), mk(20, true), mk(25, false)];
  // window 12 at now 30: cut-off 18, latest full <= 18 is the one at 10
  assert.deepEqual(trimBuffer(segs, 30, 12).map((s) => s.firstTimestamp), [10, 15, 20, 25]);
  // everything is newer than the cut-off: keep from the first full snapshot
  assert.deepEqual(trimBuffer(segs, 10, 100).map((s) => s.firstTimestamp), [0, 5, 10, 15, 20, 25]);
  assert.deepEqual(trimBuffer([mk(0, false), mk(5, true), mk(8, false)], 9, 100).map((s) => s.firstTimestamp), [5, 8]);
  assert.deepEqual(trimBuffer([mk(0, false)], 9, 1), []);
});
