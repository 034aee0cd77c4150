// A small OTLP/JSON SpanExporter for the browser: spans grouped by resource and scope,
// sent by the segment exporter's transport (fetch, gzipped body, keepalive within the browser's
// budget, retries on 429/502/503/504 honouring Retry-After, never traced itself; no
// IndexedDB persistence for spans). It replaces
// @opentelemetry/exporter-trace-otlp-http in init() because that exporter and its
// transformer are a third of the eager bundle; any standard SpanExporter works in its
// place when you compose the pieces yourself.

import type { Link } from '@opentelemetry/api';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { encodeKeyValues, groupByResourceAndScope, hrTimeToNanos } from '../replay/otlp-json.ts';
import { OtlpJsonExporter } from '../replay/segment-exporter.ts';

export interface OtlpSpanExporterConfig {
  /** Full URL, e.g. `https://replay.example.com/v1/traces`. */
  url: string;
  headers?: Record<string, string>;
  /** Attempts per batch (default 4). */
  maxAttempts?: number;
  fetch?: typeof fetch;
}

function encodeLink(link: Link): Record<string, unknown> {
  return { traceId: link.context.traceId, spanId: link.context.spanId, attributes: encodeKeyValues(link.attributes ?? {}) };
}

function encodeSpan(span: ReadableSpan): Record<string, unknown> {
  const ctx = span.spanContext();
  const out: Record<string, unknown> = {
    traceId: ctx.traceId,
    spanId: ctx.spanId,
    name: span.name,
    // API SpanKind starts at INTERNAL = 0; OTLP reserves 0 for UNSPECIFIED.
    kind: span.kind + 1,
    startTimeUnixNano: hrTimeToNanos(span.startTime),
    endTimeUnixNano: hrTimeToNanos(span.endTime),
    attributes: encodeKeyValues(span.attributes),
    events: span.events.map((e) => ({ timeUnixNano: hrTimeToNanos(e.time), name: e.name, attributes: encodeKeyValues(e.attributes ?? {}) })),
    links: span.links.map(encodeLink),
    status: span.status.message ? { code: span.status.code, message: span.status.message } : { code: span.status.code },
    flags: ctx.traceFlags,
  };
  if (ctx.traceState) out.traceState = ctx.traceState.serialize();
  if (span.parentSpanContext?.spanId) out.parentSpanId = span.parentSpanContext.spanId;
  if (span.droppedAttributesCount) out.droppedAttributesCount = span.droppedAttributesCount;
  if (span.droppedEventsCount) out.droppedEventsCount = span.droppedEventsCount;
  if (span.droppedLinksCount) out.droppedLinksCount = span.droppedLinksCount;
  return out;
}

/** ExportTraceServiceRequest JSON for `spans`. */
export function encodeSpansRequest(spans: readonly ReadableSpan[]): string {
  return JSON.stringify({ resourceSpans: groupByResourceAndScope(spans, 'scopeSpans', 'spans', encodeSpan) });
}

export class OtlpJsonSpanExporter extends OtlpJsonExporter<ReadableSpan> implements SpanExporter {
  constructor(config: OtlpSpanExporterConfig) {
    super({ url: config.url, headers: config.headers ?? {}, persistenceMaxBytes: 0, resendOnStart: false, maxAttempts: config.maxAttempts ?? 4, fetch: config.fetch }, encodeSpansRequest);
  }
}
