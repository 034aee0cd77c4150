import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SegmentIndexRow } from '@otel-replay/protocol';
import { chooseWindow, describeWindows, findGaps, groupByWindow, planPlayback, startIndex } from './playback-plan.ts';

function row(windowId: string, seq: number, first: number, full = false, span = 900): SegmentIndexRow {
  return {
    tenant: 't', sessionId: 's', windowId, seq, firstTimestamp: first, lastTimestamp: first + span, eventCount: 10, hasFullSnapshot: full,
    encoding: 'gzip-json', objectKey: `t/segments/v1/2024-05-01/i-${seq}.orp`, offset: seq * 100, length: 100, receivedAt: 0,
  };
}

test('findGaps lists missing seq ranges between stored ones', () => {
  const segs = (seqs: number[], eventCount = 5) => seqs.map((seq) => ({ seq, eventCount }));
  assert.deepEqual(findGaps('w1', segs([])), []);
  assert.deepEqual(findGaps('w1', segs([3])), []);
  assert.deepEqual(findGaps('w1', segs([0, 1, 2])), []);
  assert.deepEqual(findGaps('w1', segs([0, 2, 3, 7])), [{ fromSeq: 1, toSeq: 1 }, { fromSeq: 4, toSeq: 6 }]);
  // Legacy windows number segments by their first event: seq advances by the event count.
  assert.deepEqual(findGaps('legacy-abc', segs([1, 6, 11])), []);
  assert.deepEqual(findGaps('legacy-abc', segs([1, 6, 20])), [{ fromSeq: 11, toSeq: 19 }]);
});

test('windows are grouped, ordered by start time, and described with gaps and snapshots', () => {
  const rows = [row('b', 1, 5000), row('a', 0, 2000, true), row('b', 0, 1000, true), row('a', 3, 4000, true), row('a', 1, 3000)];
  assert.deepEqual([...groupByWindow(rows).keys()], ['b', 'a']);
  const [b, a] = describeWindows(rows);
  assert.deepEqual(b!.segments.map((s) => s.seq), [0, 1]);
  assert.equal(a!.windowId, 'a');
  assert.equal(a!.firstTimestamp, 2000);
  assert.equal(a!.lastTimestamp, 4900);
  assert.equal(a!.segmentCount, 3);
  assert.equal(a!.eventCount, 30);
  assert.equal(a!.bytes, 300);
  assert.deepEqual(a!.fullSnapshots, [2000, 4000]);
  assert.deepEqual(a!.gaps, [{ fromSeq: 2, toSeq: 2 }]);
  assert.deepEqual(a!.segments[0], { seq: 0, firstTimestamp: 2000, lastTimestamp: 2900, eventCount: 10, hasFullSnapshot: true, length: 100 });
});

test('playback starts at the last full snapshot at or before the moment', () => {
  const segs = [row('w', 0, 0, true), row('w', 1, 1000), row('w', 2, 2000, true), row('w', 3, 3000), row('w', 4, 4000, true)];
  assert.equal(startIndex(segs, undefined), 0);
  assert.equal(startIndex(segs, 3500), 2);
  assert.equal(startIndex(segs, 2000), 2);
  assert.equal(startIndex(segs, 1999), 0);
  assert.equal(startIndex(segs, 99_999), 4);
  // No snapshot at or before the moment (the window's start is gone): the first snapshot,
  // since what comes before it cannot be drawn; no snapshot at all: the first segment.
  const trimmed = [row('w', 5, 100), row('w', 6, 200, true), row('w', 7, 300), row('w', 8, 400, true)];
  assert.equal(startIndex(trimmed, 150), 1);
  assert.equal(startIndex(trimmed, undefined), 1);
  assert.equal(startIndex(trimmed, 450), 3);
  assert.equal(startIndex([row('w', 5, 100), row('w', 6, 200)], 150), 0);
  assert.equal(startIndex([row('w', 5, 100), row('w', 6, 200)], undefined), 0);
  const plan = planPlayback(trimmed, 'w', undefined)!;
  assert.deepEqual([plan.fromSeq, plan.fromTimestamp, plan.steps.length], [6, 200, 3]);
  // A legacy window keeps its first segment: its Meta event travels alone before the snapshot.
  const legacy = [row('legacy-p1', 0, 100), row('legacy-p1', 1, 101, true), row('legacy-p1', 2, 300)];
  assert.equal(startIndex(legacy, undefined), 0);
  assert.equal(startIndex(legacy, 50), 0);
  assert.equal(startIndex(legacy, 200), 1);
});

test('the plan interleaves gaps in seq order and honours until', () => {
  const segs = [row('w', 0, 0, true), row('w', 1, 1000), row('w', 4, 4000, true), row('w', 5, 5000), row('w', 6, 6000)];
  const plan = planPlayback(segs, 'w', 1500)!;
  assert.equal(plan.fromSeq, 0);
  assert.equal(plan.fromTimestamp, 0);
  assert.equal(plan.at, 1500);
  assert.deepEqual(plan.steps.map((s) => (s.kind === 'gap' ? `gap ${s.fromSeq}-${s.toSeq}` : s.row.seq)), [0, 1, 'gap 2-3', 4, 5, 6]);
  const late = planPlayback(segs, 'w', 5500, 5000)!;
  assert.deepEqual(late.steps.map((s) => (s.kind === 'gap' ? 'gap' : s.row.seq)), [4, 5]);
  // The start segment is always sent, even when it begins after until.
  assert.deepEqual(planPlayback(segs, 'w', 4500, 10)!.steps.map((s) => (s.kind === 'gap' ? 'gap' : s.row.seq)), [4]);
  assert.equal(planPlayback(segs, 'w', undefined)!.at, 0);
  assert.equal(planPlayback([], 'w', 0), undefined);
});

test('the default window is the one playing at the moment, else the first', () => {
  const groups = groupByWindow([row('a', 0, 0, true, 1000), row('b', 0, 5000, true, 1000)]);
  assert.equal(chooseWindow(groups, 5500), 'b');
  assert.equal(chooseWindow(groups, 500), 'a');
  assert.equal(chooseWindow(groups, 3000), 'a');
  assert.equal(chooseWindow(groups, undefined), 'a');
  assert.equal(chooseWindow(new Map(), 1), undefined);
});
