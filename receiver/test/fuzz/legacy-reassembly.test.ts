// Fuzzing legacy rr-web.* reassembly through the real receiver (OTLP/JSON in, SQLite index
// for parked chunks, filesystem store): recordings made the way Splunk's and HyperDX's
// recorders make them, their chunks spread over several requests in any order, some
// requests retried. Every request is acknowledged without refusals; afterwards each window
// holds every recorded event exactly once, in order, in a gapless chain of segments; and
// nothing stays parked, so the chunk table holds only events still waiting for chunks.
// Failures print fast-check's seed and path: rerun with { seed, path } in fc.assert.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { nextSeq } from '@otel-replay/protocol';
import { FakeLegacySdk } from '../../../protocol/src/legacy-sdk.fixture.ts';
import type { SdkRecord } from '../../../protocol/src/legacy-sdk.fixture.ts';
import { legacyAttributes } from '../helpers/otlp-json.ts';
import { startReceiver } from '../helpers/receiver.ts';
import type { RunningReceiver } from '../helpers/receiver.ts';

const TENANT = 'default';

let rx: RunningReceiver;
before(async () => { rx = await startReceiver(); });
after(async () => { await rx?.stop(); });

/** One request: records grouped by resource (page load), as an OTLP exporter batches them. */
function request(records: SdkRecord[]): string {
  const byResource = new Map<string, SdkRecord[]>();
  for (const r of records) {
    const key = JSON.stringify(r.resource);
    byResource.set(key, [...(byResource.get(key) ?? []), r]);
  }
  return JSON.stringify({
    resourceLogs: [...byResource.values()].map((rs) => ({
      resource: { attributes: legacyAttributes(rs[0]!.resource) },
      scopeLogs: [{ scope: { name: 'splunk.rr-web' }, logRecords: rs.map((r) => ({ timeUnixNano: String(r.timeUnixNano), body: { stringValue: r.body }, attributes: legacyAttributes(r.attributes) })) }],
    })),
  });
}

// ASCII text: byte slicing then never cuts a character, so events must come back identical.
// Times within an hour: longer sessions are cut by sessionLimits.maxDurationMs on purpose.
const rrwebEvent = fc.record({
  type: fc.constantFrom(2, 3, 3, 3, 4),
  timestamp: fc.integer({ min: 1_700_000_000_000, max: 1_700_000_000_000 + 3_600_000 }),
  data: fc.record({ text: fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 }), n: fc.nat() }),
});

let run = 0;

test('chunks spread over requests in any order, with retries: every event stored once, in order, nothing left parked', { timeout: 120_000 }, async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom('splunk' as const, 'hyperdx' as const),
      fc.array(fc.array(rrwebEvent, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 2 }),
      fc.integer({ min: 10, max: 80 }),
      fc.integer({ min: 1, max: 4 }),
      fc.infiniteStream(fc.nat()),
      async (flavour, pageLoads, chunkBytes, requests, random) => {
        const sessionId = `legacy-fuzz-${run++}`;
        const it = random[Symbol.iterator]();
        const next = () => it.next().value as number;
        const windows = pageLoads.map((events, i) => {
          const sdk = new FakeLegacySdk({ flavour, sessionId, instance: `p${i}`, chunkBytes });
          return { windowId: `legacy-p${i}`, events: events.map((e) => JSON.parse(JSON.stringify(e)) as typeof e), records: events.flatMap((e) => sdk.emit(e)) };
        });
        // Each record lands in one request; requests go out in SDK order per request, any order overall.
        const batches: SdkRecord[][] = Array.from({ length: requests }, () => []);
        for (const w of windows) for (const r of w.records) batches[next() % requests]!.push(r);
        const sends = batches.filter((b) => b.length > 0).flatMap((b) => (next() % 4 === 0 ? [b, b] : [b]));
        for (let i = sends.length - 1; i > 0; i--) {
          const j = next() % (i + 1);
          [sends[i], sends[j]] = [sends[j]!, sends[i]!];
        }
        for (const batch of sends) {
          const res = await rx.receiver.app.inject({ method: 'POST', url: '/v1/logs', headers: { 'content-type': 'application/json' }, payload: request(batch) });
          assert.equal(res.statusCode, 200);
          assert.equal(res.body, '{}', `records were refused: ${res.body.slice(0, 300)}`);
        }
        const { index, store } = rx.receiver.services;
        for (const w of windows) {
          const rows = await index.listSegments(TENANT, sessionId, w.windowId);
          const events: unknown[] = [];
          let expectedSeq = rows[0]?.seq;
          for (const row of rows) {
            assert.equal(row.seq, expectedSeq, `gap before segment ${row.seq} of ${w.windowId}`);
            const body = JSON.parse(gunzipSync(await store.getRange(row.objectKey, row.offset, row.length)).toString('utf8')) as unknown[];
            assert.equal(body.length, row.eventCount);
            events.push(...body);
            expectedSeq = nextSeq(w.windowId, row.seq, row.eventCount);
          }
          assert.equal(rows[0]?.seq, 1, 'legacy event numbers start at 1');
          assert.deepEqual(events, w.events);
          for (let n = 1; n <= w.events.length; n++) assert.deepEqual(await index.legacyChunks(TENANT, sessionId, w.windowId, n), [], `chunks of event ${n} stayed parked`);
        }
      },
    ),
    { numRuns: 60 },
  );
});

test('an event missing a chunk stays parked (bounded by what arrived) and completes when the chunk comes', async () => {
  const sessionId = 'legacy-fuzz-missing';
  const sdk = new FakeLegacySdk({ flavour: 'splunk', sessionId, instance: 'm', chunkBytes: 20 });
  const records = sdk.emit({ type: 3, timestamp: 1_750_000_000_000, data: { text: 'a'.repeat(100) } } as { timestamp: number });
  assert.ok(records.length >= 5);
  const last = records.pop()!;
  const post = async (rs: SdkRecord[]) => rx.receiver.app.inject({ method: 'POST', url: '/v1/logs', headers: { 'content-type': 'application/json' }, payload: request(rs) });
  assert.equal((await post(records)).statusCode, 200);
  assert.equal((await post(records)).statusCode, 200); // a retry parks nothing twice
  const { index } = rx.receiver.services;
  assert.equal((await index.legacyChunks(TENANT, sessionId, 'legacy-m', 1)).length, records.length);
  assert.deepEqual(await index.listSegments(TENANT, sessionId), []);
  assert.equal((await post([last])).statusCode, 200);
  assert.deepEqual(await index.legacyChunks(TENANT, sessionId, 'legacy-m', 1), []);
  assert.equal((await index.listSegments(TENANT, sessionId)).length, 1);
});
