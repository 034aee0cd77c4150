// Decodes what a page posted to the benchmark's OTLP sink (OTLP/HTTP JSON): which
// /v1/logs requests carried replay segments and how many bytes they were on the wire,
// and what the segments hold once inflated (rrweb JSON bytes, events, time span). A
// segment that does not decode is an error: a benchmark must not count broken uploads.

import { gunzipSync } from 'node:zlib';
import { SEGMENT_EVENT_NAME, SegmentAttr } from '@otel-replay/protocol';
import type { ReceivedRequest } from './page-server.ts';

export interface SentSegments {
  /** /v1/logs requests carrying at least one segment, and their body bytes as sent. */
  segmentRequests: number;
  segmentWireBytes: number;
  segments: number;
  /** Bytes of the segment bodies themselves (gzip, before base64), without OTLP framing. */
  payloadBytes: number;
  /** UTF-8 bytes of the segments' rrweb JSON arrays, inflated. */
  rrwebJsonBytes: number;
  events: number;
  firstTimestamp: number;
  lastTimestamp: number;
  /** Other /v1/logs requests (page views, clicks, console...) and /v1/traces requests. */
  otherLogBytes: number;
  traceBytes: number;
}

interface JsonKeyValue { key: string; value: Record<string, unknown> }
interface JsonLogRecord { eventName?: string; attributes?: JsonKeyValue[]; body?: Record<string, unknown> }
interface JsonLogsRequest { resourceLogs?: { scopeLogs?: { logRecords?: JsonLogRecord[] }[] }[] }

function attribute(record: JsonLogRecord, key: string): unknown {
  const v = record.attributes?.find((a) => a.key === key)?.value;
  if (!v) return undefined;
  return v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : v.boolValue ?? v.doubleValue);
}

/** The segment's rrweb JSON and the size of its body as carried (gzip bytes, or the JSON text). */
function segmentJson(record: JsonLogRecord, where: string): { text: string; payload: number } {
  const encoding = attribute(record, SegmentAttr.encoding);
  const body = record.body ?? {};
  if (encoding === 'gzip-json' && typeof body.bytesValue === 'string') {
    const gz = Buffer.from(body.bytesValue, 'base64');
    return { text: gunzipSync(gz).toString('utf8'), payload: gz.length };
  }
  if (encoding === 'json' && typeof body.stringValue === 'string') return { text: body.stringValue, payload: Buffer.byteLength(body.stringValue, 'utf8') };
  throw new Error(`${where}: a segment with encoding ${JSON.stringify(encoding)} has a body of keys [${Object.keys(body).join(', ')}]; the SDK broke the segment contract (docs/protocol.md)`);
}

export function decodeSentSegments(received: readonly ReceivedRequest[]): SentSegments {
  const out: SentSegments = { segmentRequests: 0, segmentWireBytes: 0, segments: 0, payloadBytes: 0, rrwebJsonBytes: 0, events: 0, firstTimestamp: Infinity, lastTimestamp: -Infinity, otherLogBytes: 0, traceBytes: 0 };
  received.forEach((req, i) => {
    if (req.path === '/v1/traces') out.traceBytes += req.bytes;
    if (req.path !== '/v1/logs') return;
    const where = `request ${i} to /v1/logs (${req.bytes} bytes)`;
    if (!req.body) throw new Error(`${where}: the page server kept no body; start it with keepBodies: true`);
    let raw = req.body;
    if (req.contentEncoding === 'gzip') raw = gunzipSync(raw);
    else if (req.contentEncoding) throw new Error(`${where}: unexpected Content-Encoding ${req.contentEncoding}`);
    let json: JsonLogsRequest;
    try {
      json = JSON.parse(raw.toString('utf8')) as JsonLogsRequest;
    } catch (err) {
      throw new Error(`${where}: the body is not OTLP/JSON (${(err as Error).message})`);
    }
    let segmentsHere = 0;
    for (const rl of json.resourceLogs ?? []) {
      for (const sl of rl.scopeLogs ?? []) {
        for (const record of sl.logRecords ?? []) {
          if (record.eventName !== SEGMENT_EVENT_NAME) continue;
          segmentsHere++;
          const { text, payload } = segmentJson(record, where);
          out.payloadBytes += payload;
          const events = JSON.parse(text) as { timestamp: number }[];
          if (!Array.isArray(events) || events.length === 0) throw new Error(`${where}: a segment holds no rrweb events`);
          out.rrwebJsonBytes += Buffer.byteLength(text, 'utf8');
          out.events += events.length;
          for (const e of events) {
            out.firstTimestamp = Math.min(out.firstTimestamp, e.timestamp);
            out.lastTimestamp = Math.max(out.lastTimestamp, e.timestamp);
          }
        }
      }
    }
    if (segmentsHere > 0) {
      out.segmentRequests++;
      out.segmentWireBytes += req.bytes;
      out.segments += segmentsHere;
    } else {
      out.otherLogBytes += req.bytes;
    }
  });
  return out;
}
