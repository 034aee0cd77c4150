import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { SegmentIndexRow } from '@otel-replay/protocol';
import type { ObjectStore } from '../storage/object-store.ts';
import { ObjectNotFoundError, StoreUnavailableError } from '../storage/object-store.ts';
import { decodeSegment, planReadRuns, readSegment, readSegmentRun } from './segment-reader.ts';

const EVENTS = [{ type: 4, timestamp: 1000, data: { href: 'http://127.0.0.1/' } }, { type: 2, timestamp: 1001, data: {} }];

function rowFor(bytes: Uint8Array, offset = 0): SegmentIndexRow {
  return {
    tenant: 't', sessionId: 's', windowId: 'w', seq: 7, firstTimestamp: 1000, lastTimestamp: 1001, eventCount: 2, hasFullSnapshot: true,
    encoding: 'gzip-json', objectKey: 't/segments/v1/2024-05-01/a.orp', offset, length: bytes.length, receivedAt: 0,
  };
}

/** An object store holding one object, or failing the way a broken one does. */
function storeWith(object: Uint8Array | Error): ObjectStore {
  return {
    description: 'memory',
    async getRange(_key, offset, length) {
      if (object instanceof Error) throw object;
      return object.slice(offset, offset + length);
    },
    async get() {
      throw new Error('not used');
    },
    async put() {},
    async delete() {},
    async list() {
      return [];
    },
    async ping() {},
    async close() {},
  };
}

const gz = (text: string) => new Uint8Array(gzipSync(text));

test('a good member decodes to its events', async () => {
  const bytes = gz(JSON.stringify(EVENTS));
  const prefix = new Uint8Array(13);
  const object = new Uint8Array([...prefix, ...bytes, 9, 9]);
  const outcome = await readSegment(storeWith(object), rowFor(bytes, 13));
  assert.ok(outcome.ok);
  assert.deepEqual(outcome.events, EVENTS);
});

test('every kind of damage is reported with a reason naming the segment', async () => {
  const good = gz(JSON.stringify(EVENTS));
  const cases: [string, Uint8Array, SegmentIndexRow, RegExp][] = [
    ['not gzip', new TextEncoder().encode('x'.repeat(40)), rowFor(new Uint8Array(40)), /not a gzip member/],
    ['short read', good.slice(0, 20), rowFor(good), /read 20 bytes .* index says/],
    ['corrupt deflate', (() => { const b = good.slice(); b.fill(0xff, 10, 20); return b; })(), rowFor(good), /gzip data is corrupt/],
    ['not JSON', gz('{oops'), rowFor(gz('{oops')), /not UTF-8 JSON/],
    ['not UTF-8', gz('x'), rowFor(gz('x')), /not UTF-8 JSON/],
    ['not an array', gz('{"a":1}'), rowFor(gz('{"a":1}')), /not a JSON array/],
    ['not events', gz('[{"type":2}]'), rowFor(gz('[{"type":2}]')), /event 0 is not an rrweb event/],
  ];
  for (const [label, bytes, row, reason] of cases) {
    const outcome = await decodeSegment(row, bytes);
    assert.equal(outcome.ok, false, label);
    if (!outcome.ok) {
      assert.match(outcome.reason, /^segment 7 of window w: /, label);
      assert.match(outcome.reason, reason, label);
    }
  }
});

test('non-UTF-8 content is damaged, not mangled', async () => {
  const bytes = new Uint8Array(gzipSync(Buffer.from([0x5b, 0xff, 0x5d])));
  const outcome = await decodeSegment(rowFor(bytes), bytes);
  assert.equal(outcome.ok, false);
});

test('a decompression bomb is refused', async () => {
  const bytes = gz(`[${'0,'.repeat(600_000)}0]`);
  const outcome = await decodeSegment(rowFor(bytes), bytes, 1024 * 1024);
  assert.equal(outcome.ok, false);
  if (!outcome.ok) assert.match(outcome.reason, /decompresses to more than 1048576 bytes/);
});

test('a missing object or a bad range is damage; an unreachable store is thrown', async () => {
  const row = rowFor(gz('[]'));
  const missing = await readSegment(storeWith(new ObjectNotFoundError('gone')), row);
  assert.equal(missing.ok, false);
  if (!missing.ok) assert.match(missing.reason, /object t\/segments\/v1\/2024-05-01\/a.orp is missing/);
  const range = await readSegment(storeWith(new RangeError('ends before byte 99')), row);
  assert.equal(range.ok, false);
  if (!range.ok) assert.match(range.reason, /ends before byte 99/);
  await assert.rejects(readSegment(storeWith(new StoreUnavailableError('disk gone')), row), StoreUnavailableError);
});

test('runs: the first row alone, then growing runs of neighbours in one object', () => {
  const rowAt = (seq: number, offset: number, length: number, key = 'k'): SegmentIndexRow => ({ ...rowFor(new Uint8Array(length), offset), seq, objectKey: key });
  // 40 neighbouring 4 KiB segments in one object, then one in another object, then one after a 1 MiB hole.
  const rows = Array.from({ length: 40 }, (_, i) => rowAt(i, i * 4096, 4096));
  rows.push(rowAt(40, 0, 4096, 'other'), rowAt(41, 4096 + 1024 * 1024, 4096, 'other'));
  const runs = planReadRuns(rows);
  assert.deepEqual(runs.map((r) => r.rows.length), [1, 4, 16, 19, 1, 1]);
  assert.deepEqual(runs.flatMap((r) => r.rows.map((x) => x.seq)), rows.map((r) => r.seq), 'order kept, nothing dropped or repeated');
  for (const run of runs) assert.ok(run.rows.every((r) => r.objectKey === run.objectKey));
  // Overlapping or backwards offsets never join a run.
  assert.equal(planReadRuns([rowAt(0, 0, 10), rowAt(1, 100, 10), rowAt(2, 105, 10), rowAt(3, 50, 10)]).length, 4);
});

test('a run is one range read; damage inside it stays with its segment', async () => {
  const good = gz(JSON.stringify(EVENTS));
  const junk = new Uint8Array([1, 2, 3, 4, 5]);
  const object = new Uint8Array([...good, ...junk, ...good]);
  const rows = [rowFor(good, 0), { ...rowFor(junk, good.length), seq: 8 }, { ...rowFor(good, good.length + junk.length), seq: 9 }];
  let reads = 0;
  const store = storeWith(object);
  const counting: ObjectStore = { ...store, getRange: (k, o, l) => (reads++, store.getRange(k, o, l)) };
  const outcomes = await readSegmentRun(counting, { objectKey: rows[0]!.objectKey, rows });
  assert.equal(reads, 1);
  assert.deepEqual(outcomes.map((o) => o.ok), [true, false, true]);
  assert.ok(outcomes[2]!.ok && outcomes[2]!.json === JSON.stringify(EVENTS));
  // A range error on the whole run falls back to reading row by row.
  let calls = 0;
  const picky: ObjectStore = { ...store, getRange: async (k, o, l) => { calls++; if (l > good.length + 10) throw new RangeError('too long'); return store.getRange(k, o, l); } };
  assert.deepEqual((await readSegmentRun(picky, { objectKey: 'k', rows })).map((o) => o.ok), [true, false, true]);
  assert.equal(calls, 4);
  await assert.rejects(readSegmentRun(storeWith(new StoreUnavailableError('down')), { objectKey: 'k', rows }), StoreUnavailableError);
});
