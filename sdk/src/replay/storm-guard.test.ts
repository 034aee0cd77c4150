import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RrwebEvent } from '@otel-replay/protocol';
import { StormGuard } from './storm-guard.ts';

function mutation(t: number, data: { texts?: number[]; attributes?: number[]; adds?: number[]; removes?: number[] }): RrwebEvent {
  return {
    type: 3,
    timestamp: t,
    data: {
      source: 0,
      texts: (data.texts ?? []).map((id) => ({ id, value: 'x' })),
      attributes: (data.attributes ?? []).map((id) => ({ id, attributes: { class: 'a' } })),
      adds: (data.adds ?? []).map((parentId) => ({ parentId, nextId: null, node: { type: 3, id: 1000 + parentId, textContent: '' } })),
      removes: (data.removes ?? []).map((parentId) => ({ parentId, id: 2000 })),
    },
  };
}

test('a node over its rate loses its mutations while other nodes keep theirs, then a calm period asks for a full snapshot', () => {
  let now = 1_000_000;
  const guard = new StormGuard({ maxMutationsPerNodePerSecond: 10, maxMutationsPerBatch: 1000, calmMs: 500, now: () => now });
  let kept = 0;
  let reports = 0;
  for (let i = 0; i < 50; i++) {
    now += 5; // 200 mutations per second on node 7
    const { event, report } = guard.filter(mutation(now, { texts: [7], attributes: [8 + (i % 40)] }));
    if (report) reports++;
    const data = event?.data as { texts: unknown[]; attributes: unknown[] } | undefined;
    kept += data?.texts.length ?? 0;
    assert.equal(data?.attributes.length, 1, 'the quiet nodes keep their mutations');
  }
  assert.ok(kept >= 10 && kept <= 13, `kept ${kept} mutations of the noisy node`);
  assert.ok(reports > 0);
  assert.equal(guard.isDirty(), true);
  assert.equal(guard.shouldResnapshot(), false, 'still storming');
  now += 499;
  assert.equal(guard.shouldResnapshot(), false);
  now += 1;
  assert.equal(guard.shouldResnapshot(), true);
  assert.ok(guard.droppedSinceSnapshot >= 37);
  guard.snapshotTaken();
  assert.equal(guard.shouldResnapshot(), false);
  assert.equal(guard.droppedSinceSnapshot, 0);
  // the bucket refilled: node 7 may mutate again
  now += 2000;
  assert.notEqual(guard.filter(mutation(now, { texts: [7] })).event, null);
});

test('a batch over the cap is dropped whole and reported', () => {
  const guard = new StormGuard({ maxMutationsPerNodePerSecond: 1e6, maxMutationsPerBatch: 100, now: () => 0 });
  const adds = Array.from({ length: 101 }, (_, i) => i);
  const { event, report } = guard.filter(mutation(0, { adds }));
  assert.equal(event, null);
  assert.deepEqual(report, { reason: 'batch-size', dropped: 101, nodeIds: [] });
  assert.equal(guard.isDirty(), true);
  const ok = guard.filter(mutation(0, { adds: adds.slice(0, 100) }));
  assert.notEqual(ok.event, null);
  assert.equal(ok.report, null);
});

test('non-mutation events and malformed mutation data pass through untouched', () => {
  const guard = new StormGuard({ maxMutationsPerNodePerSecond: 1, maxMutationsPerBatch: 1, now: () => 0 });
  const scroll: RrwebEvent = { type: 3, timestamp: 0, data: { source: 3, id: 1, x: 0, y: 5 } };
  assert.equal(guard.filter(scroll).event, scroll);
  const meta: RrwebEvent = { type: 4, timestamp: 0, data: { href: 'x' } };
  assert.equal(guard.filter(meta).event, meta);
  const empty: RrwebEvent = { type: 3, timestamp: 0, data: { source: 0 } };
  assert.equal(guard.filter(empty).event, empty);
  const noData: RrwebEvent = { type: 3, timestamp: 0 };
  assert.equal(guard.filter(noData).event, noData);
  assert.equal(guard.isDirty(), false);
});

