// Tests for the legacy rrweb-era mapping, fed with records shaped exactly like those of
// Splunk's rrweb-era recorder and HyperDX's fork (see legacy-sdk.fixture.ts).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  LEGACY_SESSION_ATTRIBUTES,
  LEGACY_WINDOW_ID,
  LegacyAttr,
  LegacyLimits,
  assembleLegacyEvent,
  completeLegacyEvent,
  groupLegacyChunks,
  hasAllChunks,
  isLegacyRecord,
  isLegacyWindowId,
  legacyEventsToSegments,
  legacySegments,
  legacyTimestampMs,
  readLegacyChunk,
} from './legacy.ts';
import type { LegacyChunk, LegacyEvent } from './legacy.ts';
import { FakeLegacySdk, recording } from './legacy-sdk.fixture.ts';
import type { SdkRecord } from './legacy-sdk.fixture.ts';
import { RrwebEventType, startsWithFullSnapshot } from './rrweb.ts';
import { PROTOCOL_VERSION, ProtocolError, SegmentLimits, readSegmentAttributes, segmentAttributes } from './segment.ts';
import type { Segment } from './segment.ts';

const SESSION = '5f0c7e2a9b1d4c3e8a6f0b2d4c6e8a1f';
const T0 = 1_767_225_600_123;

function read(r: SdkRecord): LegacyChunk {
  return readLegacyChunk(r.attributes, r.resource, r.body, r.timeUnixNano);
}

function protocolError(pattern: RegExp): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof ProtocolError, `expected ProtocolError, got ${String(err)}`);
    assert.match(err.message, pattern);
    return true;
  };
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** What a receiver does with one request's legacy records, with parking in a Map. */
function receive(records: SdkRecord[], parked: Map<string, LegacyChunk[]>, stored: Set<string>): { segments: Segment[]; rejected: number; parkedNow: number } {
  const grouping = groupLegacyChunks(records.map(read));
  const events: LegacyEvent[] = grouping.complete;
  let parkedNow = 0;
  for (const inc of grouping.incomplete) {
    const key = `${inc.sessionId}/${inc.windowId}/${inc.eventNumber}`;
    if (stored.has(`${inc.sessionId}/${inc.windowId}/${inc.eventNumber}`)) continue; // a retry of an event already stored
    const all = [...(parked.get(key) ?? []), ...inc.chunks];
    if (hasAllChunks(all)) {
      events.push(completeLegacyEvent(all));
      parked.delete(key);
    } else {
      parked.set(key, all);
      parkedNow += inc.chunks.length;
    }
  }
  const segments = legacySegments(events);
  for (const s of segments) stored.add(`${s.meta.sessionId}/${s.meta.windowId}/${s.meta.seq}`);
  return { segments, rejected: grouping.rejected.length, parkedNow };
}

function eventsOf(segment: Segment): unknown[] {
  return JSON.parse(new TextDecoder().decode(segment.body)) as unknown[];
}

test('attribute names and session id lookup order are the de-facto ones', () => {
  assert.deepEqual(LegacyAttr, { event: 'rr-web.event', chunk: 'rr-web.chunk', totalChunks: 'rr-web.total-chunks', offset: 'rr-web.offset' });
  assert.deepEqual(LEGACY_SESSION_ATTRIBUTES.map((s) => `${s.where}:${s.name}`), [
    'record:session.id', 'record:splunk.rumSessionId', 'record:rum.sessionId',
    'resource:session.id', 'resource:splunk.rumSessionId', 'resource:rum.sessionId',
  ]);
});

test('isLegacyRecord keys on rr-web.event, like HyperDX\'s collector routing', () => {
  assert.equal(isLegacyRecord({ 'rr-web.event': 1 }), true);
  assert.equal(isLegacyRecord({ 'rr-web.event': '1', 'rr-web.chunk': 1 }), true);
  assert.equal(isLegacyRecord({ 'rr-web.chunk': 1, 'session.id': 'a' }), false);
  assert.equal(isLegacyRecord({}), false);
});

