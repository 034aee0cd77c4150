// A compact OTLP/JSON encoder for log records (ExportLogsServiceRequest), following the
// OTLP JSON rules: lowerCamelCase keys, enums as integers, 64-bit integers as decimal
// strings, trace/span ids as hex, bytes as base64. It is a few dozen lines instead of
// @opentelemetry/otlp-transformer's serializers, which keeps the eager SDK small.

import type { AnyValue, Attributes, HrTime } from '@opentelemetry/api';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';

export type JsonAnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number }
  | { bytesValue: string }
  | { arrayValue: { values: JsonAnyValue[] } }
  | { kvlistValue: { values: { key: string; value: JsonAnyValue }[] } }
  | Record<string, never>;

/**
 * Standard base64 of bytes: natively where the browser has Uint8Array.toBase64 (a segment
 * is tens of KiB, so this runs on the main thread for every segment), else through btoa
 * in chunks so large bodies do not overflow the argument list.
 */
export function toBase64(bytes: Uint8Array): string {
  const native = (bytes as { toBase64?: () => string }).toBase64;
  if (native) return native.call(bytes);
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  return btoa(binary);
}

export function encodeAnyValue(value: AnyValue | unknown): JsonAnyValue {
  if (value === null || value === undefined) return {};
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'number') return Number.isSafeInteger(value) ? { intValue: String(value) } : { doubleValue: value };
  if (typeof value === 'bigint') return { intValue: value.toString() };
  if (value instanceof Uint8Array) return { bytesValue: toBase64(value) };
  if (Array.isArray(value)) return { arrayValue: { values: value.map(encodeAnyValue) } };
  if (typeof value === 'object') return { kvlistValue: { values: encodeKeyValues(value as Record<string, unknown>) } };
  return { stringValue: String(value) };
}

export function encodeKeyValues(attributes: Attributes | Record<string, unknown>): { key: string; value: JsonAnyValue }[] {
  const out: { key: string; value: JsonAnyValue }[] = [];
  for (const [key, value] of Object.entries(attributes)) {
    if (value !== undefined) out.push({ key, value: encodeAnyValue(value) });
  }
  return out;
}

/** HrTime [seconds, nanoseconds] as a decimal string of nanoseconds, without float rounding. */
export function hrTimeToNanos(time: HrTime): string {
  const [seconds, nanos] = time;
  if (seconds === 0) return String(nanos);
  return `${seconds}${String(nanos).padStart(9, '0')}`;
}

const ZERO_ID = /^0*$/;

function encodeLogRecord(record: ReadableLogRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {
    timeUnixNano: hrTimeToNanos(record.hrTime),
    observedTimeUnixNano: hrTimeToNanos(record.hrTimeObserved),
  };
  if (record.severityNumber) out.severityNumber = record.severityNumber;
  if (record.severityText) out.severityText = record.severityText;
  if (record.eventName) out.eventName = record.eventName;
  if (record.body !== undefined) out.body = encodeAnyValue(record.body);
  out.attributes = encodeKeyValues(record.attributes);
  if (record.droppedAttributesCount) out.droppedAttributesCount = record.droppedAttributesCount;
  const span = record.spanContext;
  if (span && !ZERO_ID.test(span.traceId) && !ZERO_ID.test(span.spanId)) {
    out.traceId = span.traceId;
    out.spanId = span.spanId;
    out.flags = span.traceFlags;
  }
  return out;
}

interface Grouped {
  resource: { attributes: Attributes };
  instrumentationScope: { name: string; version?: string; schemaUrl?: string };
}

/**
 * The OTLP JSON nesting shared by logs and spans: items grouped by resource, then by
 * scope, as `[{ resource, [scopeKey]: [{ scope, [itemsKey]: [...] }] }]`.
 */
export function groupByResourceAndScope<T extends Grouped>(items: readonly T[], scopeKey: string, itemsKey: string, encode: (item: T) => unknown): unknown[] {
  const byResource = new Map<unknown, Map<string, T[]>>();
  for (const item of items) {
    let scopes = byResource.get(item.resource);
    if (!scopes) byResource.set(item.resource, (scopes = new Map()));
    const scope = item.instrumentationScope;
    const key = `${scope.name}\u0000${scope.version ?? ''}\u0000${scope.schemaUrl ?? ''}`;
    let list = scopes.get(key);
    if (!list) scopes.set(key, (list = []));
    list.push(item);
  }
  return [...byResource.values()].map((scopes) => {
    const lists = [...scopes.values()];
    return {
      resource: { attributes: encodeKeyValues(lists[0]![0]!.resource.attributes) },
      [scopeKey]: lists.map((list) => {
        const scope = list[0]!.instrumentationScope;
        const encodedScope: Record<string, unknown> = { name: scope.name };
        if (scope.version) encodedScope.version = scope.version;
        return {
          scope: encodedScope,
          [itemsKey]: list.map(encode),
          ...(scope.schemaUrl ? { schemaUrl: scope.schemaUrl } : {}),
        };
      }),
    };
  });
}

/** The ExportLogsServiceRequest for `records`, grouped by resource and scope, as JSON text. */
export function encodeLogsRequest(records: readonly ReadableLogRecord[]): string {
  return JSON.stringify({ resourceLogs: groupByResourceAndScope(records, 'scopeLogs', 'logRecords', encodeLogRecord) });
}
