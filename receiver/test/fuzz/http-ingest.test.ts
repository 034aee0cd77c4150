// Fuzzing the receiver's OTLP/HTTP edge in-process (fastify inject, the real app with
// SQLite, filesystem storage and forwarding to an OTLP sink): random and damaged bodies,
// hostile-but-decodable requests that reach the ingest pipeline (segment records with bad
// attributes or bodies, legacy rr-web.* records with bad counters or contents), under
// random Content-Type and Content-Encoding headers, honest or lying. Every answer is one
// the OTLP spec allows for bad input (200, 400, 413, 415, 429), never a 5xx, always within
// a time bound and in the encoding the request named; valid requests sent between the
// fuzzed ones are all stored, and the receiver still serves afterwards.
// Failures print fast-check's seed and path: rerun with { seed, path } in fc.assert.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { brotliCompressSync, deflateRawSync, deflateSync, gunzipSync, gzipSync, zstdCompressSync } from 'node:zlib';
import fc from 'fast-check';
import { LegacyAttr, SEGMENT_EVENT_NAME, SegmentAttr } from '@otel-replay/protocol';
import { RpcStatus } from '../../src/otlp/schema.ts';
import { FakeLegacySdk } from '../../../protocol/src/legacy-sdk.fixture.ts';
import { segmentsRequest } from '../helpers/otlp-json.ts';
import { startReceiver } from '../helpers/receiver.ts';
import type { RunningReceiver } from '../helpers/receiver.ts';
import { makeSegment } from '../helpers/recording.ts';
import { startOtlpSink } from '../peers/otlp-sink.ts';
import { startPostgres } from '../peers/postgres.ts';
import type { OtlpSink } from '../peers/otlp-sink.ts';
import { applyPbMutation, fieldSites, jsonMutation, mutateJson, pbMutation } from './mutate.ts';
import { jsonBytes, jsonLogs, jsonTraces, mLogs, mTraces, mValue, noExtras, pbLogs, pbTraces } from './otlp-model.ts';
import type { MKeyValue, MLogs, MRecord, MValue } from './otlp-model.ts';

const MAX_BODY = 256 * 1024;
const MAX_INFLATED = 1024 * 1024;
const ANSWER_MS = 10_000;
const ALLOWED = new Set([200, 400, 413, 415, 429]);
const TENANT = 'default';

let rx: RunningReceiver;

// ---- request bodies that get past the decoder and into the pipeline ----

const enc = new TextEncoder();
const str = (v: string): MValue => ({ k: 'str', v });
const int = (v: number): MValue => ({ k: 'int', v: BigInt(v) });
const dbl = (v: number): MValue => ({ k: 'double', v });
const bytes = (v: Uint8Array): MValue => ({ k: 'bytes', v });

const sessionPool = fc.constantFrom('fz-s1', 'fz-s2', 'fz-s3', '../../etc', 'a/b', 'x'.repeat(200), 'nul\u0000id', '', 'ok.id:1');
const windowPool = fc.constantFrom('w1', 'w2', '..', 'w\u0000', 'legacy', 'legacy-x');

/** Segment bodies: valid gzip arrays, gzip of something else, a bomb, bad gzip, strings. */
const segmentBody: fc.Arbitrary<MValue> = fc.oneof(
  fc.array(fc.record({ type: fc.integer({ min: 0, max: 6 }), timestamp: fc.nat() }), { maxLength: 3 }).map((e) => bytes(gzipSync(JSON.stringify(e)))),
  fc.jsonValue({ maxDepth: 2 }).map((v) => bytes(gzipSync(JSON.stringify(v) ?? 'null'))),
  fc.constant(bytes(gzipSync(Buffer.alloc(80 * 1024 * 1024, 0x5b), { level: 9 }))),
  fc.uint8Array({ minLength: 18, maxLength: 40 }).map((b) => bytes(Uint8Array.from([0x1f, 0x8b, 8, ...b]))),
  fc.string({ maxLength: 40 }).map((s) => str(s)),
  fc.constantFrom(str('[]'), str(' [ {"type":3,"timestamp":1} ] '), str('[\u0000]'), str('['), bytes(new Uint8Array(0))),
  mValue,
);

