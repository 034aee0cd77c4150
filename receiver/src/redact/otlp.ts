// Applies redaction rules to an OTLP request in its own encoding, so what is forwarded to
// Loki/Tempo and what the session index learns are both the redacted values. JSON is
// rewritten on the parsed tree (large integers kept as their source text) and written back;
// protobuf is rewritten at the byte level — only the string fields a rule changed are
// re-encoded, every other byte (unknown fields included) is copied as it came. Replay
// segment records and rrweb-era legacy records are left alone: their attributes are the
// wire contract, and their recorded text is redacted as segments (see segments.ts).

import { SEGMENT_EVENT_NAME } from '@otel-replay/protocol';
import { parseJsonBody } from '../otlp/json-body.ts';
import type { OtlpEncoding } from '../otlp/model.ts';
import { ExportLogsServiceRequest, ExportTraceServiceRequest, fieldNumber, LogRecord, otlpRoot, ResourceLogs, ScopeLogs } from '../otlp/schema.ts';
import { Assembly, fieldsOf, LENGTH_DELIMITED } from '../otlp/wire.ts';
import type { RedactionRules, RedactionTarget } from './rules.ts';

type Json = Record<string, unknown>;
const LEGACY_PREFIX = 'rr-web.';

// ---- JSON ----

function list(o: unknown, key: string): Json[] {
  const v = (o as Json | null)?.[key];
  return Array.isArray(v) ? (v.filter((x) => typeof x === 'object' && x !== null) as Json[]) : [];
}

/** Rewrites the strings of an AnyValue (nested arrays and maps too) in place; true when one changed. */
function jsonAnyValue(rules: RedactionRules, target: RedactionTarget, value: unknown, key: string | undefined): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Json;
  if (typeof v['stringValue'] === 'string') {
    const out = rules.apply(target, v['stringValue'], key);
    if (out === v['stringValue']) return false;
    v['stringValue'] = out;
    return true;
  }
  let changed = false;
  for (const item of list(v['arrayValue'], 'values')) changed = jsonAnyValue(rules, target, item, key) || changed;
  for (const kv of list(v['kvlistValue'], 'values')) changed = jsonAnyValue(rules, target, kv['value'], key) || changed;
  return changed;
}

function jsonAttributes(rules: RedactionRules, target: RedactionTarget, owner: unknown): boolean {
  if (!rules.has(target)) return false;
  let changed = false;
  for (const kv of list(owner, 'attributes')) if (typeof kv['key'] === 'string') changed = jsonAnyValue(rules, target, kv['value'], kv['key']) || changed;
  return changed;
}

function isReplayJsonRecord(r: Json): boolean {
  return r['eventName'] === SEGMENT_EVENT_NAME || list(r, 'attributes').some((kv) => typeof kv['key'] === 'string' && kv['key'].startsWith(LEGACY_PREFIX));
}

function redactJsonLogs(rules: RedactionRules, body: Uint8Array): Uint8Array {
  const request = parseJsonBody(body, 'logs request body') as Json;
  let changed = false;
  for (const rl of list(request, 'resourceLogs')) {
    changed = jsonAttributes(rules, 'resource.attributes', rl['resource']) || changed;
    for (const sl of list(rl, 'scopeLogs')) {
      for (const r of list(sl, 'logRecords')) {
        if (isReplayJsonRecord(r)) continue;
        if (rules.has('log.body')) changed = jsonAnyValue(rules, 'log.body', r['body'], undefined) || changed;
        changed = jsonAttributes(rules, 'log.attributes', r) || changed;
      }
    }
  }
  return changed ? Buffer.from(JSON.stringify(request), 'utf8') : body;
}

function redactJsonTraces(rules: RedactionRules, body: Uint8Array): Uint8Array {
  const request = parseJsonBody(body, 'traces request body') as Json;
  let changed = false;
  for (const rs of list(request, 'resourceSpans')) {
    changed = jsonAttributes(rules, 'resource.attributes', rs['resource']) || changed;
    for (const ss of list(rs, 'scopeSpans')) {
      for (const span of list(ss, 'spans')) {
        if (rules.has('span.name') && typeof span['name'] === 'string') {
          const name = rules.apply('span.name', span['name']);
          if (name !== span['name']) {
            span['name'] = name;
            changed = true;
          }
        }
        changed = jsonAttributes(rules, 'span.attributes', span) || changed;
        for (const e of list(span, 'events')) changed = jsonAttributes(rules, 'span.attributes', e) || changed;
        for (const l of list(span, 'links')) changed = jsonAttributes(rules, 'span.attributes', l) || changed;
      }
    }
  }
  return changed ? Buffer.from(JSON.stringify(request), 'utf8') : body;
}

// ---- protobuf ----

const utf8 = new TextDecoder();
const encoder = new TextEncoder();