test('memory stays bounded with many distinct nodes', () => {
  let now = 0;
  const guard = new StormGuard({ maxMutationsPerNodePerSecond: 5, maxMutationsPerBatch: 1e6, now: () => now });
  for (let i = 0; i < 30_000; i++) {
    now += 1;
    guard.filter(mutation(now, { texts: [i] }));
  }
  const size = (guard as unknown as { counts: Map<number, unknown> }).counts.size;
  assert.ok(size <= 10_000, `${size} node counters kept`);
});

test('a node may spend its per-second budget at once; over it only its own text and attribute changes go, in order, and the next window starts afresh', () => {
  let now = 5_000;
  const guard = new StormGuard({ maxMutationsPerNodePerSecond: 3, maxMutationsPerBatch: 1000, now: () => now });
  const quiet = mutation(now, { texts: [1, 2] });
  assert.equal(guard.filter(quiet).event, quiet, 'nothing dropped: the event itself, not a copy');
  // node 9: 3 text changes and 2 attribute changes, 2 over; node 2 has 2 of its 3 left
  const noisy = mutation(now, { adds: [9, 4, 9], removes: [9], texts: [9, 2, 9, 9], attributes: [9, 3, 9, 2, 2] });
  const { event, report } = guard.filter(noisy);
  const data = event!.data as { adds: { parentId: number }[]; removes: unknown[]; texts: { id: number }[]; attributes: { id: number }[] };
  assert.deepEqual(data.adds.map((a) => a.parentId), [9, 4, 9], 'adds and removes are never rate-limited');
  assert.equal(data.removes.length, 1);
  assert.deepEqual(data.texts.map((t) => t.id), [9, 2, 9, 9]);
  assert.deepEqual(data.attributes.map((a) => a.id), [3, 2], 'node 9 is over its 3 per second, and so is node 2 after its third');
  assert.deepEqual(report, { reason: 'node-rate', dropped: 3, nodeIds: [9, 2] });
  assert.equal((noisy.data as { attributes: unknown[] }).attributes.length, 5, 'the original event is left as it was');
  now += 999;
  assert.equal(guard.filter(mutation(now, { texts: [9] })).event, null, 'still the same window');
  now += 1;
  const next = guard.filter(mutation(now, { texts: [9, 9, 9, 9] }));
  assert.equal((next.event!.data as { texts: unknown[] }).texts.length, 3, 'a new window: 3 again, and not more');
  assert.equal(next.report?.dropped, 1);
});

test('a table re-rendered under one parent twenty times a second is recorded whole', () => {
  let now = 0;
  const guard = new StormGuard({ maxMutationsPerNodePerSecond: 100, maxMutationsPerBatch: 5000, now: () => now });
  const rows = Array.from({ length: 120 }, () => 77);
  for (let i = 0; i < 40; i++) {
    now += 50;
    const event = mutation(now, { removes: rows, adds: rows });
    const out = guard.filter(event);
    assert.equal(out.event, event, `re-render ${i} passed untouched`);
    assert.equal(out.report, null);
  }
  assert.equal(guard.isDirty(), false);
});

test('a storm that never calms is still repaired every maxDirtyMs', () => {
  let now = 0;
  const guard = new StormGuard({ maxMutationsPerNodePerSecond: 5, maxMutationsPerBatch: 1000, calmMs: 1000, maxDirtyMs: 3000, now: () => now });
  const due: number[] = [];
  for (let t = 0; t < 10_000; t += 10) {
    now = t;
    guard.filter(mutation(now, { attributes: [4] })); // 100 a second, forever
    if (guard.shouldResnapshot()) {
      due.push(now);
      guard.snapshotTaken();
    }
  }
  assert.ok(due.length >= 3 && due.length <= 4, `repairs at ${due.join(', ')}`);
  for (let i = 1; i < due.length; i++) assert.ok(due[i]! - due[i - 1]! >= 3000, `repairs ${due[i - 1]} and ${due[i]} at least maxDirtyMs apart`);
});
