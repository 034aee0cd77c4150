// Checks the hand-written schema against an independent implementation: the OTel JS
// serializers write the same records as JSON and as protobuf, so decoding their protobuf
// with our schema must give their JSON, field for field (every field number they use).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExportLogsServiceRequest, ExportTraceServiceRequest, fieldNumber, LogRecord, otlpRoot } from './schema.ts';
import { sdkLogs, sdkTraces } from './sdk-fixtures.ts';

const ID_KEYS = new Set(['traceId', 'spanId', 'parentSpanId']);

/** Drops proto3 defaults and spells scalars as strings, so JSON and protobuf forms compare. */
function normalize(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) {
    const items = value.map((v) => normalize(v)).filter((v) => v !== undefined);
    return items.length === 0 ? undefined : items;
  }
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const n = normalize(v, k);
      if (n !== undefined) out[k] = n;
    }
    return Object.keys(out).length === 0 && key !== 'value' ? undefined : out;
  }
  if (value === 0 || value === '0' || value === '' || value === false) return key === 'boolValue' ? 'false' : undefined;
  return String(value);
}

function protobufAsJson(type: typeof LogRecord, bytes: Uint8Array): unknown {
  const object = type.toObject(type.decode(bytes), { longs: String, bytes: String, enums: Number, defaults: false });
  // OTLP/JSON writes ids as hex where proto3 JSON would use base64.
  const hexIds = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(hexIds);
    if (typeof v !== 'object' || v === null) return v;
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, ID_KEYS.has(k) && typeof x === 'string' ? Buffer.from(x, 'base64').toString('hex') : hexIds(x)]));
  };
  return hexIds(object);
}

describe('OTLP schema', () => {
  it('reads the SDK protobuf logs request exactly as the SDK writes it in JSON', async () => {
    const { json, protobuf } = await sdkLogs();
    assert.deepEqual(normalize(protobufAsJson(ExportLogsServiceRequest, protobuf)), normalize(JSON.parse(new TextDecoder().decode(json))));
  });

  it('reads the SDK protobuf traces request exactly as the SDK writes it in JSON', async () => {
    const { json, protobuf } = await sdkTraces();
    const fromProtobuf = normalize(protobufAsJson(ExportTraceServiceRequest, protobuf));
    assert.deepEqual(fromProtobuf, normalize(JSON.parse(new TextDecoder().decode(json))));
    assert.match(JSON.stringify(fromProtobuf), /"flags":"257"/, 'span and link flags (fields 16 and 6) are read');
  });

  it('has the opentelemetry-proto v1 field numbers for what byte-level code relies on', () => {
    assert.equal(fieldNumber(ExportLogsServiceRequest, 'resourceLogs'), 1);
    assert.equal(fieldNumber(otlpRoot.lookupType('opentelemetry.proto.logs.v1.ResourceLogs'), 'scopeLogs'), 2);
    assert.equal(fieldNumber(otlpRoot.lookupType('opentelemetry.proto.logs.v1.ScopeLogs'), 'logRecords'), 2);
    assert.equal(fieldNumber(LogRecord, 'eventName'), 12);
    assert.equal(fieldNumber(LogRecord, 'observedTimeUnixNano'), 11);
    assert.throws(() => fieldNumber(LogRecord, 'nope'), /LogRecord has no field nope/);
  });
});
