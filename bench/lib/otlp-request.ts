// OTLP/HTTP JSON request bodies exactly as the browser SDK sends a replay segment: one
// ResourceLogs / ScopeLogs / LogRecord, the segment as base64 bytesValue, attributes from
// protocol's segmentAttributes, event name SEGMENT_EVENT_NAME; field names and value
// shapes as @opentelemetry/otlp-transformer's JsonLogsSerializer writes them.
// The body is assembled from a small per-request JSON head and tail around a pooled
// base64 buffer, so the load generator spends its core sending, not serializing.
// Also the session's other telemetry: browser events (/v1/logs) and client spans (/v1/traces).

import { SEGMENT_EVENT_NAME, segmentAttributes } from '@otel-replay/protocol';
import type { SegmentMeta } from '@otel-replay/protocol';
import type { PooledSegment } from './rrweb-segments.ts';

const RESOURCE_ATTRIBUTES = [
  { key: 'service.name', value: { stringValue: 'shop-web' } },
  { key: 'service.version', value: { stringValue: '1.4.2' } },
  { key: 'deployment.environment.name', value: { stringValue: 'bench' } },
  { key: 'telemetry.sdk.language', value: { stringValue: 'webjs' } },
  { key: 'telemetry.sdk.name', value: { stringValue: 'opentelemetry' } },
  { key: 'telemetry.sdk.version', value: { stringValue: '2.2.0' } },
  { key: 'user_agent.original', value: { stringValue: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36' } },
];

function anyValue(v: string | number | boolean): Record<string, string | number | boolean> {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  return Number.isInteger(v) ? { intValue: v } : { doubleValue: v };
}

export interface SessionIdentity {
  sessionId: string;
  windowId: string;
}

/**
 * One request body: `head` + pooled base64 + `tail`, ready to write. `times` replaces the
 * pooled segment's first/last timestamps in the attributes (the index's view), so a long
 * run's sessions carry current times; the pooled events inside keep their own.
 */
export function segmentRequest(who: SessionIdentity, seq: number, pooled: PooledSegment, nowMs: number, times?: { firstTimestamp: number; lastTimestamp: number }): Buffer {
  const meta: SegmentMeta = { ...pooled.meta, ...(times ?? {}), sessionId: who.sessionId, windowId: who.windowId, seq };
  const attributes = Object.entries(segmentAttributes(meta)).map(([key, value]) => ({ key, value: anyValue(value) }));
  const nanos = `${nowMs}000000`;
  const head = `{"resourceLogs":[{"resource":{"attributes":${JSON.stringify(RESOURCE_ATTRIBUTES)},"droppedAttributesCount":0},"scopeLogs":[{"scope":{"name":"@otel-replay/sdk","version":"0.1.0"},"logRecords":[{"timeUnixNano":"${nanos}","observedTimeUnixNano":"${nanos}","body":{"bytesValue":"`;
  const tail = `"},"eventName":${JSON.stringify(SEGMENT_EVENT_NAME)},"attributes":${JSON.stringify(attributes)},"droppedAttributesCount":0}]}]}]}`;
  return Buffer.concat([Buffer.from(head), pooled.base64, Buffer.from(tail)]);
}

/** A browser event (page view, click, console line) as the SDK sends it, keyed for checks by its body. */
export interface BrowserEvent {
  eventName: string;
  body: string;
  attributes: Record<string, string | number | boolean>;
}

/** A fetch/XHR client span as the OTel web instrumentations export it. */
export interface BrowserSpan {
  traceId: string;
  spanId: string;
  name: string;
  durationMs: number;
  attributes: Record<string, string | number | boolean>;
}

function attributeList(attrs: Record<string, string | number | boolean>): { key: string; value: Record<string, string | number | boolean> }[] {
  return Object.entries(attrs).map(([key, value]) => ({ key, value: anyValue(value) }));
}

/** One /v1/logs body with the session's browser events (not replay segments). */
export function eventsRequest(who: SessionIdentity, events: readonly BrowserEvent[], nowMs: number): Buffer {
  const nanos = `${nowMs}000000`;
  const logRecords = events.map((e) => ({
    timeUnixNano: nanos,
    observedTimeUnixNano: nanos,
    eventName: e.eventName,
    body: { stringValue: e.body },
    attributes: attributeList({ 'session.id': who.sessionId, ...e.attributes }),
    droppedAttributesCount: 0,
  }));
  return Buffer.from(JSON.stringify({ resourceLogs: [{ resource: { attributes: RESOURCE_ATTRIBUTES, droppedAttributesCount: 0 }, scopeLogs: [{ scope: { name: '@otel-replay/sdk', version: '0.1.0' }, logRecords }] }] }));
}

/** One /v1/traces body with the session's client spans. */
export function spansRequest(who: SessionIdentity, spans: readonly BrowserSpan[], nowMs: number): Buffer {
  const otlpSpans = spans.map((s) => ({
    traceId: s.traceId,
    spanId: s.spanId,
    name: s.name,
    kind: 3,
    startTimeUnixNano: `${nowMs - s.durationMs}000000`,
    endTimeUnixNano: `${nowMs}000000`,
    attributes: attributeList({ 'session.id': who.sessionId, ...s.attributes }),
    droppedAttributesCount: 0,
    status: { code: 0 },
  }));
  return Buffer.from(JSON.stringify({ resourceSpans: [{ resource: { attributes: RESOURCE_ATTRIBUTES, droppedAttributesCount: 0 }, scopeSpans: [{ scope: { name: '@opentelemetry/instrumentation-fetch', version: '0.208.0' }, spans: otlpSpans }] }] }));
}