const segmentAttrValue = (name: string): fc.Arbitrary<MValue> => {
  const good: Record<string, fc.Arbitrary<MValue>> = {
    [SegmentAttr.sessionId]: sessionPool.map(str),
    [SegmentAttr.windowId]: windowPool.map(str),
    [SegmentAttr.seq]: fc.oneof(fc.nat({ max: 5 }).map(int), fc.constantFrom(int(-1), int(2 ** 31), dbl(1.5), str('3'), dbl(2))),
    [SegmentAttr.firstTimestamp]: fc.oneof(fc.constant(int(1_767_225_600_000)), fc.constantFrom(int(0), int(-5), dbl(Number.NaN), str('1767225600000'), { k: 'int', v: 2n ** 62n })),
    [SegmentAttr.lastTimestamp]: fc.oneof(fc.constant(int(1_767_225_601_000)), fc.constantFrom(int(0), int(253402300799999 + 1))),
    [SegmentAttr.eventCount]: fc.oneof(fc.integer({ min: 1, max: 3 }).map(int), fc.constantFrom(int(0), int(10_000_000))),
    [SegmentAttr.fullSnapshot]: fc.oneof(fc.boolean().map((v) => ({ k: 'bool' as const, v })), fc.constant(str('true'))),
    [SegmentAttr.encoding]: fc.constantFrom(str('gzip-json'), str('json'), str('zip'), int(1)),
    [SegmentAttr.protocolVersion]: fc.constantFrom(int(1), int(2), int(0), str('1')),
  };
  return fc.oneof({ weight: 25, arbitrary: good[name]! }, { weight: 1, arbitrary: mValue });
};

const segmentRecord: fc.Arbitrary<MRecord> = fc
  .record({
    attributes: fc.tuple(...Object.values(SegmentAttr).map((name) => fc.option(segmentAttrValue(name).map((v): MKeyValue => [name, v]), { freq: 25, nil: null }))),
    body: segmentBody,
    time: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  })
  .map(({ attributes, body, time }) => ({
    timeUnixNano: time, observedTimeUnixNano: 0n, severityNumber: 0, severityText: '', eventName: SEGMENT_EVENT_NAME, body,
    attributes: attributes.filter((a): a is MKeyValue => a !== null), flags: 0, traceId: new Uint8Array(0), spanId: new Uint8Array(0),
  }));

/** Legacy records: real ones from the fixture SDK, then some attributes or bodies replaced. */
const legacyRecords: fc.Arbitrary<{ records: MRecord[]; resource: MKeyValue[] }> = fc
  .record({
    flavour: fc.constantFrom('splunk' as const, 'hyperdx' as const),
    session: sessionPool,
    instance: fc.constantFrom('i1', 'i2', null, '../x'),
    chunkBytes: fc.integer({ min: 8, max: 64 }),
    events: fc.array(fc.record({ type: fc.constantFrom(2, 3, 4), timestamp: fc.integer({ min: 1_700_000_000_000, max: 1_800_000_000_000 }), data: fc.record({ t: fc.string({ maxLength: 40 }) }) }), { minLength: 1, maxLength: 4 }),
    keep: fc.infiniteStream(fc.nat({ max: 9 })),
    damage: fc.array(fc.tuple(fc.nat(), fc.constantFrom(...Object.values(LegacyAttr), 'segmentMetadata', 'session.id'), mValue), { maxLength: 2 }),
    bodyDamage: fc.array(fc.tuple(fc.nat(), fc.constantFrom('\u0000', '\ud800', '"}', '{{{{', 'x'.repeat(5000))), { maxLength: 2 }),
  })
  .map(({ flavour, session, instance, chunkBytes, events, keep, damage, bodyDamage }) => {
    const sdk = new FakeLegacySdk({ flavour, sessionId: session, instance, chunkBytes });
    const it = keep[Symbol.iterator]();
    // Some chunks are left for later (a missing chunk parks the rest in the index).
    const sdkRecords = events.flatMap((e) => sdk.emit(e)).filter(() => it.next().value !== 0);
    const toM = (v: unknown): MValue => (typeof v === 'string' ? str(v) : typeof v === 'number' ? dbl(v) : typeof v === 'boolean' ? { k: 'bool', v } : null);
    const records: MRecord[] = sdkRecords.map((r) => ({
      timeUnixNano: r.timeUnixNano, observedTimeUnixNano: 0n, severityNumber: 0, severityText: '', eventName: '',
      body: toM(r.body), attributes: Object.entries(r.attributes).map(([k, v]): MKeyValue => [k, toM(v)]), flags: 0, traceId: new Uint8Array(0), spanId: new Uint8Array(0),
    }));
    if (records.length) {
      for (const [at, name, value] of damage) records[at % records.length]!.attributes.push([name, value]);
      for (const [at, text] of bodyDamage) {
        const r = records[at % records.length]!;
        r.body = str(`${r.body && r.body.k === 'str' ? r.body.v : ''}${text}`);
      }
    }
    const resource = Object.entries(sdkRecords[0]?.resource ?? { 'rum.sessionId': session }).map(([k, v]): MKeyValue => [k, toM(v)]);
    return { records, resource };
  });

