// Tests for the segment contract: attribute reading (every attribute valid and invalid),
// id safety against hostile values, and body checks.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import {
  PROTOCOL_VERSION,
  ProtocolError,
  SEGMENT_EVENT_NAME,
  SegmentAttr,
  SegmentLimits,
  checkId,
  isGzip,
  isSafeId,
  readSegmentAttributes,
  segmentAttributes,
  segmentBodyBytes,
} from './segment.ts';
import type { Attributes, SegmentMeta } from './segment.ts';

const meta: SegmentMeta = {
  sessionId: '0f5c1a7e9d2b4c6a8e1f3a5b7c9d1e2f',
  windowId: 'w-01HZX3K5T',
  seq: 7,
  firstTimestamp: 1_767_225_600_000,
  lastTimestamp: 1_767_225_604_999,
  eventCount: 42,
  hasFullSnapshot: true,
  encoding: 'gzip-json',
  protocolVersion: PROTOCOL_VERSION,
};

function attrs(overrides: Attributes = {}): Attributes {
  return { ...segmentAttributes(meta), ...overrides };
}

function rejects(a: Attributes, pattern: RegExp): void {
  assert.throws(() => readSegmentAttributes(a), (err: unknown) => {
    assert.ok(err instanceof ProtocolError, `expected ProtocolError, got ${String(err)}`);
    assert.match(err.message, pattern);
    return true;
  });
}

test('the event name and attribute names are the documented ones', () => {
  assert.equal(SEGMENT_EVENT_NAME, 'otel_replay.segment');
  assert.equal(SegmentAttr.sessionId, 'session.id');
  assert.deepEqual(Object.keys(segmentAttributes(meta)).sort(), Object.values(SegmentAttr).sort());
});

test('segmentAttributes and readSegmentAttributes round-trip', () => {
  assert.deepEqual(readSegmentAttributes(attrs()), meta);
  const json = { ...meta, encoding: 'json' as const, hasFullSnapshot: false, seq: 0 };
  assert.deepEqual(readSegmentAttributes(segmentAttributes(json)), json);
});

test('integers may arrive as bigint, integral doubles or decimal strings', () => {
  const m = readSegmentAttributes(attrs({ [SegmentAttr.seq]: 9n, [SegmentAttr.eventCount]: '3', [SegmentAttr.firstTimestamp]: 1_767_225_600_000.0 }));
  assert.equal(m.seq, 9);
  assert.equal(m.eventCount, 3);
  assert.equal(m.firstTimestamp, 1_767_225_600_000);
});

test('every attribute is required', () => {
  for (const name of Object.values(SegmentAttr)) {
    const a = attrs();
    delete a[name];
    rejects(a, new RegExp(name.replace(/\./g, '\\.')));
  }
});

test('wrong types are refused with the attribute named', () => {
  rejects(attrs({ [SegmentAttr.seq]: 1.5 }), /replay\.segment\.seq must be an integer, got 1\.5/);
  rejects(attrs({ [SegmentAttr.seq]: '1.5' }), /replay\.segment\.seq must be an integer/);
  rejects(attrs({ [SegmentAttr.seq]: true }), /replay\.segment\.seq must be an integer/);
  rejects(attrs({ [SegmentAttr.seq]: [1n, 2n] }), /replay\.segment\.seq must be an integer, got an array/);
  rejects(attrs({ [SegmentAttr.eventCount]: new Uint8Array(3) }), /event_count must be an integer, got 3 bytes/);
  rejects(attrs({ [SegmentAttr.fullSnapshot]: 'true' }), /full_snapshot must be a boolean/);
  rejects(attrs({ [SegmentAttr.encoding]: 'gzip' }), /encoding must be one of gzip-json, json, got "gzip"/);
  rejects(attrs({ [SegmentAttr.sessionId]: 12345 }), /session\.id is missing or not a string/);
  rejects(attrs({ [SegmentAttr.windowId]: null }), /replay\.window\.id is missing or not a string/);
  rejects(attrs({ [SegmentAttr.protocolVersion]: 'one' }), /replay\.protocol\.version must be an integer/);
});

