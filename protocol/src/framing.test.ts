// Tests for the group-commit object format: framing round trip, byte ranges that a
// range GET can use, damaged objects refused with ProtocolError, and safe object keys.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { FOOTER_BYTES, OBJECT_MAGIC, OBJECT_SUFFIX, frameObject, objectKey, readFooter, readManifest } from './framing.ts';
import type { ObjectManifest } from './framing.ts';
import { ProtocolError } from './segment.ts';
import type { SegmentMeta } from './segment.ts';

function meta(seq: number, sessionId = 'sess-1'): SegmentMeta {
  return { sessionId, windowId: 'w1', seq, firstTimestamp: 1000 + seq, lastTimestamp: 2000 + seq, eventCount: 2, hasFullSnapshot: seq === 0, encoding: 'gzip-json', protocolVersion: 1 };
}

function member(seq: number): { meta: SegmentMeta; gzip: Uint8Array; json: string } {
  const json = JSON.stringify([{ type: 3, timestamp: 1000 + seq, data: { seq, text: 'é'.repeat(seq * 10) } }]);
  return { meta: meta(seq), gzip: new Uint8Array(gzipSync(json)), json };
}

/** Builds an object whose manifest is `manifest` verbatim (for damaged-manifest cases). */
function objectWithManifest(members: Uint8Array, manifest: unknown): Uint8Array {
  const m = new TextEncoder().encode(typeof manifest === 'string' ? manifest : JSON.stringify(manifest));
  const out = new Uint8Array(members.length + m.length + FOOTER_BYTES);
  out.set(members);
  out.set(m, members.length);
  const footer = new DataView(out.buffer, members.length + m.length, FOOTER_BYTES);
  for (let i = 0; i < 8; i++) footer.setUint8(i, OBJECT_MAGIC.charCodeAt(i));
  footer.setUint32(8, members.length);
  footer.setUint32(12, m.length);
  return out;
}

function isProtocolError(pattern: RegExp): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof ProtocolError, `expected ProtocolError, got ${String(err)}`);
    assert.match(err.message, pattern);
    return true;
  };
}

test('frameObject and readManifest round-trip; every placement is a whole gzip member', () => {
  const members = [member(0), member(1), member(2)];
  const { bytes, placements } = frameObject('tenant-a', 1_767_225_600_000, members);
  const manifest = readManifest(bytes);
  assert.equal(manifest.format, 'otel-replay-object');
  assert.equal(manifest.version, 1);
  assert.equal(manifest.tenant, 'tenant-a');
  assert.equal(manifest.createdAt, 1_767_225_600_000);
  assert.equal(manifest.segments.length, 3);
  members.forEach((m, i) => {
    const p = placements[i]!;
    assert.deepEqual(manifest.segments[i], { ...m.meta, offset: p.offset, length: p.length });
    // What a byte-range GET of that placement returns inflates to the segment's JSON.
    assert.equal(gunzipSync(bytes.subarray(p.offset, p.offset + p.length)).toString('utf8'), m.json);
  });
  // Members are back to back from offset 0, so zcat of the member area yields the arrays in order.
  assert.equal(placements[0]!.offset, 0);
  const membersEnd = placements[2]!.offset + placements[2]!.length;
  assert.equal(gunzipSync(bytes.subarray(0, membersEnd)).toString('utf8'), members.map((m) => m.json).join(''));
  assert.deepEqual(readFooter(bytes.subarray(bytes.length - FOOTER_BYTES)), { manifestOffset: membersEnd, manifestLength: bytes.length - FOOTER_BYTES - membersEnd });
});

test('an object with no segments frames and reads back', () => {
  const { bytes, placements } = frameObject('t1', 0, []);
  assert.deepEqual(placements, []);
  assert.deepEqual(readManifest(bytes).segments, []);
});

test('a truncated object is refused', () => {
  const { bytes } = frameObject('t1', 1, [member(0), member(1)]);
  assert.throws(() => readManifest(bytes.subarray(0, bytes.length - 1)), isProtocolError(/no ORPLOBJ1 magic|does not end at the footer/));
  assert.throws(() => readManifest(bytes.subarray(1)), isProtocolError(/does not end at the footer/));
  assert.throws(() => readManifest(bytes.subarray(0, 10)), isProtocolError(/footer needs 16 bytes, got 10/));
  assert.throws(() => readManifest(new Uint8Array(0)), isProtocolError(/footer needs 16 bytes, got 0/));
});

