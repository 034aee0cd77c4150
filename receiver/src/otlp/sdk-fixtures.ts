// Test helper (imported only by *.test.ts): real OTLP request bodies as the OpenTelemetry
// JS SDK and its exporters' serializers produce them, with the values they should decode
// to, so codec tests check against what clients actually send.

import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { AnyValue } from '@opentelemetry/api';
import { JsonLogsSerializer, JsonTraceSerializer, ProtobufLogsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { OtlpEncoding } from './model.ts';

/** 2023-11-14T22:13:20.123456789Z as HrTime and as nanoseconds. */
export const TIME: [number, number] = [1_700_000_000, 123_456_789];
export const TIME_NANOS = 1_700_000_000_123_456_789n;

export const SEGMENT_BODY = new Uint8Array([0x1f, 0x8b, 0x08, 0x00, 0xff, 0x00, 0x7f, 0x80]);

/** Attributes of every type the JS SDK can put on a log record. */
export const ALL_TYPES: Record<string, AnyValue> = {
  str: 'hé ✓',
  empty: '',
  int: 42,
  negative: -7,
  double: 1.5,
  bool: false,
  ints: [1, 2, 3],
  strings: ['a', 'b'],
  mixed: ['x', 1, true, 2.5],
  bytes: new Uint8Array([0, 255, 9]),
  map: { k: 'v', nested: { deep: [true, { z: 1 }] } },
};

/** What ALL_TYPES decodes to, in both encodings: the same values (a lossless round trip). */
export const ALL_TYPES_DECODED: Record<string, AnyValue> = structuredClone(ALL_TYPES);

export interface SdkLogs {
  json: Uint8Array;
  protobuf: Uint8Array;
  traceId: string;
  spanId: string;
}

export function body(requests: { json: Uint8Array; protobuf: Uint8Array }, encoding: OtlpEncoding): Buffer {
  return Buffer.from(encoding === 'json' ? requests.json : requests.protobuf);
}

/**
 * Five records from two loggers of one resource. Logger "app" 1.0.0: [0] a replay-segment
 * style record (event name, bytes body, ids from an active span), [1] string body with
 * every attribute type, [2] map body; logger "other": [3] no body, [4] array body.
 */
export async function sdkLogs(): Promise<SdkLogs> {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'shop-web', 'deployment.count': 3 }),
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
  const tracerProvider = new TracerProvider({});
  const span = tracerProvider.getTracer('t').startSpan('page');
  const withSpan = trace.setSpan(context.active(), span);
  const app = provider.getLogger('app', '1.0.0');
  const other = provider.getLogger('other');
  app.emit({
    eventName: 'otel_replay.segment',
    timestamp: TIME,
    observedTimestamp: TIME,
    body: SEGMENT_BODY,
    attributes: { 'session.id': 'sess-1', 'replay.segment.seq': 0 },
    context: withSpan,
  });
  app.emit({ timestamp: TIME, observedTimestamp: TIME, severityNumber: 9, severityText: 'INFO', body: 'hello', attributes: ALL_TYPES });
  app.emit({ timestamp: TIME, observedTimestamp: TIME, severityNumber: 17, body: { nested: { list: [1, 'two'] } } as AnyValue });
  other.emit({ timestamp: TIME, observedTimestamp: TIME, attributes: { n: 1 } });
  other.emit({ timestamp: TIME, observedTimestamp: TIME, body: ['a', 1] });
  await provider.forceFlush();
  const records = exporter.getFinishedLogRecords();
  const json = JsonLogsSerializer.serializeRequest(records);
  const protobuf = ProtobufLogsSerializer.serializeRequest(records);
  if (json === undefined || protobuf === undefined) throw new Error('sdk fixture: the serializers produced no request');
  const { traceId, spanId } = span.spanContext();
  return { json, protobuf, traceId, spanId };
}

export interface SdkTraces {
  json: Uint8Array;
  protobuf: Uint8Array;
  traceId: string;
  rootSpanId: string;
  childSpanId: string;
}

/** A root server span and a failed client child with an event and a link. */
export async function sdkTraces(): Promise<SdkTraces> {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'shop-web' }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const tracer = provider.getTracer('web', '2.0.0');
  const root = tracer.startSpan('GET /', { kind: SpanKind.SERVER, startTime: TIME, attributes: { 'session.id': 'sess-1', 'http.status': 200 } });
  const child = tracer.startSpan(
    'fetch',
    { kind: SpanKind.CLIENT, startTime: TIME, attributes: { ratio: 0.25, tags: ['a', 'b'], ok: false }, links: [{ context: root.spanContext(), attributes: { why: 'retry' } }] },
    trace.setSpan(context.active(), root),
  );
  child.addEvent('retry', { attempt: 2 }, TIME);
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
  child.end([TIME[0] + 1, 0]);
  root.setStatus({ code: SpanStatusCode.OK });
  root.end([TIME[0] + 2, 0]);
  await provider.forceFlush();
  const spans = exporter.getFinishedSpans();
  const json = JsonTraceSerializer.serializeRequest(spans);
  const protobuf = ProtobufTraceSerializer.serializeRequest(spans);
  if (json === undefined || protobuf === undefined) throw new Error('sdk fixture: the serializers produced no request');
  return { json, protobuf, traceId: root.spanContext().traceId, rootSpanId: root.spanContext().spanId, childSpanId: child.spanContext().spanId };
}
