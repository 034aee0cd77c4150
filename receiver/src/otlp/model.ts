// The decoded view of an OTLP request that the ingest pipeline reads. JSON and protobuf
// decoders both produce it, so nothing downstream knows which encoding arrived.
// AnyValue is flattened to plain JS (see protocol's AttributeValue): intValue becomes a
// number when it fits in a safe integer and a bigint otherwise; bytesValue a Uint8Array.

import type { Attributes, AttributeValue } from '@otel-replay/protocol';

export interface ScopeView {
  name: string;
  version: string;
  attributes: Attributes;
}

export interface LogRecordView {
  timeUnixNano: bigint;
  observedTimeUnixNano: bigint;
  severityNumber: number;
  severityText: string;
  /** '' when absent. */
  eventName: string;
  /** undefined when absent or an empty AnyValue (JSON exporters write `{}`, protobuf ones omit it). */
  body: AttributeValue | undefined;
  attributes: Attributes;
  /** Lower-case hex, '' when absent or all zero (the invalid id); a wrong length is a 400. */
  traceId: string;
  spanId: string;
}

export interface SpanView {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Attributes;
  /** 0 unset, 1 ok, 2 error. */
  statusCode: number;
  statusMessage: string;
}

export interface ScopeLogsView { scope: ScopeView; records: LogRecordView[] }
export interface ResourceLogsView { resource: Attributes; scopes: ScopeLogsView[] }
export interface ScopeSpansView { scope: ScopeView; spans: SpanView[] }
export interface ResourceSpansView { resource: Attributes; scopes: ScopeSpansView[] }

/** Position of a log record inside a request: [resource index, scope index, record index]. */
export type RecordPath = readonly [number, number, number];

/** What the client sent, decoded, plus a way to re-encode a subset of it losslessly. */
export interface DecodedLogs {
  resources: ResourceLogsView[];
  recordCount: number;
  /**
   * The request re-encoded in its original encoding (JSON or protobuf, uncompressed)
   * with only the records for which `keep` is true; resources and scopes left empty are
   * dropped. Everything else (unknown fields, attribute types, ids) is kept exactly, so
   * a forwarded remainder carries every attribute the client sent. Returns null when no
   * record is kept.
   */
  subset(keep: (path: RecordPath) => boolean): Uint8Array | null;
}

export interface DecodedTraces {
  resources: ResourceSpansView[];
  spanCount: number;
}

export type OtlpEncoding = 'json' | 'protobuf';