test('a Splunk record: session on the resource, milliseconds in timeUnixNano, doubles', () => {
  const sdk = new FakeLegacySdk({ flavour: 'splunk', sessionId: SESSION, instance: '3f2a1b0c9d8e7f60', chunkBytes: 950 * 1024 });
  const [r] = sdk.emit({ type: 4, timestamp: T0, data: { href: 'https://shop.example/', width: 1280, height: 720 } } as never);
  assert.equal(r!.timeUnixNano, BigInt(T0));
  const c = read(r!);
  assert.deepEqual({ ...c, body: undefined }, { sessionId: SESSION, windowId: 'legacy-3f2a1b0c9d8e7f60', eventNumber: 1, chunk: 1, totalChunks: 1, offset: 1, timestamp: T0, body: undefined });
  assert.equal(c.body, JSON.stringify({ type: 4, timestamp: T0, data: { href: 'https://shop.example/', width: 1280, height: 720 } }));
});

test('a HyperDX record: rum.sessionId, real nanoseconds (computed in a double) give the same ms', () => {
  const sdk = new FakeLegacySdk({ flavour: 'hyperdx', sessionId: SESSION, instance: 'aa11bb22cc33dd44', chunkBytes: 950 * 1024 });
  const [r] = sdk.emit({ type: 3, timestamp: T0, data: { source: 2 } } as never);
  assert.ok(r!.timeUnixNano > 10n ** 18n);
  const c = read(r!);
  assert.equal(c.timestamp, T0);
  assert.equal(c.sessionId, SESSION);
  assert.equal(c.windowId, 'legacy-aa11bb22cc33dd44');
});

test('timestamps: ms, µs and ns are told apart; 0 stays unknown; nonsense is refused', () => {
  assert.equal(legacyTimestampMs(BigInt(T0)), T0);
  assert.equal(legacyTimestampMs(BigInt(T0) * 1000n + 499n), T0);
  assert.equal(legacyTimestampMs(BigInt(T0) * 1_000_000n + 499_999n), T0);
  assert.equal(legacyTimestampMs(BigInt(T0) * 1_000_000n - 1n), T0);
  assert.equal(legacyTimestampMs(0n), 0);
  assert.throws(() => legacyTimestampMs(-1n), protocolError(/negative/));
  assert.throws(() => legacyTimestampMs(2n ** 64n * 1000n), protocolError(/after the year 9999/));
  const r = { attributes: { 'rr-web.event': 1, 'rr-web.chunk': 1, 'rr-web.total-chunks': 1, 'rr-web.offset': 1 }, resource: { 'rum.sessionId': SESSION }, body: '{}', timeUnixNano: -5n };
  assert.throws(() => read(r), protocolError(/legacy rrweb record of session 5f0c.*, event 1 chunk 1\/1: timeUnixNano -5 is negative/));
});

test('the session id: record attributes first, then the resource; session.id accepted on both', () => {
  const attrs = { 'rr-web.event': 1, 'rr-web.chunk': 1, 'rr-web.total-chunks': 1, 'rr-web.offset': 1 };
  const at = (record: Record<string, unknown>, resource: Record<string, unknown>) => readLegacyChunk({ ...attrs, ...record } as never, resource as never, '{}', 0n).sessionId;
  assert.equal(at({ 'session.id': 'rec' }, { 'session.id': 'res', 'rum.sessionId': 'rum' }), 'rec');
  assert.equal(at({}, { 'session.id': 'res', 'rum.sessionId': 'rum' }), 'res');
  assert.equal(at({}, { 'splunk.rumSessionId': 'spl', 'rum.sessionId': 'rum' }), 'spl');
  assert.equal(at({}, { 'rum.sessionId': 'rum' }), 'rum');
  assert.equal(at({ 'rum.sessionId': 'rec-rum' }, { 'session.id': 'res' }), 'rec-rum');
  // An empty value counts as absent; a present but unsafe one is refused, not skipped.
  assert.equal(at({ 'session.id': '' }, { 'rum.sessionId': 'rum' }), 'rum');
  assert.throws(() => at({}, {}), protocolError(/has no session id: set record attribute session\.id, .* or resource attribute rum\.sessionId/));
  assert.throws(() => at({}, { 'rum.sessionId': '../../etc' }), protocolError(/resource attribute rum\.sessionId "\.\.\/\.\.\/etc" has characters outside/));
  assert.throws(() => at({ 'session.id': 42 }, { 'rum.sessionId': 'ok' }), protocolError(/record attribute session\.id is missing or not a string/));
  assert.throws(() => at({}, { 'rum.sessionId': 's'.repeat(10_000) }), protocolError(/10000 characters long/));
});