/** Pipeline-hostile logs requests: segments, legacy records and ordinary logs side by side. */
const pipelineLogs: fc.Arbitrary<MLogs> = fc
  .tuple(fc.array(segmentRecord, { maxLength: 3 }), fc.array(legacyRecords, { maxLength: 2 }), mLogs)
  .map(([segments, legacy, ordinary]) => ({
    resources: [
      { attributes: [['service.name', str('fuzz')]], scopes: [{ scope: { name: 'otel-replay', version: '', attributes: [] }, records: segments, extra: noExtras }], extra: noExtras },
      ...legacy.map((l) => ({ attributes: l.resource, scopes: [{ scope: { name: 'splunk.rr-web', version: '', attributes: [] }, records: l.records, extra: noExtras }], extra: noExtras })),
      ...ordinary.resources,
    ],
    extra: noExtras,
  }));

// ---- requests ----

type Coding = 'gzip' | 'x-gzip' | 'deflate' | 'deflate-raw' | 'br' | 'zstd';
const COMPRESS: Record<Coding, (b: Uint8Array) => Uint8Array> = {
  gzip: (b) => gzipSync(b, { level: 1 }),
  'x-gzip': (b) => gzipSync(b, { level: 1 }),
  deflate: (b) => deflateSync(b, { level: 1 }),
  'deflate-raw': (b) => deflateRawSync(b, { level: 1 }),
  br: (b) => brotliCompressSync(b),
  zstd: (b) => zstdCompressSync(b),
};

interface FuzzRequest {
  path: '/v1/logs' | '/v1/traces';
  contentType: string | undefined;
  /** What the header says and what was really done to the body (they may differ). */
  contentEncoding: string | undefined;
  body: Uint8Array;
}

const jsonTypes = ['application/json', 'Application/JSON; charset=utf-8', ' application/json ;x=1'];
const pbTypes = ['application/x-protobuf', 'application/x-protobuf; proto=opentelemetry'];
const otherTypes = ['text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/json, application/x-protobuf', 'application/protobuf', ';', 'application/'];

const payload = fc.oneof(
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 400 }).map((b) => ({ json: b, pb: b })) },
  { weight: 3, arbitrary: fc.tuple(mLogs, mTraces, fc.array(jsonMutation, { maxLength: 2 })).map(([l, t, ms]) => ({ json: jsonBytes(mutateJson(JSON.stringify(jsonLogs(l)), ms)), jsonTraces: jsonBytes(mutateJson(JSON.stringify(jsonTraces(t)), ms)), pb: pbLogs(l), pbTraces: pbTraces(t) })) },
  { weight: 3, arbitrary: fc.tuple(mLogs, mTraces, fc.array(pbMutation, { minLength: 1, maxLength: 2 })).map(([l, t, ms]) => {
    let pl = pbLogs(l);
    let pt = pbTraces(t);
    for (const m of ms) {
      pl = applyPbMutation(pl, m, fieldSites(pl));
      pt = applyPbMutation(pt, m, fieldSites(pt));
    }
    return { json: jsonBytes(jsonLogs(l)), pb: pl, pbTraces: pt };
  }) },
  { weight: 5, arbitrary: pipelineLogs.map((l) => ({ json: jsonBytes(jsonLogs(l)), pb: pbLogs(l) })) },
  { weight: 1, arbitrary: fc.constantFrom(MAX_BODY - 10, MAX_BODY + 10, MAX_INFLATED + 10).map((n) => ({ json: enc.encode(`{"resourceLogs":[],"pad":"${'x'.repeat(n)}"}`), pb: new Uint8Array(n) })) },
);