test('bad magic is refused', () => {
  const { bytes } = frameObject('t1', 1, [member(0)]);
  const copy = bytes.slice();
  copy[copy.length - FOOTER_BYTES] = 0x58;
  assert.throws(() => readManifest(copy), isProtocolError(/no ORPLOBJ1 magic: not an otel-replay object, or truncated/));
  assert.throws(() => readFooter(new Uint8Array(FOOTER_BYTES)), isProtocolError(/no ORPLOBJ1 magic/));
});

test('a manifest entry pointing outside the members is refused', () => {
  const members = new Uint8Array(gzipSync('[]'));
  const good: ObjectManifest = { format: 'otel-replay-object', version: 1, tenant: 't1', createdAt: 1, segments: [{ ...meta(4), offset: 0, length: members.length }] };
  assert.equal(readManifest(objectWithManifest(members, good)).segments.length, 1);
  const bad = (entry: Record<string, unknown>) => objectWithManifest(members, { ...good, segments: [{ ...meta(4), ...entry }] });
  assert.throws(() => readManifest(bad({ offset: 0, length: members.length + 1 })), isProtocolError(/entry for segment 4 of session "sess-1" points outside the members/));
  assert.throws(() => readManifest(bad({ offset: -1, length: 2 })), isProtocolError(/points outside/));
  assert.throws(() => readManifest(bad({ offset: 0, length: 0 })), isProtocolError(/points outside/));
  assert.throws(() => readManifest(bad({ offset: 0.5, length: 2 })), isProtocolError(/points outside/));
  assert.throws(() => readManifest(bad({ offset: '0', length: 2 })), isProtocolError(/points outside/));
  // Hostile values in the fields the message quotes do not turn into a TypeError.
  assert.throws(() => readManifest(bad({ offset: 99, length: 1, seq: { toString: 1 }, sessionId: { valueOf: 1 } })), isProtocolError(/points outside/));
});

test('a damaged manifest is refused', () => {
  const members = new Uint8Array(gzipSync('[]'));
  assert.throws(() => readManifest(objectWithManifest(members, '{not json')), isProtocolError(/manifest is not valid UTF-8 JSON/));
  assert.throws(() => readManifest(objectWithManifest(members, 'null')), isProtocolError(/unknown format or version/));
  assert.throws(() => readManifest(objectWithManifest(members, { format: 'otel-replay-object', version: 2, segments: [] })), isProtocolError(/unknown format or version/));
  assert.throws(() => readManifest(objectWithManifest(members, { format: 'otel-replay-object', version: 1, segments: {} })), isProtocolError(/unknown format or version/));
  assert.throws(() => readManifest(objectWithManifest(members, { format: 'otel-replay-object', version: 1, segments: [null] })), isProtocolError(/entry that is not an object/));
  const invalidUtf8 = objectWithManifest(members, 'xx');
  invalidUtf8[members.length] = 0xff;
  assert.throws(() => readManifest(invalidUtf8), isProtocolError(/not valid UTF-8 JSON/));
});

test('objectKey puts the tenant first, then the UTC day', () => {
  const key = objectKey('tenant-a', Date.UTC(2026, 0, 2, 23, 59, 59), 'receiver-1', 'n0nce');
  assert.equal(key, `tenant-a/segments/v1/2026-01-02/receiver-1-${Date.UTC(2026, 0, 2, 23, 59, 59)}-n0nce${OBJECT_SUFFIX}`);
  assert.ok(key.startsWith('tenant-a/'));
});

test('objectKey refuses unsafe tenants, instance ids and nonces', () => {
  for (const bad of ['../x', 'a/b', '..', '', 'a\u0000b', 'é', 'x'.repeat(129), '.x']) {
    assert.throws(() => objectKey(bad, 0, 'i', 'n'), isProtocolError(/tenant/));
    assert.throws(() => objectKey('t', 0, bad, 'n'), isProtocolError(/instance id/));
    assert.throws(() => objectKey('t', 0, 'i', bad), isProtocolError(/object nonce/));
  }
});