test('the window: legacy-<script instance>, or legacy when the SDK sends none', () => {
  const attrs = { 'rr-web.event': 1, 'rr-web.chunk': 1, 'rr-web.total-chunks': 1, 'rr-web.offset': 1 };
  const win = (resource: Record<string, unknown>) => readLegacyChunk(attrs, { 'rum.sessionId': SESSION, ...resource } as never, '{}', 0n).windowId;
  assert.equal(win({}), LEGACY_WINDOW_ID);
  assert.equal(win({ 'splunk.scriptInstance': 'abc123' }), 'legacy-abc123');
  assert.equal(win({ 'rum.scriptInstance': 'def456' }), 'legacy-def456');
  assert.throws(() => win({ 'rum.scriptInstance': 'a/b' }), protocolError(/rum\.scriptInstance/));
  assert.throws(() => win({ 'rum.scriptInstance': 'x'.repeat(125) }), protocolError(/characters long/));
  assert.equal(isLegacyWindowId('legacy'), true);
  assert.equal(isLegacyWindowId('legacy-abc'), true);
  assert.equal(isLegacyWindowId('w-1'), false);
});

test('counters may arrive as doubles, ints, bigints or decimal strings', () => {
  const base = { resource: { 'rum.sessionId': SESSION }, body: '{"type":3,"timestamp":1}', timeUnixNano: 0n };
  const c = readLegacyChunk({ 'rr-web.event': 7.0, 'rr-web.chunk': 2n, 'rr-web.total-chunks': '3', 'rr-web.offset': '12.0' }, base.resource, base.body, 0n);
  assert.deepEqual([c.eventNumber, c.chunk, c.totalChunks, c.offset], [7, 2, 3, 12]);
});

test('bad counters are refused with the attribute and value named', () => {
  const ok = { 'rr-web.event': 7, 'rr-web.chunk': 1, 'rr-web.total-chunks': 2, 'rr-web.offset': 9 };
  const bad = (over: Record<string, unknown>, pattern: RegExp) => assert.throws(() => readLegacyChunk({ ...ok, ...over } as never, { 'rum.sessionId': SESSION }, 'x', 0n), protocolError(pattern));
  bad({ 'rr-web.event': 1.5 }, /attribute rr-web\.event must be an integer \(int, double or decimal string\), got 1\.5/);
  bad({ 'rr-web.event': 'seven' }, /rr-web\.event must be an integer/);
  bad({ 'rr-web.event': Number.NaN }, /rr-web\.event must be an integer/);
  bad({ 'rr-web.event': Number.POSITIVE_INFINITY }, /rr-web\.event must be an integer/);
  bad({ 'rr-web.event': -1 }, /rr-web\.event = -1 is outside 0\.\.2147483647/);
  bad({ 'rr-web.event': '-1' }, /rr-web\.event must be an integer/);
  bad({ 'rr-web.event': 2 ** 31 }, /rr-web\.event = 2147483648 is outside/);
  bad({ 'rr-web.chunk': 0 }, /rr-web\.chunk = 0 is outside 1\.\.2/);
  bad({ 'rr-web.chunk': 3 }, /rr-web\.chunk = 3 is outside 1\.\.2/);
  bad({ 'rr-web.total-chunks': 0 }, /rr-web\.total-chunks = 0 is outside 1\.\.10000/);
  bad({ 'rr-web.total-chunks': LegacyLimits.maxTotalChunks + 1 }, /total-chunks = 10001 is outside/);
  bad({ 'rr-web.offset': undefined }, /rr-web\.offset must be an integer .* got nothing \(attribute missing\)/);
  bad({ 'rr-web.chunk': [1] }, /rr-web\.chunk must be an integer/);
  bad({ 'rr-web.chunk': true }, /rr-web\.chunk must be an integer/);
});

