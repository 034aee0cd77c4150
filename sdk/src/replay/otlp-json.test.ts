import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ROOT_CONTEXT, context, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { PROTOCOL_VERSION, SEGMENT_EVENT_NAME, readSegmentAttributes, segmentAttributes, segmentBodyBytes } from '@otel-replay/protocol';
import type { SegmentMeta } from '@otel-replay/protocol';
import { decodeLogs } from '../../../receiver/src/otlp/decode-logs.ts';
import { encodeAnyValue, encodeLogsRequest, hrTimeToNanos, toBase64 } from './otlp-json.ts';

function provider() {
  const exporter = new InMemoryLogRecordExporter();
  const lp = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': 'shop' }), processors: [new SimpleLogRecordProcessor({ exporter })] });
  return { exporter, lp };
}

test('a segment record encodes to OTLP/JSON the receiver decodes back to the same meta and body', () => {
  const { exporter, lp } = provider();
  const events = JSON.stringify([{ type: 4, timestamp: 1767225600123, data: { href: 'https://shop.example/', width: 1, height: 1 } }]);
  const body = new Uint8Array(gzipSync(events));
  const meta: SegmentMeta = { sessionId: 'abc123', windowId: 'w-1', seq: 7, firstTimestamp: 1767225600123, lastTimestamp: 1767225600125, eventCount: 1, hasFullSnapshot: false, encoding: 'gzip-json', protocolVersion: PROTOCOL_VERSION };
  lp.getLogger('otel-replay', '0.1.0').emit({ eventName: SEGMENT_EVENT_NAME, timestamp: meta.firstTimestamp, attributes: segmentAttributes(meta), body, context: ROOT_CONTEXT });
  const json = encodeLogsRequest(exporter.getFinishedLogRecords());
  const decoded = decodeLogs(new TextEncoder().encode(json), 'json');
  assert.equal(decoded.recordCount, 1);
  const resource = decoded.resources[0]!;
  assert.equal(resource.resource['service.name'], 'shop');
  assert.equal(resource.scopes[0]!.scope.name, 'otel-replay');
  assert.equal(resource.scopes[0]!.scope.version, '0.1.0');
  const record = resource.scopes[0]!.records[0]!;
  assert.equal(record.eventName, SEGMENT_EVENT_NAME);
  assert.equal(record.timeUnixNano, 1767225600123000000n, 'real nanoseconds = first_ts × 10^6');
  assert.deepEqual(readSegmentAttributes(record.attributes), meta);
  const stored = segmentBodyBytes(meta, record.body);
  assert.equal(gunzipSync(stored).toString(), events);
  assert.equal(record.traceId, '', 'no trace on a segment');
  assert.match(json, /"intValue":"7"/);
});

test('values: integers as strings, doubles, booleans, arrays, maps, null; trace ids in hex when a span is active', () => {
  assert.deepEqual(encodeAnyValue(3), { intValue: '3' });
  assert.deepEqual(encodeAnyValue(1.5), { doubleValue: 1.5 });
  assert.deepEqual(encodeAnyValue(true), { boolValue: true });
  assert.deepEqual(encodeAnyValue(null), {});
  assert.deepEqual(encodeAnyValue(new Uint8Array([0xff, 0, 1])), { bytesValue: '/wAB' });
  assert.deepEqual(encodeAnyValue(['a', { b: 1 }]), { arrayValue: { values: [{ stringValue: 'a' }, { kvlistValue: { values: [{ key: 'b', value: { intValue: '1' } }] } }] } });
  assert.equal(hrTimeToNanos([1767225600, 123000000]), '1767225600123000000');
  assert.equal(hrTimeToNanos([0, 42]), '42');
  const { exporter, lp } = provider();
  const spanContext = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 };
  lp.getLogger('x').emit({ body: 'hello', severityNumber: 9, severityText: 'INFO', context: trace.setSpanContext(context.active(), spanContext) });
  const decoded = decodeLogs(new TextEncoder().encode(encodeLogsRequest(exporter.getFinishedLogRecords())), 'json');
  const r = decoded.resources[0]!.scopes[0]!.records[0]!;
  assert.equal(r.traceId, spanContext.traceId);
  assert.equal(r.spanId, spanContext.spanId);
  assert.equal(r.severityNumber, 9);
  assert.equal(r.body, 'hello');
});

test('records of two scopes are grouped per scope under one resource', () => {
  const { exporter, lp } = provider();
  lp.getLogger('a').emit({ body: '1' });
  lp.getLogger('b').emit({ body: '2' });
  lp.getLogger('a').emit({ body: '3' });
  const parsed = JSON.parse(encodeLogsRequest(exporter.getFinishedLogRecords())) as { resourceLogs: { scopeLogs: { scope: { name: string }; logRecords: unknown[] }[] }[] };
  assert.equal(parsed.resourceLogs.length, 1);
  assert.deepEqual(parsed.resourceLogs[0]!.scopeLogs.map((s) => [s.scope.name, s.logRecords.length]), [['a', 2], ['b', 1]]);
});

test('base64 of bytes is standard base64 with the native Uint8Array.toBase64 and without it', () => {
  const bytes = Uint8Array.from({ length: 100_003 }, (_, i) => (i * 131 + 7) & 255);
  const expected = Buffer.from(bytes).toString('base64');
  assert.equal(toBase64(bytes), expected);
  // Browsers before Uint8Array.toBase64 (and Node before it) take the btoa path.
  const old = Uint8Array.from(bytes);
  Object.defineProperty(old, 'toBase64', { value: undefined });
  assert.equal(toBase64(old), expected);
  const native = Uint8Array.from(bytes);
  Object.defineProperty(native, 'toBase64', { value: () => 'from-native' });
  assert.equal(toBase64(native), 'from-native', 'the native encoder is used where there is one');
  assert.equal(toBase64(new Uint8Array(0)), '');
});