const fuzzRequest: fc.Arbitrary<FuzzRequest> = fc
  .record({
    path: fc.constantFrom('/v1/logs' as const, '/v1/logs' as const, '/v1/traces' as const),
    type: fc.oneof({ weight: 15, arbitrary: fc.constantFrom(...jsonTypes, ...pbTypes) }, { weight: 1, arbitrary: fc.constantFrom(...otherTypes) }, { weight: 1, arbitrary: fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 30 }) }, { weight: 1, arbitrary: fc.constant(undefined) }),
    coding: fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 6, arbitrary: fc.constantFrom<Coding>('gzip', 'x-gzip', 'deflate', 'deflate-raw', 'br', 'zstd') }, { weight: 1, arbitrary: fc.constantFrom('identity', 'gzip, br', 'GZIP', 'compress', 'gzip;q=1', 'identity, gzip', '') }),
    honest: fc.nat({ max: 9 }),
    payload,
  })
  .map(({ path, type, coding, honest, payload }) => {
    const isPb = type !== undefined && pbTypes.includes(type);
    const p = payload as { json: Uint8Array; pb: Uint8Array; jsonTraces?: Uint8Array; pbTraces?: Uint8Array };
    let body = path === '/v1/traces' ? (isPb ? p.pbTraces ?? p.pb : p.jsonTraces ?? p.json) : isPb ? p.pb : p.json;
    let header = coding as string | undefined;
    if (coding !== undefined && coding in COMPRESS) {
      header = coding === 'deflate-raw' ? 'deflate' : coding;
      // Mostly compressed as declared; sometimes with another algorithm, sometimes not at all.
      if (honest < 7) body = COMPRESS[coding as Coding](body);
      else if (honest < 9) body = COMPRESS[coding === 'br' ? 'gzip' : 'br'](body);
    } else if (coding === 'GZIP' || coding === 'gzip;q=1') body = gzipSync(body);
    return { path, contentType: type, contentEncoding: header, body };
  });