test('the body must be a non-empty string of bounded size', () => {
  const attrs = { 'rr-web.event': 3, 'rr-web.chunk': 1, 'rr-web.total-chunks': 1, 'rr-web.offset': 3 };
  const res = { 'splunk.rumSessionId': SESSION };
  assert.throws(() => readLegacyChunk(attrs, res, new Uint8Array(8), 0n), protocolError(/event 3 chunk 1\/1: body must be a string \(a slice of the rrweb event's JSON\), got 8 bytes/));
  assert.throws(() => readLegacyChunk(attrs, res, undefined, 0n), protocolError(/body must be a string/));
  assert.throws(() => readLegacyChunk(attrs, res, { type: 3 }, 0n), protocolError(/body must be a string/));
  assert.throws(() => readLegacyChunk(attrs, res, '', 0n), protocolError(/body is empty/));
  assert.throws(() => readLegacyChunk(attrs, res, 'a'.repeat(LegacyLimits.maxChunkChars + 1), 0n), protocolError(/body is 4194305 characters; at most 4194304/));
});

test('Splunk\'s proprietary recorder is refused with an explanation', () => {
  const attrs = { 'rr-web.event': 1, 'rr-web.chunk': 1, 'rr-web.total-chunks': 1, 'rr-web.offset': 1, segmentMetadata: '{"startUnixMs":1}' };
  assert.throws(() => readLegacyChunk(attrs, { 'splunk.rumSessionId': SESSION }, '{"data":"..."}', 1n), protocolError(/Splunk's proprietary recorder, whose format is not rrweb/));
});

test('a multi-chunk event reassembles from shuffled chunks, even cut inside multi-byte characters', () => {
  const sdk = new FakeLegacySdk({ flavour: 'hyperdx', sessionId: SESSION, instance: null, chunkBytes: 97 });
  const snapshot = recording(T0, 0)[1]!;
  const records = sdk.emit(snapshot);
  assert.ok(records.length > 10, `expected many chunks, got ${records.length}`);
  assert.ok(records.some((r) => (r.body as string).includes('\uFFFD')), 'some cut should fall inside a character');
  const chunks = shuffled(records.map(read), 7);
  const event = assembleLegacyEvent(chunks) as unknown as typeof snapshot;
  assert.equal(event.type, RrwebEventType.FullSnapshot);
  assert.equal(event.timestamp, T0 + 1);
  // Cuts inside a character turn it into U+FFFD (the SDKs' own loss); nothing else changes.
  const original = JSON.stringify(snapshot);
  const back = JSON.stringify(event);
  assert.equal(back.replace(/\uFFFD+/g, '?').length <= original.length, true);
  assert.equal(back.replace(/[^\x00-\x7f\uFFFD]/g, '').replace(/\uFFFD/g, ''), original.replace(/[^\x00-\x7f]/g, ''));
});

test('an all-ASCII multi-chunk event reassembles exactly', () => {
  const sdk = new FakeLegacySdk({ flavour: 'splunk', sessionId: SESSION, instance: null, chunkBytes: 50 });
  const snapshot = recording(T0, 0, 'plain ascii text ')[1]!;
  assert.deepEqual(assembleLegacyEvent(shuffled(sdk.emit(snapshot).map(read), 3)), snapshot);
});

test('missing, conflicting and inconsistent chunks are refused, naming session, event and chunk', () => {
  const sdk = new FakeLegacySdk({ flavour: 'splunk', sessionId: SESSION, instance: null, chunkBytes: 100 });
  const chunks = sdk.emit(recording(T0, 0, 'abc ')[1]!).map(read);
  assert.ok(chunks.length >= 3);
  assert.throws(() => assembleLegacyEvent(chunks.filter((c) => c.chunk !== 2)), protocolError(new RegExp(`event 1 of session ${SESSION}: chunk 2 of ${chunks.length} is missing`)));
  assert.throws(() => assembleLegacyEvent(chunks.slice(0, -1)), protocolError(/chunk \d+ of \d+ is missing/));
  assert.throws(() => assembleLegacyEvent([...chunks, { ...chunks[1]!, body: 'other' }]), protocolError(/chunk 2 of \d+ arrived twice with different contents/));
  assert.throws(() => assembleLegacyEvent([...chunks.slice(1), { ...chunks[0]!, totalChunks: chunks.length + 1 }]), protocolError(/disagree on rr-web\.total-chunks/));
  assert.throws(() => assembleLegacyEvent([...chunks, { ...chunks[0]!, eventNumber: 9 }]), protocolError(/belongs to event 9/));
  assert.throws(() => assembleLegacyEvent([]), protocolError(/no chunks given/));
  // An exact duplicate (a retried chunk that was already parked) is harmless.
  assert.equal(assembleLegacyEvent([...chunks, chunks[0]!, chunks[2]!]).type, 2);
});

test('bad JSON and JSON that is not an rrweb event are refused', () => {
  const c = (body: string): LegacyChunk => ({ sessionId: SESSION, windowId: 'legacy', eventNumber: 4, chunk: 1, totalChunks: 1, offset: 4, timestamp: 0, body });
  assert.throws(() => assembleLegacyEvent([c('{"type":3,"timestamp":')]), protocolError(/event 4 of session 5f0c.*: its 1 chunk\(s\) do not form valid JSON/));
  for (const body of ['[]', '"str"', '42', 'null', '{"timestamp":1}', '{"type":"3","timestamp":1}', '{"type":3}', '{"type":3,"timestamp":"1"}', '{"type":-1,"timestamp":1}', '{"type":1.5,"timestamp":1}', '{"type":3,"timestamp":1e300}']) {
    assert.throws(() => assembleLegacyEvent([c(body)]), protocolError(/reassembled JSON is not an rrweb event/), body);
  }
});

test('a reassembled event larger than the limit is refused before it is built', () => {
  const piece = 'a'.repeat(LegacyLimits.maxChunkChars);
  const total = Math.ceil(LegacyLimits.maxEventChars / piece.length) + 1;
  const chunks: LegacyChunk[] = Array.from({ length: total }, (_, i) => ({ sessionId: SESSION, windowId: 'legacy', eventNumber: 1, chunk: i + 1, totalChunks: total, offset: i + 1, timestamp: 0, body: piece }));
  assert.throws(() => assembleLegacyEvent(chunks), protocolError(/reassembled event is \d+ characters; at most 67108864/));
});

test('groupLegacyChunks sorts a request into complete, incomplete and rejected events', () => {
  const sdk = new FakeLegacySdk({ flavour: 'hyperdx', sessionId: SESSION, instance: 'i1', chunkBytes: 200 });
  const events = recording(T0, 3);
  const perEvent = events.map((e) => sdk.emit(e));
  const snapshotRecords = perEvent[1]!;
  assert.ok(snapshotRecords.length > 2);
  const broken = { ...perEvent[2]![0]!, body: '{"type":3,' };
  const request = [...perEvent[0]!, ...snapshotRecords.slice(0, 2), broken, ...perEvent[3]!, ...perEvent[4]!];
  const g = groupLegacyChunks(shuffled(request.map(read), 11));
  assert.deepEqual(g.complete.map((e) => e.eventNumber).sort(), [1, 4, 5]);
  assert.ok(g.complete.every((e) => e.split === false && e.windowId === 'legacy-i1'));
  assert.deepEqual(g.incomplete.map((e) => [e.eventNumber, e.chunks.length, e.totalChunks]), [[2, 2, snapshotRecords.length]]);
  assert.equal(g.rejected.length, 1);
  assert.match(g.rejected[0]!.error.message, /event 3 .* do not form valid JSON/);
  // The caller's own fields ride along (here: a record path).
  const withPath = request.map((r, i) => ({ ...read(r), path: [0, 0, i] as const }));
  const g2 = groupLegacyChunks(withPath);
  assert.deepEqual(g2.rejected[0]!.chunks.map((c) => c.path[2]), [request.indexOf(broken)]);
});

test('a request maps to segments: consecutive runs, seq = first rr-web.event, snapshot flags', () => {
  const sdk = new FakeLegacySdk({ flavour: 'splunk', sessionId: SESSION, instance: 'page1', chunkBytes: 950 * 1024 });
  const events = [...recording(T0, 5), ...recording(T0 + 1000, 2)];
  const records = events.flatMap((e) => sdk.emit(e));
  const { segments } = receive(records, new Map(), new Set());
  assert.deepEqual(segments.map((s) => [s.meta.seq, s.meta.eventCount, s.meta.hasFullSnapshot]), [[1, 7, true], [8, 4, true]]);
  const [a, b] = segments;
  assert.deepEqual(a!.meta, {
    sessionId: SESSION, windowId: 'legacy-page1', seq: 1, firstTimestamp: T0, lastTimestamp: T0 + 10 + 4 * 7,
    eventCount: 7, hasFullSnapshot: true, encoding: 'json', protocolVersion: PROTOCOL_VERSION,
  });
  assert.deepEqual(eventsOf(a!), events.slice(0, 7));
  assert.deepEqual(eventsOf(b!), events.slice(7));
  // Gapless chain in a legacy window: next seq = seq + eventCount.
  assert.equal(b!.meta.seq, a!.meta.seq + a!.meta.eventCount);
  // The metadata is valid segment metadata by the segment contract itself.
  for (const s of segments) assert.deepEqual(readSegmentAttributes(segmentAttributes(s.meta)), s.meta);
});

test('segments are ordered by rr-web.offset, never by timestamp', () => {
  const ev = (n: number, ts: number) => ({ eventNumber: n, offset: n, event: { type: 3, timestamp: ts } });
  // Clock went backwards (NTP step): order still follows the counters.
  const segs = legacyEventsToSegments(SESSION, [ev(3, 50), ev(1, 300), ev(2, 100)]);
  assert.equal(segs.length, 1);
  assert.deepEqual((eventsOf(segs[0]!) as { timestamp: number }[]).map((e) => e.timestamp), [300, 100, 50]);
  assert.equal(segs[0]!.meta.firstTimestamp, 50);
  assert.equal(segs[0]!.meta.lastTimestamp, 300);
  assert.equal(segs[0]!.meta.windowId, LEGACY_WINDOW_ID);
});

test('a gap in event numbers ends a segment, so it stays visible', () => {
  const ev = (n: number) => ({ eventNumber: n, offset: n, event: { type: 3, timestamp: n } });
  const segs = legacyEventsToSegments(SESSION, [ev(5), ev(6), ev(9), ev(10)]);
  assert.deepEqual(segs.map((s) => [s.meta.seq, s.meta.eventCount]), [[5, 2], [9, 2]]);
});

test('a Meta or FullSnapshot always starts a segment; a Meta alone is not a full snapshot', () => {
  const ev = (n: number, type: number) => ({ eventNumber: n, offset: n, event: { type, timestamp: n } });
  const segs = legacyEventsToSegments(SESSION, [ev(1, 3), ev(2, 4), ev(3, 2), ev(4, 3), ev(5, 2), ev(6, 3), ev(7, 4), ev(8, 3)]);
  assert.deepEqual(segs.map((s) => [s.meta.seq, s.meta.eventCount, s.meta.hasFullSnapshot]), [[1, 1, false], [2, 3, true], [5, 2, true], [7, 2, false]]);
  assert.equal(startsWithFullSnapshot([{ type: 4 }, { type: 2 }]), true);
  assert.equal(startsWithFullSnapshot([{ type: 2 }]), true);
  assert.equal(startsWithFullSnapshot([{ type: 4 }, { type: 3 }]), false);
  assert.equal(startsWithFullSnapshot([]), false);
});

test('segments stay under the body limit; one larger event gets a segment of its own', () => {
  const filler = 'x'.repeat(300 * 1024);
  const ev = (n: number, size = 1) => ({ eventNumber: n, offset: n, event: { type: 3, timestamp: n, data: { text: filler.repeat(size) } } });
  const segs = legacyEventsToSegments(SESSION, [ev(1), ev(2), ev(3), ev(4), ev(5, 4), ev(6)]);
  assert.deepEqual(segs.map((s) => s.meta.eventCount), [3, 1, 1, 1]);
  for (const s of [segs[0]!, segs[1]!, segs[3]!]) assert.ok(s.body.length <= SegmentLimits.maxBodyBytes);
  assert.ok(segs[2]!.body.length > SegmentLimits.maxBodyBytes);
  assert.deepEqual(segs.map((s) => s.meta.seq), [1, 4, 5, 6]);
});

test('mapping is deterministic: shuffled records give byte-identical segments', () => {
  const sdk = new FakeLegacySdk({ flavour: 'hyperdx', sessionId: SESSION, instance: 'p', chunkBytes: 300 });
  const records = recording(T0, 20).flatMap((e) => sdk.emit(e));
  const first = receive(records, new Map(), new Set()).segments;
  for (const seed of [1, 2, 3]) assert.deepEqual(receive(shuffled(records, seed), new Map(), new Set()).segments, first);
});

test('a retried request maps to the same (session, window, seq) keys, including after parking', () => {
  const sdk = new FakeLegacySdk({ flavour: 'splunk', sessionId: SESSION, instance: 'p', chunkBytes: 150 });
  const events = recording(T0, 4);
  const perEvent = events.map((e) => sdk.emit(e));
  const snap = perEvent[1]!;
  // Request A: the Meta and the first half of the snapshot's chunks; request B: the rest.
  const half = Math.floor(snap.length / 2);
  const requestA = [...perEvent[0]!, ...snap.slice(0, half)];
  const requestB = [...snap.slice(half), ...perEvent.slice(2).flat()];
  const parked = new Map<string, LegacyChunk[]>();
  const stored = new Set<string>();
  const a = receive(requestA, parked, stored);
  assert.deepEqual(a.segments.map((s) => s.meta.seq), [1]);
  assert.equal(a.parkedNow, half);
  const b = receive(requestB, parked, stored);
  assert.deepEqual(b.segments.map((s) => [s.meta.seq, s.meta.eventCount, s.meta.hasFullSnapshot]), [[2, 1, true], [3, 4, false]]);
  assert.equal(parked.size, 0);
  const keys = (segs: Segment[]) => segs.map((s) => `${s.meta.windowId}/${s.meta.seq}`);
  // Retries, after everything was stored: every segment they yield is a duplicate key.
  const retryA = receive(requestA, parked, new Set(stored));
  const retryB = receive(requestB, parked, new Set(stored));
  for (const k of [...keys(retryA.segments), ...keys(retryB.segments)]) assert.ok([...keys(a.segments), ...keys(b.segments)].includes(k), k);
  assert.deepEqual(retryA.segments, a.segments);
  assert.deepEqual(retryB.segments.map((s) => s.meta.seq), [3]);
  assert.deepEqual(retryB.segments[0], b.segments[1]);
});

test('two page loads of one session land in two windows instead of colliding', () => {
  const page1 = new FakeLegacySdk({ flavour: 'hyperdx', sessionId: SESSION, instance: '1111aaaa', chunkBytes: 950 * 1024 });
  const page2 = new FakeLegacySdk({ flavour: 'hyperdx', sessionId: SESSION, instance: '2222bbbb', chunkBytes: 950 * 1024 });
  const stored = new Set<string>();
  const s1 = receive(recording(T0, 3).flatMap((e) => page1.emit(e)), new Map(), stored).segments;
  const s2 = receive(recording(T0 + 60_000, 3).flatMap((e) => page2.emit(e)), new Map(), stored).segments;
  assert.deepEqual(s1.map((s) => [s.meta.windowId, s.meta.seq]), [['legacy-1111aaaa', 1]]);
  assert.deepEqual(s2.map((s) => [s.meta.windowId, s.meta.seq]), [['legacy-2222bbbb', 1]]);
});

test('legacySegments groups by session and window in a stable order', () => {
  const e = (sessionId: string, windowId: string, n: number): LegacyEvent => ({ sessionId, windowId, eventNumber: n, offset: n, event: { type: 3, timestamp: n }, split: false });
  const segs = legacySegments([e('s2', 'legacy', 1), e('s1', 'legacy-b', 1), e('s1', 'legacy-a', 2), e('s1', 'legacy-a', 1)]);
  assert.deepEqual(segs.map((s) => `${s.meta.sessionId}/${s.meta.windowId}/${s.meta.seq}/${s.meta.eventCount}`), ['s1/legacy-a/1/2', 's1/legacy-b/1/1', 's2/legacy/1/1']);
});

test('legacyEventsToSegments refuses bad input with ProtocolError', () => {
  const ev = (n: number) => ({ eventNumber: n, offset: n, event: { type: 3, timestamp: n } });
  assert.deepEqual(legacyEventsToSegments(SESSION, []), []);
  assert.throws(() => legacyEventsToSegments('a/b', [ev(1)]), protocolError(/legacy session id/));
  assert.throws(() => legacyEventsToSegments(SESSION, [ev(1)], '..'), protocolError(/legacy window id/));
  assert.throws(() => legacyEventsToSegments(SESSION, [ev(1), ev(1)]), protocolError(/legacy event 1 of session .* appears twice/));
  assert.throws(() => legacyEventsToSegments(SESSION, [{ ...ev(1), eventNumber: -2 }]), protocolError(/event number is not an integer/));
  assert.throws(() => legacyEventsToSegments(SESSION, [{ ...ev(1), offset: 0.5 }]), protocolError(/offset 0\.5 is not an integer/));
  assert.throws(() => legacyEventsToSegments(SESSION, [{ ...ev(1), event: { type: 'x' } as never }]), protocolError(/not an rrweb event/));
  const cyclic: Record<string, unknown> = { type: 3, timestamp: 1 };
  cyclic.self = cyclic;
  assert.throws(() => legacyEventsToSegments(SESSION, [{ eventNumber: 1, offset: 1, event: cyclic as never }]), protocolError(/cannot be written as JSON/));
});
