import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PROTOCOL_VERSION } from './segment.ts';
import { segmentMetaOf, startsWithFullSnapshot } from './rrweb.ts';

const where = { sessionId: 's1', windowId: 'w1', seq: 3 };

test('segmentMetaOf derives times, count and the full-snapshot flag from the events', () => {
  const meta = segmentMetaOf([{ type: 4, timestamp: 1000.7 }, { type: 2, timestamp: 1001 }, { type: 3, timestamp: 1500 }], where, 'gzip-json');
  assert.deepEqual(meta, { ...where, firstTimestamp: 1000, lastTimestamp: 1500, eventCount: 3, hasFullSnapshot: true, encoding: 'gzip-json', protocolVersion: PROTOCOL_VERSION });
});

test('segmentMetaOf takes the earliest and latest time even when the clock stepped back, and a Meta alone is no full snapshot', () => {
  const meta = segmentMetaOf([{ type: 4, timestamp: 2000 }, { type: 3, timestamp: 1900 }, { type: 3, timestamp: 2100 }], where, 'json');
  assert.equal(meta.firstTimestamp, 1900);
  assert.equal(meta.lastTimestamp, 2100);
  assert.equal(meta.hasFullSnapshot, false);
  assert.equal(startsWithFullSnapshot([{ type: 2 }]), true);
});
