// Fuzzing legacy rrweb-era reassembly: records made the way Splunk's and HyperDX's
// recorders make them (legacy-sdk.fixture.ts), for several sessions and page loads at
// once, shuffled, duplicated, with chunks missing or contradicting each other. Grouping
// never throws; every chunk is accounted for once; events whose chunks are all there come
// back equal to what was recorded; events missing chunks are reported as incomplete with
// exactly the chunks that came; contradicting chunks reject only their own event. The caps
// that bound what one request or one parked event can make the receiver hold are enforced
// before any large string is built.
// Failures print fast-check's seed and path: rerun with { seed, path } in fc.assert.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { LegacyLimits, assembleLegacyEvent, completeLegacyEvent, groupLegacyChunks, hasAllChunks, legacySegments, readLegacyChunk } from './legacy.ts';
import type { LegacyChunk } from './legacy.ts';
import { FakeLegacySdk } from './legacy-sdk.fixture.ts';
import { ProtocolError } from './segment.ts';

interface Recorded {
  key: string;
  event: { type: number; timestamp: number; data: unknown };
  chunks: LegacyChunk[];
}

const rrwebEvent = fc.record({
  type: fc.constantFrom(2, 3, 3, 3, 4, 5, 6),
  timestamp: fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }),
  data: fc.record({ text: fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: 'grapheme', maxLength: 30 })), n: fc.integer(), list: fc.array(fc.nat(), { maxLength: 5 }) }),
});

/** One page load of one session: its events, recorded into chunks of `chunkBytes`. */
const pageLoad = fc.record({
  flavour: fc.constantFrom('splunk' as const, 'hyperdx' as const),
  session: fc.constantFrom('sess-a', 'sess-b'),
  instance: fc.constantFrom('i1', 'i2', null),
  chunkBytes: fc.integer({ min: 6, max: 200 }),
  events: fc.array(rrwebEvent, { minLength: 1, maxLength: 8 }),
});

type PageLoad = typeof pageLoad extends fc.Arbitrary<infer T> ? T : never;

/** Records several page loads; page loads sharing (session, instance) continue one recorder. */
function record(loads: PageLoad[]): Recorded[] {
  const sdks = new Map<string, FakeLegacySdk>();
  const out: Recorded[] = [];
  for (const load of loads) {
    const id = `${load.session}/${load.instance}`;
    let sdk = sdks.get(id);
    if (!sdk) {
      sdk = new FakeLegacySdk({ flavour: load.flavour, sessionId: load.session, instance: load.instance, chunkBytes: load.chunkBytes });
      sdks.set(id, sdk);
    }
    for (const event of load.events) {
      const chunks = sdk.emit(event).map((r) => readLegacyChunk(r.attributes, r.resource, r.body, r.timeUnixNano));
      // Compared as JSON sees it (fast-check may hand out null-prototype objects).
      out.push({ key: keyOf(chunks[0]!), event: JSON.parse(JSON.stringify(event)) as Recorded['event'], chunks });
    }
  }
  return out;
}

const keyOf = (c: LegacyChunk) => `${c.sessionId}\u0000${c.windowId}\u0000${c.eventNumber}`;

/** True when byte slicing could not have cut a multi-byte character (only then is the text lossless). */
function lossless(r: Recorded): boolean {
  return r.chunks.length === 1 || !/[^\x00-\x7f]/.test(JSON.stringify(r.event));
}

