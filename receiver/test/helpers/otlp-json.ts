// Builds OTLP/JSON request bodies the way a browser SDK (or a Collector) sends them:
// replay segments as LogRecords with the protocol's attributes, ordinary log records, and
// spans. Tests post these to /v1/logs and /v1/traces without going through an exporter.

import { SEGMENT_EVENT_NAME, segmentAttributes } from '@otel-replay/protocol';
import type { Attributes, Segment } from '@otel-replay/protocol';

export type JsonAnyValue =
  | { stringValue: string }
  | { intValue: number | string }
  | { doubleValue: number }
  | { boolValue: boolean }
  | { bytesValue: string };

export interface JsonKeyValue {
  key: string;
  value: JsonAnyValue;
}

export interface JsonLogRecord {
  timeUnixNano: string;
  observedTimeUnixNano?: string;
  eventName?: string;
  severityNumber?: number;
  severityText?: string;
  body?: JsonAnyValue;
  attributes: JsonKeyValue[];
}

export interface JsonSpan {
  traceId: string;
  spanId: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: JsonKeyValue[];
  status?: { code: number; message?: string };
}

/** Attributes the way the legacy rr-web exporters send them: every JS number as a doubleValue. */
export function legacyAttributes(a: Attributes): JsonKeyValue[] {
  return Object.entries(a).map(([key, v]) => {
    if (typeof v === 'string') return { key, value: { stringValue: v } };
    if (typeof v === 'number') return { key, value: { doubleValue: v } };
    if (typeof v === 'boolean') return { key, value: { boolValue: v } };
    throw new Error(`unexpected attribute value ${String(v)} for ${key}`);
  });
}

/** One OTLP/JSON AnyValue: integers as intValue, other numbers as doubleValue. */
export function anyValue(v: string | number | boolean | Uint8Array): JsonAnyValue {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (v instanceof Uint8Array) return { bytesValue: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
  return Number.isInteger(v) ? { intValue: v } : { doubleValue: v };
}

export function attributes(attrs: Record<string, string | number | boolean>): JsonKeyValue[] {
  return Object.entries(attrs).map(([key, value]) => ({ key, value: anyValue(value) }));
}

function nanos(ms: number): string {
  return `${BigInt(Math.trunc(ms)) * 1_000_000n}`;
}

/** A segment as the SDK emits it: gzip-json bodies as bytesValue, json bodies as stringValue. */
export function segmentRecord(segment: Segment): JsonLogRecord {
  const { meta, body } = segment;
  return {
    timeUnixNano: nanos(meta.firstTimestamp),
    eventName: SEGMENT_EVENT_NAME,
    body: meta.encoding === 'gzip-json' ? anyValue(body) : { stringValue: new TextDecoder().decode(body) },
    attributes: attributes(segmentAttributes(meta)),
  };
}

/** An ordinary log record (console log, page view, error) carrying session.id. */
export function logRecord(opts: { sessionId: string; timeMs: number; body: string; eventName?: string; severityText?: string; attributes?: Record<string, string | number | boolean> }): JsonLogRecord {
  const record: JsonLogRecord = {
    timeUnixNano: nanos(opts.timeMs),
    body: { stringValue: opts.body },
    attributes: attributes({ 'session.id': opts.sessionId, ...(opts.attributes ?? {}) }),
  };
  if (opts.eventName) record.eventName = opts.eventName;
  if (opts.severityText) {
    record.severityText = opts.severityText;
    record.severityNumber = opts.severityText === 'ERROR' ? 17 : 9;
  }
  return record;
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0').slice(-width);
}

/** A client span (a fetch) of a session; ids derive from `n` so each test span is unique. */
export function span(opts: { sessionId: string; n: number; startMs: number; name?: string; status?: number }): JsonSpan {
  const s: JsonSpan = {
    traceId: `${hex(0xabc, 8)}${hex(opts.n, 24)}`,
    spanId: hex(opts.n + 1, 16),
    name: opts.name ?? `GET /api/item/${opts.n}`,
    kind: 3,
    startTimeUnixNano: nanos(opts.startMs),
    endTimeUnixNano: nanos(opts.startMs + 25),
    attributes: attributes({ 'session.id': opts.sessionId, 'http.request.method': 'GET', 'url.full': `http://127.0.0.1/api/item/${opts.n}`, 'http.response.status_code': opts.status ?? 200 }),
  };
  if ((opts.status ?? 200) >= 500) s.status = { code: 2 };
  return s;
}

export const DEFAULT_RESOURCE = { 'service.name': 'shop-web', 'telemetry.sdk.language': 'webjs' } as const;

/** An ExportLogsServiceRequest with one resource and one scope. */
export function logsRequest(records: JsonLogRecord[], resource: Record<string, string | number | boolean> = DEFAULT_RESOURCE): object {
  return { resourceLogs: [{ resource: { attributes: attributes(resource) }, scopeLogs: [{ scope: { name: 'otel-replay' }, logRecords: records }] }] };
}

/** An ExportLogsServiceRequest carrying these segments. */
export function segmentsRequest(segments: Segment[], resource?: Record<string, string | number | boolean>): object {
  return logsRequest(segments.map(segmentRecord), resource);
}

/** An ExportTraceServiceRequest with one resource and one scope. */
export function tracesRequest(spans: JsonSpan[], resource: Record<string, string | number | boolean> = DEFAULT_RESOURCE): object {
  return { resourceSpans: [{ resource: { attributes: attributes(resource) }, scopeSpans: [{ scope: { name: '@opentelemetry/instrumentation-fetch' }, spans }] }] };
}
