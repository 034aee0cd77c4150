// What reached the Loki/Tempo stand-in (OtlpSink), decoded with the receiver's own OTLP
// decoders so JSON and protobuf forwards read the same: log records and spans flattened,
// for "every record arrived, exactly once, unchanged" checks.

import type { AttributeValue } from '@otel-replay/protocol';
import { decodeLogs } from '../../src/otlp/decode-logs.ts';
import { decodeTraces } from '../../src/otlp/decode-traces.ts';
import type { OtlpEncoding } from '../../src/otlp/model.ts';
import { LOGS_PATH, TRACES_PATH } from '../peers/otlp-sink.ts';
import type { OtlpSink, SinkRequest } from '../peers/otlp-sink.ts';

export interface ForwardedLog {
  body: AttributeValue | undefined;
  sessionId: AttributeValue | undefined;
  eventName: string;
  attributes: Record<string, AttributeValue | undefined>;
  resource: Record<string, AttributeValue | undefined>;
}

export interface ForwardedSpan {
  traceId: string;
  spanId: string;
  name: string;
  sessionId: AttributeValue | undefined;
}

function encodingOf(req: SinkRequest): OtlpEncoding {
  const ct = String(req.headers['content-type'] ?? '');
  return ct.startsWith('application/json') ? 'json' : 'protobuf';
}

function bodyOf(req: SinkRequest): Uint8Array {
  if (!req.body) throw new Error(`sink request to ${req.path} has a body that did not gunzip`);
  return req.body;
}

/** Log records of every request the sink accepted (2xx), in arrival order. */
export function forwardedLogs(sink: OtlpSink): ForwardedLog[] {
  const out: ForwardedLog[] = [];
  for (const req of sink.accepted(LOGS_PATH)) {
    const logs = decodeLogs(bodyOf(req), encodingOf(req));
    for (const rl of logs.resources) for (const sl of rl.scopes) for (const r of sl.records) {
      out.push({ body: r.body, sessionId: r.attributes['session.id'], eventName: r.eventName, attributes: r.attributes, resource: rl.resource });
    }
  }
  return out;
}

/** Spans of every request the sink accepted (2xx), in arrival order. */
export function forwardedSpans(sink: OtlpSink): ForwardedSpan[] {
  const out: ForwardedSpan[] = [];
  for (const req of sink.accepted(TRACES_PATH)) {
    const traces = decodeTraces(bodyOf(req), encodingOf(req));
    for (const rs of traces.resources) for (const ss of rs.scopes) for (const s of ss.spans) {
      out.push({ traceId: s.traceId, spanId: s.spanId, name: s.name, sessionId: s.attributes['session.id'] });
    }
  }
  return out;
}