test('shuffled, duplicated and missing chunks: complete events equal the recording, incomplete ones are reported', () => {
  let complete = 0;
  let incomplete = 0;
  fc.assert(
    fc.property(
      fc.array(pageLoad, { minLength: 1, maxLength: 4 }),
      fc.infiniteStream(fc.nat()),
      fc.double({ min: 0, max: 0.3, noNaN: true }),
      fc.double({ min: 0, max: 0.3, noNaN: true }),
      (loads, random, dropRate, dupRate) => {
        const recorded = record(loads);
        const it = random[Symbol.iterator]();
        const rand = () => (it.next().value as number) / 2 ** 31;
        const sent: LegacyChunk[] = [];
        const missing = new Set<string>();
        for (const r of recorded) {
          for (const c of r.chunks) {
            if (rand() < dropRate) {
              missing.add(r.key);
              continue;
            }
            sent.push(c);
            if (rand() < dupRate) sent.push({ ...c });
          }
        }
        for (let i = sent.length - 1; i > 0; i--) {
          const j = Math.floor(rand() * (i + 1)) % (i + 1);
          [sent[i], sent[j]] = [sent[j]!, sent[i]!];
        }
        const g = groupLegacyChunks(sent);
        assert.equal(g.rejected.length, 0, g.rejected.map((r) => r.error.message).join('; '));
        assert.equal(g.complete.length + g.incomplete.length, new Set(sent.map(keyOf)).size);
        assert.equal(g.complete.reduce((n, e) => n + e.chunks.length, 0) + g.incomplete.reduce((n, e) => n + e.chunks.length, 0), sent.length);
        const byKey = new Map(recorded.map((r) => [r.key, r]));
        for (const e of g.complete) {
          const r = byKey.get(`${e.sessionId}\u0000${e.windowId}\u0000${e.eventNumber}`)!;
          assert.ok(!missing.has(r.key), 'an event with a missing chunk was completed');
          if (lossless(r)) assert.deepEqual(e.event, r.event);
          else assert.deepEqual([e.event.type, e.event.timestamp], [r.event.type, r.event.timestamp]);
          complete++;
        }
        for (const e of g.incomplete) {
          const key = `${e.sessionId}\u0000${e.windowId}\u0000${e.eventNumber}`;
          assert.ok(missing.has(key), 'an event with every chunk was reported incomplete');
          assert.equal(e.totalChunks, byKey.get(key)!.chunks.length);
          assert.ok(!hasAllChunks(e.chunks));
          incomplete++;
        }
        // Complete events map to segments without error, and the same segments in any order.
        const segments = legacySegments(g.complete);
        assert.deepEqual(segments, legacySegments([...g.complete].reverse()));
        assert.equal(segments.reduce((n, s) => n + s.meta.eventCount, 0), g.complete.length);
      },
    ),
    { numRuns: 800 },
  );
  assert.ok(complete > 1000 && incomplete > 100, `complete ${complete}, incomplete ${incomplete}`);
});

test('events spread over several requests complete once all their chunks have come, in any order', () => {
  fc.assert(
    fc.property(fc.array(pageLoad, { minLength: 1, maxLength: 3 }), fc.infiniteStream(fc.nat()), fc.integer({ min: 1, max: 6 }), (loads, random, requests) => {
      const recorded = record(loads);
      const it = random[Symbol.iterator]();
      // Each chunk goes out in a random request (retries: some twice).
      const batches: LegacyChunk[][] = Array.from({ length: requests }, () => []);
      for (const r of recorded) {
        for (const c of r.chunks) {
          batches[(it.next().value as number) % requests]!.push(c);
          if ((it.next().value as number) % 5 === 0) batches[(it.next().value as number) % requests]!.push({ ...c });
        }
      }
      // The receiver's parking, in memory: incomplete chunks wait; a complete set is assembled once.
      const parked = new Map<string, LegacyChunk[]>();
      const done = new Map<string, unknown>();
      for (const batch of batches) {
        const g = groupLegacyChunks(batch);
        assert.equal(g.rejected.length, 0);
        for (const e of g.complete) done.set(`${e.sessionId}\u0000${e.windowId}\u0000${e.eventNumber}`, e.event);
        for (const e of g.incomplete) {
          const key = `${e.sessionId}\u0000${e.windowId}\u0000${e.eventNumber}`;
          if (done.has(key)) continue; // completed by an earlier request: a retry, dropped
          const all = [...(parked.get(key) ?? []), ...e.chunks];
          if (hasAllChunks(all)) {
            done.set(key, completeLegacyEvent(all).event);
            parked.delete(key);
          } else parked.set(key, all);
        }
        // Parked chunks are never more than were sent, so parking is bounded by what arrived.
        for (const chunks of parked.values()) assert.ok(chunks.length <= chunks[0]!.totalChunks * requests * 2);
      }
      // Every chunk was sent, so no event may be left unfinished. Chunks parked for an event
      // that a later request then carried whole (a Collector re-batching a retry) stay parked,
      // as in the receiver, until the stale-chunk sweep: they must belong to finished events.
      for (const key of parked.keys()) assert.ok(done.has(key), 'an event stayed parked although all its chunks came');
      assert.equal(done.size, recorded.length);
      for (const r of recorded) {
        const got = done.get(r.key) as { type: number; timestamp: number };
        if (lossless(r)) assert.deepEqual(got, r.event);
        else assert.deepEqual([got.type, got.timestamp], [r.event.type, r.event.timestamp]);
      }
    }),
    { numRuns: 500 },
  );
});

