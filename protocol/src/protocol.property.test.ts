// Property tests: whatever a client or a damaged object throws at the protocol readers,
// they answer with a value or a ProtocolError, never another exception and never a hang;
// and real-shaped legacy recordings, chunked and shuffled any way, map back to the same
// events in deterministic segments.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { frameObject, readManifest } from './framing.ts';
import {
  LegacyAttr,
  assembleLegacyEvent,
  groupLegacyChunks,
  legacyEventsToSegments,
  legacySegments,
  readLegacyChunk,
} from './legacy.ts';
import type { LegacyChunk } from './legacy.ts';
import { FakeLegacySdk } from './legacy-sdk.fixture.ts';
import { ProtocolError, SegmentAttr, readSegmentAttributes, segmentBodyBytes } from './segment.ts';
import type { AttributeValue, Attributes } from './segment.ts';

const RUNS = 3000;

/** Only ProtocolError may escape; anything else fails the property. */
function onlyProtocolErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
  }
}

const scalar: fc.Arbitrary<AttributeValue> = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('1', '0', '-1', '3.0', '1e3', ' 2', '2147483648', '00007', 'NaN', '..', 'a/b', '\u0000', 'legacy', 'x'.repeat(200)),
  fc.integer(),
  fc.integer({ min: -3, max: 12 }),
  fc.double(),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0, 2 ** 31, 2 ** 53, 1.5),
  fc.bigInt(),
  fc.boolean(),
  fc.constant(null),
  fc.uint8Array({ maxLength: 24 }),
);

const value: fc.Arbitrary<AttributeValue> = fc.oneof(
  { weight: 6, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom('toString', 'valueOf', '__proto__', 'type', 'a'), scalar, { maxKeys: 3 }) },
);

const names = [
  ...Object.values(LegacyAttr), ...Object.values(SegmentAttr),
  'session.id', 'splunk.rumSessionId', 'rum.sessionId', 'splunk.scriptInstance', 'rum.scriptInstance', 'segmentMetadata', 'other',
];

const attributes: fc.Arbitrary<Attributes> = fc.dictionary(fc.constantFrom(...names), value, { maxKeys: 12 });

const timeUnixNano = fc.oneof(fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.constantFrom(0n, 1_767_225_600_123n, 1_767_225_600_123_000_000n));

test('random attribute maps, bodies and times: readers return or throw ProtocolError', { timeout: 120_000 }, () => {
  fc.assert(
    fc.property(attributes, attributes, fc.option(value, { nil: undefined }), timeUnixNano, (record, resource, body, time) => {
      onlyProtocolErrors(() => readLegacyChunk(record, resource, body, time));
      onlyProtocolErrors(() => {
        const meta = readSegmentAttributes({ ...resource, ...record });
        segmentBodyBytes(meta, body);
      });
    }),
    { numRuns: RUNS },
  );
});

const chunk: fc.Arbitrary<LegacyChunk> = fc.record({
  sessionId: fc.constantFrom('s1', 's2'),
  windowId: fc.constantFrom('legacy', 'legacy-a'),
  eventNumber: fc.integer({ min: 0, max: 4 }),
  chunk: fc.integer({ min: 1, max: 4 }),
  totalChunks: fc.integer({ min: 1, max: 4 }),
  offset: fc.integer({ min: 0, max: 8 }),
  timestamp: fc.nat(),
  body: fc.oneof(
    fc.string({ minLength: 1, maxLength: 12 }),
    fc.constantFrom('{"type":3,', '"timestamp":5}', '{"type":2,"timestamp":1}', '{"type":4,"timestamp":2,"data":{}}', '[', ']', '{}', 'null', '{"type":3,"timestamp":1e400}'),
  ),
});

test('random chunk sets: grouping never throws; assembly and mapping throw only ProtocolError', { timeout: 120_000 }, () => {
  fc.assert(
    fc.property(fc.array(chunk, { maxLength: 16 }), (chunks) => {
      const g = groupLegacyChunks(chunks);
      // Every chunk is accounted for exactly once.
      const seen = [...g.complete.flatMap((e) => e.chunks), ...g.incomplete.flatMap((e) => e.chunks), ...g.rejected.flatMap((r) => r.chunks)];
      assert.equal(seen.length, chunks.length);
      onlyProtocolErrors(() => assembleLegacyEvent(chunks));
      onlyProtocolErrors(() => legacySegments(g.complete));
      onlyProtocolErrors(() => legacyEventsToSegments('s1', g.complete.map((e) => ({ ...e, split: chunks.length % 2 === 0 }))));
    }),
    { numRuns: RUNS },
  );
});

test('random bytes and damaged objects: readManifest returns or throws ProtocolError', { timeout: 120_000 }, () => {
  const members = [{ meta: { sessionId: 's', windowId: 'w', seq: 0, firstTimestamp: 1, lastTimestamp: 2, eventCount: 1, hasFullSnapshot: true, encoding: 'gzip-json' as const, protocolVersion: 1 }, gzip: new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0]) }];
  const good = frameObject('t', 1, members).bytes;
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat(), (random, edits, cut) => {
      onlyProtocolErrors(() => readManifest(random));
      const damaged = good.slice(0, good.length - (cut % 4 === 0 ? cut % good.length : 0));
      for (const [at, byte] of edits) if (damaged.length) damaged[at % damaged.length] = byte;
      onlyProtocolErrors(() => readManifest(damaged));
    }),
    { numRuns: RUNS },
  );
});

const rrwebEvent = fc.record({
  type: fc.constantFrom(2, 3, 3, 3, 4, 5),
  timestamp: fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }),
  data: fc.record({ text: fc.string({ unit: 'grapheme', maxLength: 60 }), n: fc.integer() }),
});

test('real-shaped recordings chunked any way: events come back in order, segments are deterministic', { timeout: 120_000 }, () => {
  fc.assert(
    fc.property(
      fc.array(rrwebEvent, { minLength: 1, maxLength: 25 }),
      fc.integer({ min: 8, max: 120 }),
      fc.constantFrom('splunk' as const, 'hyperdx' as const),
      fc.infiniteStream(fc.nat()),
      (events, chunkBytes, flavour, randomness) => {
        const sdk = new FakeLegacySdk({ flavour, sessionId: 'sess-1', instance: 'inst', chunkBytes });
        const records = events.flatMap((e) => sdk.emit(e));
        const chunks = records.map((r) => readLegacyChunk(r.attributes, r.resource, r.body, r.timeUnixNano));
        const it = randomness[Symbol.iterator]();
        const shuffledChunks = [...chunks];
        for (let i = shuffledChunks.length - 1; i > 0; i--) {
          const j = it.next().value! % (i + 1);
          [shuffledChunks[i], shuffledChunks[j]] = [shuffledChunks[j]!, shuffledChunks[i]!];
        }
        const g = groupLegacyChunks(shuffledChunks);
        assert.equal(g.incomplete.length, 0);
        assert.equal(g.rejected.length, 0);
        const segments = legacySegments(g.complete);
        assert.deepEqual(segments, legacySegments(groupLegacyChunks(chunks).complete));
        const back = segments.flatMap((s) => JSON.parse(new TextDecoder().decode(s.body)) as { type: number; timestamp: number }[]);
        assert.deepEqual(back.map((e) => [e.type, e.timestamp]), events.map((e) => [e.type, e.timestamp]));
        // Gapless chain: each segment starts where the previous one ended.
        let next = 1;
        for (const s of segments) {
          assert.equal(s.meta.seq, next);
          next = s.meta.seq + s.meta.eventCount;
        }
      },
    ),
    { numRuns: 1000 },
  );
});