const ResourceSpans = otlpRoot.lookupType('opentelemetry.proto.trace.v1.ResourceSpans');
const ScopeSpans = otlpRoot.lookupType('opentelemetry.proto.trace.v1.ScopeSpans');
const Span = otlpRoot.lookupType('opentelemetry.proto.trace.v1.Span');
const SpanEvent = otlpRoot.lookupType('opentelemetry.proto.trace.v1.SpanEvent');
const SpanLink = otlpRoot.lookupType('opentelemetry.proto.trace.v1.SpanLink');
const Resource = otlpRoot.lookupType('opentelemetry.proto.resource.v1.Resource');
const KeyValue = otlpRoot.lookupType('opentelemetry.proto.common.v1.KeyValue');
const AnyValue = otlpRoot.lookupType('opentelemetry.proto.common.v1.AnyValue');

/** Field numbers, from the one schema the decoders use. */
const PB = {
  resourceLogs: fieldNumber(ExportLogsServiceRequest, 'resourceLogs'),
  resourceSpans: fieldNumber(ExportTraceServiceRequest, 'resourceSpans'),
  resource: fieldNumber(ResourceLogs, 'resource'),
  scopeLogs: fieldNumber(ResourceLogs, 'scopeLogs'),
  scopeSpans: fieldNumber(ResourceSpans, 'scopeSpans'),
  logRecords: fieldNumber(ScopeLogs, 'logRecords'),
  spans: fieldNumber(ScopeSpans, 'spans'),
  recordBody: fieldNumber(LogRecord, 'body'),
  recordAttributes: fieldNumber(LogRecord, 'attributes'),
  recordEventName: fieldNumber(LogRecord, 'eventName'),
  spanName: fieldNumber(Span, 'name'),
  spanAttributes: fieldNumber(Span, 'attributes'),
  spanEvents: fieldNumber(Span, 'events'),
  spanLinks: fieldNumber(Span, 'links'),
  resourceAttributes: fieldNumber(Resource, 'attributes'),
  eventAttributes: fieldNumber(SpanEvent, 'attributes'),
  linkAttributes: fieldNumber(SpanLink, 'attributes'),
  kvKey: fieldNumber(KeyValue, 'key'),
  kvValue: fieldNumber(KeyValue, 'value'),
  anyString: fieldNumber(AnyValue, 'stringValue'),
  anyArray: fieldNumber(AnyValue, 'arrayValue'),
  anyKvlist: fieldNumber(AnyValue, 'kvlistValue'),
  // ArrayValue.values and KeyValueList.values.
  listValues: 1,
};

/** How to rewrite the length-delimited occurrences of some fields of a message; null = unchanged. */
type FieldRewriters = Record<number, (bytes: Uint8Array, start: number, end: number) => Assembly | null>;

/** The message at bytes[start, end) with some fields rewritten, or null when none changed. */
function rewrite(bytes: Uint8Array, start: number, end: number, rewriters: FieldRewriters): Assembly | null {
  const out = new Assembly();
  let changed = false;
  for (const f of fieldsOf(bytes, start, end)) {
    const fn = f.wireType === LENGTH_DELIMITED ? rewriters[f.field] : undefined;
    const inner = fn ? fn(bytes, f.dataStart, f.end) : null;
    if (inner) {
      out.appendMessage(f.field, inner);
      changed = true;
    } else {
      out.append(bytes.subarray(f.start, f.end));
    }
  }
  return changed ? out : null;
}

function stringAssembly(text: string): Assembly {
  const a = new Assembly();
  a.append(encoder.encode(text));
  return a;
}

function pbString(rules: RedactionRules, target: RedactionTarget, key: string | undefined) {
  return (bytes: Uint8Array, start: number, end: number): Assembly | null => {
    const text = utf8.decode(bytes.subarray(start, end));
    const out = rules.apply(target, text, key);
    return out === text ? null : stringAssembly(out);
  };
}

function pbAnyValue(rules: RedactionRules, target: RedactionTarget, key: string | undefined, depth = 0) {
  return (bytes: Uint8Array, start: number, end: number): Assembly | null => {
    if (depth > 64) return null;
    const nested = (b: Uint8Array, s: number, e: number) => rewrite(b, s, e, { [PB.listValues]: pbAnyValue(rules, target, key, depth + 1) });
    const nestedKv = (b: Uint8Array, s: number, e: number) => rewrite(b, s, e, { [PB.listValues]: pbKeyValue(rules, target, depth + 1, key) });
    return rewrite(bytes, start, end, { [PB.anyString]: pbString(rules, target, key), [PB.anyArray]: nested, [PB.anyKvlist]: nestedKv });
  };
}