async function send(r: FuzzRequest): Promise<{ status: number; contentType: string; body: Buffer }> {
  const headers: Record<string, string> = {};
  if (r.contentType !== undefined) headers['content-type'] = r.contentType;
  if (r.contentEncoding !== undefined) headers['content-encoding'] = r.contentEncoding;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ANSWER_MS} ms to ${r.path} (${r.contentType} / ${r.contentEncoding}, ${r.body.length} bytes)`)), ANSWER_MS);
  });
  try {
    const res = await Promise.race([rx.receiver.app.inject({ method: 'POST', url: r.path, headers, payload: Buffer.from(r.body) }), timeout]);
    return { status: res.statusCode, contentType: String(res.headers['content-type'] ?? ''), body: res.rawPayload };
  } finally {
    clearTimeout(timer);
  }
}

/** The request's encoding when its Content-Type names one we take, else JSON. */
function answerEncoding(contentType: string | undefined): 'json' | 'protobuf' {
  const media = (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
  return media === 'application/x-protobuf' ? 'protobuf' : 'json';
}

const ENGINES: { name: string; runs: number; index?: () => Promise<{ overrides: Record<string, unknown>; dispose(): Promise<void> }> }[] = [
  { name: 'SQLite', runs: 700 },
  // Fewer runs: PostgreSQL is here for what only it refuses (NUL, invalid UTF-16 in text).
  {
    name: 'PostgreSQL',
    runs: 200,
    index: async () => {
      const pg = await startPostgres();
      return { overrides: { index: { engine: 'postgres', postgres: { url: pg.url } } }, dispose: () => pg.dispose() };
    },
  },
];

for (const engine of ENGINES) {
  describe(`OTLP/HTTP ingest under fuzzing (${engine.name} index)`, () => {
    let sink: OtlpSink;
    let dispose = async (): Promise<void> => {};
    const seen = new Map<number, number>();
    const validSessions: string[] = [];

    before(async () => {
      sink = await startOtlpSink();
      const index = engine.index ? await engine.index() : undefined;
      if (index) dispose = index.dispose;
      rx = await startReceiver({
        server: { maxBodyBytes: MAX_BODY, maxDecompressedBytes: MAX_INFLATED },
        forward: { logsUrl: sink.logsUrl, tracesUrl: sink.tracesUrl, retry: { initialDelayMs: 20, maxDelayMs: 200 } },
        ...(index?.overrides ?? {}),
      });
    });

    after(async () => {
      await rx?.stop();
      await sink?.stop();
      await dispose();
    });

    async function sendValid(): Promise<void> {
      const sessionId = `fz-valid-${validSessions.length}`;
      const { segment } = makeSegment({ sessionId, seq: 0, start: Date.now() - 5000 });
      const res = await send({ path: '/v1/logs', contentType: 'application/json', contentEncoding: 'gzip', body: gzipSync(JSON.stringify(segmentsRequest([segment]))) });
      assert.equal(res.status, 200, `a valid request between fuzzed ones was refused: ${res.body.toString('utf8').slice(0, 300)}`);
      validSessions.push(sessionId);
    }

    it('answers every fuzzed request with 200/400/413/415/429 in the request encoding, in bounded time', async () => {
      let n = 0;
      await fc.assert(
        fc.asyncProperty(fuzzRequest, async (r) => {
          if (n++ % 40 === 0) await sendValid();
          const res = await send(r);
          seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
          assert.ok(ALLOWED.has(res.status), `status ${res.status} for ${r.path} (${r.contentType} / ${r.contentEncoding}): ${res.body.toString('utf8').slice(0, 300)}`);
          const encoding = answerEncoding(r.contentType);
          assert.equal(res.contentType, encoding === 'json' ? 'application/json' : 'application/x-protobuf');
          if (res.status === 200) {
            // An ExportLogs/TraceServiceResponse, possibly with partial_success.
            if (encoding === 'json') assert.equal(typeof JSON.parse(res.body.toString('utf8')), 'object');
          } else {
            const status = encoding === 'json'
              ? (JSON.parse(res.body.toString('utf8')) as { code: number; message: string })
              : (RpcStatus.decode(res.body) as unknown as { code: number; message: string });
            assert.ok(status.code > 0 && status.message.length > 5, `error answer without a Status: ${res.body.toString('utf8').slice(0, 200)}`);
          }
        }),
        { numRuns: engine.runs },
      );
      // The run must have reached past the framing: accepted requests and each kind of refusal.
      for (const status of [200, 400, 415]) assert.ok((seen.get(status) ?? 0) > 0, `no ${status} answer in the run: ${JSON.stringify([...seen])}`);
      // Fuzzed segment records got through to storage too, not only the valid ones.
      let fuzzStored = 0;
      for (const id of ['fz-s1', 'fz-s2', 'fz-s3', 'ok.id:1']) fuzzStored += (await rx.receiver.services.index.listSegments(TENANT, id)).length;
      assert.ok(fuzzStored > 0, 'no fuzzed segment was stored: the generators no longer reach the pipeline');
    });

    it('afterwards: every valid request sent between fuzzed ones is stored and readable, and the receiver still takes new data', async () => {
      await sendValid();
      const { index, store } = rx.receiver.services;
      for (const sessionId of validSessions) {
        const rows = await index.listSegments(TENANT, sessionId);
        assert.equal(rows.length, 1, `segment of ${sessionId} missing`);
        const row = rows[0]!;
        const stored = gunzipSync(await store.getRange(row.objectKey, row.offset, row.length)).toString('utf8');
        assert.ok(stored.startsWith('[') && stored.includes('"timestamp"'));
      }
      const health = await rx.receiver.app.inject({ method: 'GET', url: '/healthz' });
      assert.equal(health.statusCode, 200);
      // And over a real socket, not just inject.
      const res = await fetch(`${rx.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ resourceSpans: [] }) });
      assert.equal(res.status, 200);
    });
  });
}
