// Regression for a fuzzing find: a ~60 KB gzip body inflating to 64 MiB of empty log
// records (`{},` in JSON, an empty field in protobuf) made the decoders build tens of
// millions of objects and ran the receiver out of heap. Such requests are now refused with
// 413 by counting messages before any is built; counts of real requests are exact.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { countMessages, MAX_MESSAGES_PER_REQUEST, overMessageBudget } from '../../src/otlp/budget.ts';
import { decodeLogs } from '../../src/otlp/decode-logs.ts';
import { OtlpError } from '../../src/otlp/errors.ts';
import { ExportLogsServiceRequest, ExportTraceServiceRequest } from '../../src/otlp/schema.ts';
import { segmentsRequest } from '../helpers/otlp-json.ts';
import { startReceiver } from '../helpers/receiver.ts';
import type { RunningReceiver } from '../helpers/receiver.ts';
import { makeSegment } from '../helpers/recording.ts';
import { lengthDelimited, pbLogs, pbTraces } from './otlp-model.ts';

const OVER = MAX_MESSAGES_PER_REQUEST + 10;

/** Many empty messages at `field` inside the message `path` leads to (field numbers from the outside in). */
function pbFlood(path: number[], field: number, count: number): Buffer {
  let inner: Uint8Array = Buffer.alloc(count * 2);
  for (let i = 0; i < count; i++) inner[i * 2] = (field << 3) | 2;
  for (const f of [...path].reverse()) inner = lengthDelimited(f, inner);
  return Buffer.from(inner);
}

const jsonRecordsFlood = (count: number) => Buffer.from(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[${'{},'.repeat(count - 1)}{}]}]}]}`);
const jsonAttributesFlood = (count: number) => Buffer.from(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"attributes":[${'{},'.repeat(count - 1)}{}]}]}]}]}`);

describe('message budget', () => {
  it('counts the messages of real requests exactly', () => {
    const empty = { pb: [], json: [] };
    const body = pbLogs({
      resources: [{ attributes: [['a', { k: 'kv', v: [['b', { k: 'array', v: [{ k: 'int', v: 1n }, null] }]] }]], scopes: [{ scope: { name: 's', version: '', attributes: [] }, records: [], extra: empty }], extra: empty }],
      extra: empty,
    });
    // ResourceLogs, Resource, KeyValue a, AnyValue, KeyValueList, KeyValue b, AnyValue, ArrayValue, AnyValue ×2, ScopeLogs, InstrumentationScope.
    assert.equal(countMessages(ExportLogsServiceRequest, body), 12);
    assert.equal(countMessages(ExportTraceServiceRequest, pbTraces({ resources: [] })), 0);
    // Stops once past the cap it is given.
    assert.equal(countMessages(ExportLogsServiceRequest, body, 3), 4);
    // Bodies under two bytes per allowed message are not walked: none can hold more.
    assert.equal(overMessageBudget(ExportLogsServiceRequest, body, 3), true);
    assert.equal(overMessageBudget(ExportLogsServiceRequest, body, Math.ceil(body.length / 2) + 1), false);
    const flood = pbFlood([1, 2], 2, 1000);
    assert.ok(countMessages(ExportLogsServiceRequest, flood) <= flood.length / 2, 'the densest flood still spends two bytes per message');
  });

  it('refuses floods of empty records or attributes with 413 before building them, in both encodings', () => {
    const floods: [string, Buffer, 'json' | 'protobuf'][] = [
      ['JSON records', jsonRecordsFlood(OVER), 'json'],
      ['JSON attributes', jsonAttributesFlood(OVER), 'json'],
      ['protobuf records', pbFlood([1, 2], 2, OVER), 'protobuf'],
      ['protobuf attributes', pbFlood([1, 2, 2], 6, OVER), 'protobuf'],
    ];
    for (const [what, body, encoding] of floods) {
      global.gc?.();
      const heap = process.memoryUsage().heapUsed;
      const started = performance.now();
      assert.throws(() => decodeLogs(body, encoding), (e: unknown) => e instanceof OtlpError && e.status === 413 && /more than 2000000 OTLP messages/.test(e.message), what);
      assert.ok(performance.now() - started < 2000, `${what}: refused only after ${performance.now() - started} ms`);
      assert.ok(process.memoryUsage().heapUsed - heap < 64 * 1024 * 1024, `${what}: the flood was materialized before being refused`);
    }
  });

  describe('over HTTP', () => {
    let rx: RunningReceiver;
    before(async () => { rx = await startReceiver(); });
    after(async () => { await rx?.stop(); });

    it('a small gzip body that inflates to millions of empty records gets 413, and the receiver carries on', async () => {
      for (const [type, raw] of [['application/json', jsonRecordsFlood(OVER)], ['application/x-protobuf', pbFlood([1, 2], 2, OVER)]] as const) {
        const body = gzipSync(raw, { level: 9 });
        assert.ok(body.length < 100_000, `the flood is ${body.length} bytes compressed`);
        const started = performance.now();
        const res = await fetch(`${rx.url}/v1/logs`, { method: 'POST', headers: { 'content-type': type, 'content-encoding': 'gzip' }, body });
        assert.equal(res.status, 413, await res.text());
        assert.ok(performance.now() - started < 5000);
      }
      const { segment } = makeSegment({ sessionId: 'after-flood', seq: 0, start: Date.now() - 1000 });
      const ok = await fetch(`${rx.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(segmentsRequest([segment])) });
      assert.equal(ok.status, 200);
    });
  });
});