test('contradicting, foreign and garbage chunks reject only their own event', () => {
  fc.assert(
    fc.property(
      fc.array(pageLoad, { minLength: 1, maxLength: 2 }),
      fc.nat(),
      fc.constantFrom('body', 'total', 'json', 'not-rrweb'),
      (loads, pick, how) => {
        const recorded = record(loads);
        const victim = recorded[pick % recorded.length]!;
        const bad = victim.chunks.map((c) => ({ ...c }));
        const first = bad[0]!;
        if (how === 'body') bad.push({ ...first, body: `${first.body}!` });
        else if (how === 'total') bad.push({ ...first, chunk: 1, totalChunks: first.totalChunks + 1, body: first.body });
        else if (how === 'json') bad.splice(0, bad.length, ...bad.map((c, i) => ({ ...c, body: i === 0 ? `{${c.body}` : c.body })));
        else bad.splice(0, bad.length, ...bad.map((c) => ({ ...c, body: c.chunk === 1 ? `[1${' '.repeat(Math.max(0, c.body.length - 2))}` : c.body })));
        const others = recorded.filter((r) => r !== victim).flatMap((r) => r.chunks);
        const g = groupLegacyChunks([...others, ...bad]);
        // 'total' on a one-chunk event leaves that event incomplete-or-rejected, never complete.
        assert.ok(!g.complete.some((e) => `${e.sessionId}\u0000${e.windowId}\u0000${e.eventNumber}` === victim.key), `${how}: the damaged event was completed`);
        assert.equal(g.complete.length, recorded.length - 1);
        for (const r of g.rejected) {
          assert.ok(r.error instanceof ProtocolError && r.error.message.includes(`event ${first.eventNumber}`), r.error.message);
        }
      },
    ),
    { numRuns: 500 },
  );
});

test('caps: oversized chunks, absurd chunk counts and oversized events are refused before anything large is built', () => {
  const sdk = new FakeLegacySdk({ flavour: 'splunk', sessionId: 's', instance: 'i', chunkBytes: 100 });
  const r = sdk.emit({ timestamp: 1_700_000_000_000 })[0]!;
  const attrs = (over: Record<string, number>) => ({ ...r.attributes, ...over });
  // One chunk body: at most maxChunkChars.
  const huge = 'x'.repeat(LegacyLimits.maxChunkChars + 1);
  assert.throws(() => readLegacyChunk(r.attributes, r.resource, huge, r.timeUnixNano), (e: unknown) => e instanceof ProtocolError && /at most/.test(e.message));
  assert.ok(readLegacyChunk(r.attributes, r.resource, huge.slice(1), r.timeUnixNano));
  // Chunk counts: at most maxTotalChunks, and a chunk number within the count.
  assert.throws(() => readLegacyChunk(attrs({ 'rr-web.total-chunks': LegacyLimits.maxTotalChunks + 1 }), r.resource, r.body, r.timeUnixNano), ProtocolError);
  assert.throws(() => readLegacyChunk(attrs({ 'rr-web.chunk': 3, 'rr-web.total-chunks': 2 }), r.resource, r.body, r.timeUnixNano), ProtocolError);
  // One event: at most maxEventChars, checked before the chunks are joined.
  const perChunk = LegacyLimits.maxChunkChars;
  const total = Math.ceil(LegacyLimits.maxEventChars / perChunk) + 1;
  const body = 'y'.repeat(perChunk);
  const chunks: LegacyChunk[] = Array.from({ length: total }, (_, i) => ({ sessionId: 's', windowId: 'legacy-i', eventNumber: 1, chunk: i + 1, totalChunks: total, offset: i + 1, timestamp: 1, body }));
  const heapBefore = process.memoryUsage().heapUsed;
  const started = performance.now();
  assert.throws(() => assembleLegacyEvent(chunks), (e: unknown) => e instanceof ProtocolError && /at most 67108864/.test(e.message));
  assert.ok(performance.now() - started < 1000);
  assert.ok(process.memoryUsage().heapUsed - heapBefore < 32 * 1024 * 1024, 'the oversized event was joined before being refused');
  // groupLegacyChunks rejects it the same way, without throwing.
  const g = groupLegacyChunks(chunks);
  assert.equal(g.rejected.length, 1);
  assert.equal(g.complete.length, 0);
});