/** A KeyValue: the value rewritten under its key (nested maps keep the top-level attribute's key). */
function pbKeyValue(rules: RedactionRules, target: RedactionTarget, depth = 0, outerKey?: string) {
  return (bytes: Uint8Array, start: number, end: number): Assembly | null => {
    let key = '';
    for (const f of fieldsOf(bytes, start, end)) if (f.field === PB.kvKey && f.wireType === LENGTH_DELIMITED) key = utf8.decode(bytes.subarray(f.dataStart, f.end));
    return rewrite(bytes, start, end, { [PB.kvValue]: pbAnyValue(rules, target, outerKey ?? key, depth) });
  };
}

function pbResource(rules: RedactionRules) {
  return (bytes: Uint8Array, start: number, end: number) => rules.has('resource.attributes') ? rewrite(bytes, start, end, { [PB.resourceAttributes]: pbKeyValue(rules, 'resource.attributes') }) : null;
}

/** True for segment and legacy records: read eventName and attribute keys before touching anything. */
function isReplayPbRecord(bytes: Uint8Array, start: number, end: number): boolean {
  for (const f of fieldsOf(bytes, start, end)) {
    if (f.wireType !== LENGTH_DELIMITED) continue;
    if (f.field === PB.recordEventName && utf8.decode(bytes.subarray(f.dataStart, f.end)) === SEGMENT_EVENT_NAME) return true;
    if (f.field === PB.recordAttributes) {
      for (const kv of fieldsOf(bytes, f.dataStart, f.end)) {
        if (kv.field === PB.kvKey && kv.wireType === LENGTH_DELIMITED && utf8.decode(bytes.subarray(kv.dataStart, kv.end)).startsWith(LEGACY_PREFIX)) return true;
      }
    }
  }
  return false;
}

function redactPbLogs(rules: RedactionRules, body: Uint8Array): Uint8Array {
  const record = (bytes: Uint8Array, start: number, end: number) => {
    if (isReplayPbRecord(bytes, start, end)) return null;
    const rw: FieldRewriters = {};
    if (rules.has('log.body')) rw[PB.recordBody] = pbAnyValue(rules, 'log.body', undefined);
    if (rules.has('log.attributes')) rw[PB.recordAttributes] = pbKeyValue(rules, 'log.attributes');
    return rewrite(bytes, start, end, rw);
  };
  const scope = (bytes: Uint8Array, start: number, end: number) => rewrite(bytes, start, end, { [PB.logRecords]: record });
  const resource = (bytes: Uint8Array, start: number, end: number) => rewrite(bytes, start, end, { [PB.resource]: pbResource(rules), [PB.scopeLogs]: scope });
  const out = rewrite(body, 0, body.length, { [PB.resourceLogs]: resource });
  return out ? out.bytes() : body;
}

function redactPbTraces(rules: RedactionRules, body: Uint8Array): Uint8Array {
  const attrs = (field: number) => (bytes: Uint8Array, start: number, end: number) => rewrite(bytes, start, end, { [field]: pbKeyValue(rules, 'span.attributes') });
  const span = (bytes: Uint8Array, start: number, end: number) => {
    const rw: FieldRewriters = {};
    if (rules.has('span.name')) rw[PB.spanName] = pbString(rules, 'span.name', undefined);
    if (rules.has('span.attributes')) {
      rw[PB.spanAttributes] = pbKeyValue(rules, 'span.attributes');
      rw[PB.spanEvents] = attrs(PB.eventAttributes);
      rw[PB.spanLinks] = attrs(PB.linkAttributes);
    }
    return rewrite(bytes, start, end, rw);
  };
  const scope = (bytes: Uint8Array, start: number, end: number) => rewrite(bytes, start, end, { [PB.spans]: span });
  const resource = (bytes: Uint8Array, start: number, end: number) => rewrite(bytes, start, end, { [PB.resource]: pbResource(rules), [PB.scopeSpans]: scope });
  const out = rewrite(body, 0, body.length, { [PB.resourceSpans]: resource });
  return out ? out.bytes() : body;
}

// ---- entry points ----

/** The logs request with the rules applied, in its encoding; the same bytes object when nothing changed. */
export function redactLogsRequest(rules: RedactionRules, body: Uint8Array, encoding: OtlpEncoding): Uint8Array {
  if (!rules.has('log.body') && !rules.has('log.attributes') && !rules.has('resource.attributes')) return body;
  return encoding === 'json' ? redactJsonLogs(rules, body) : redactPbLogs(rules, body);
}

/** The traces request with the rules applied, in its encoding; the same bytes object when nothing changed. */
export function redactTracesRequest(rules: RedactionRules, body: Uint8Array, encoding: OtlpEncoding): Uint8Array {
  if (!rules.has('span.name') && !rules.has('span.attributes') && !rules.has('resource.attributes')) return body;
  return encoding === 'json' ? redactJsonTraces(rules, body) : redactPbTraces(rules, body);
}