test('values out of range are refused', () => {
  rejects(attrs({ [SegmentAttr.seq]: -1 }), /seq = -1 is outside 0\.\.2147483647/);
  rejects(attrs({ [SegmentAttr.seq]: SegmentLimits.maxSeq + 1 }), /outside/);
  rejects(attrs({ [SegmentAttr.eventCount]: 0 }), /event_count = 0 is outside 1\.\./);
  rejects(attrs({ [SegmentAttr.eventCount]: SegmentLimits.maxEventCount + 1 }), /event_count/);
  // Nanoseconds where milliseconds belong.
  rejects(attrs({ [SegmentAttr.firstTimestamp]: 1_767_225_600_000_000_000n, [SegmentAttr.lastTimestamp]: 1_767_225_600_000_000_000n }), /first_ts = .* is outside/);
  rejects(attrs({ [SegmentAttr.lastTimestamp]: meta.firstTimestamp - 1 }), /last_ts \(\d+\) is before replay\.segment\.first_ts/);
  rejects(attrs({ [SegmentAttr.protocolVersion]: 0 }), /protocol\.version = 0 is outside 1\.\.1000/);
  rejects(attrs({ [SegmentAttr.protocolVersion]: PROTOCOL_VERSION + 1 }), /newer than this receiver's 1; upgrade the receiver/);
});

test('hostile ids are refused wherever they appear', () => {
  const hostile = ['../etc/passwd', 'a/b', 'a\\b', '..', 'a..b', 'abc\u0000def', 'x'.repeat(10_000), 'sessión', '会话', '.hidden', '-dash', '', ' space', 'a b', 'tab\t', 'new\nline', 'a%2Fb', 'a?b', 'a#b'];
  for (const id of hostile) {
    assert.equal(isSafeId(id), false, JSON.stringify(id.slice(0, 20)));
    rejects(attrs({ [SegmentAttr.sessionId]: id }), /session\.id/);
    rejects(attrs({ [SegmentAttr.windowId]: id }), /replay\.window\.id/);
  }
  assert.throws(() => checkId('session id', 'x'.repeat(10_000)), /10000 characters long; at most 128/);
  assert.throws(() => checkId('session id', 'a/b'), /outside \[A-Za-z0-9._:-\]/);
});

test('ordinary ids are accepted', () => {
  for (const id of ['0f5c1a7e9d2b4c6a8e1f3a5b7c9d1e2f', '01HZX3K5TQ8RZ6M0VJ4C2N7B9D', 'V1StGXR8_Z5jdHi6B-myT'.replace('_', '-'), 'f47ac10b-58cc-4372-a567-0e02b2c3d479', 'tenant.a:b', 'x'.repeat(128)]) {
    assert.equal(checkId('id', id), id);
  }
});

test('segmentBodyBytes accepts a gzip member for gzip-json and keeps its bytes', () => {
  const gz = new Uint8Array(gzipSync('[{"type":4,"timestamp":1}]'));
  assert.equal(isGzip(gz), true);
  assert.equal(segmentBodyBytes(meta, gz), gz);
});

test('segmentBodyBytes refuses bodies that do not match the encoding', () => {
  assert.throws(() => segmentBodyBytes(meta, '[]'), (e: unknown) => e instanceof ProtocolError && /segment 7 of session 0f5c.*gzip-json needs a bytes body, got "\[\]"/.test(e.message));
  assert.throws(() => segmentBodyBytes(meta, new TextEncoder().encode('[{"type":4,"timestamp":1},{"x":1}]')), /body is not gzip/);
  assert.throws(() => segmentBodyBytes(meta, undefined), /needs a bytes body, got nothing/);
  const json = { ...meta, encoding: 'json' as const };
  assert.throws(() => segmentBodyBytes(json, new Uint8Array(20)), /encoding json needs a string body, got 20 bytes/);
  assert.throws(() => segmentBodyBytes(json, 42), /needs a string body, got 42/);
});

test('segmentBodyBytes turns a json body into its UTF-8 bytes', () => {
  const json = { ...meta, encoding: 'json' as const };
  const text = '[{"type":3,"timestamp":1,"data":{"text":"héllo 👋"}}]';
  assert.deepEqual(segmentBodyBytes(json, text), new TextEncoder().encode(text));
});

test('segmentBodyBytes refuses bodies over 1 MiB, counted in bytes as sent', () => {
  const json = { ...meta, encoding: 'json' as const };
  // 4 bytes per character in UTF-8: under the limit in characters, over it in bytes.
  const big = '"' + '👋'.repeat(SegmentLimits.maxBodyBytes / 4) + '"';
  assert.throws(() => segmentBodyBytes(json, big), /body is \d+ bytes; at most 1048576 are allowed/);
  const gz = new Uint8Array(SegmentLimits.maxBodyBytes + 1);
  gz.set([0x1f, 0x8b, 8]);
  assert.throws(() => segmentBodyBytes(meta, gz), /body is 1048577 bytes; at most 1048576/);
  const exact = '"' + 'a'.repeat(SegmentLimits.maxBodyBytes - 2) + '"';
  assert.equal(segmentBodyBytes(json, exact).length, SegmentLimits.maxBodyBytes);
});
