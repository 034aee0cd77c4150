// Fuzz support: a plain model of OTLP logs and traces requests, fast-check arbitraries for
// it, and two encoders written from the opentelemetry-proto field numbers (independent of
// receiver/src/otlp/schema.ts), so a decoded request can be compared with what was meant.
// Also: what the decoded view of a model must be, and a check that any decoded view is
// well formed (the shape the ingest pipeline relies on).

import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { AttributeValue, Attributes } from '@otel-replay/protocol';
import type { DecodedLogs, DecodedTraces, LogRecordView, SpanView } from '../../src/otlp/model.ts';

// ---- model ----

/** An AnyValue as meant: null is the empty AnyValue; `kv` keeps key order and repeats. */
export type MValue =
  | { k: 'str'; v: string }
  | { k: 'bool'; v: boolean }
  | { k: 'int'; v: bigint }
  | { k: 'double'; v: number }
  | { k: 'bytes'; v: Uint8Array }
  | { k: 'array'; v: MValue[] }
  | { k: 'kv'; v: MKeyValue[] }
  | null;
export type MKeyValue = [string, MValue];

export interface MScope { name: string; version: string; attributes: MKeyValue[] }
export interface MRecord {
  timeUnixNano: bigint;
  observedTimeUnixNano: bigint;
  severityNumber: number;
  severityText: string;
  eventName: string;
  body: MValue;
  attributes: MKeyValue[];
  flags: number;
  traceId: Uint8Array;
  spanId: Uint8Array;
}
export interface MSpan {
  traceId: Uint8Array;
  spanId: Uint8Array;
  parentSpanId: Uint8Array;
  name: string;
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: MKeyValue[];
  events: { timeUnixNano: bigint; name: string; attributes: MKeyValue[] }[];
  links: { traceId: Uint8Array; spanId: Uint8Array; attributes: MKeyValue[] }[];
  statusCode: number;
  statusMessage: string;
}
/** Unknown fields: raw protobuf field bytes (tag + value) and JSON key/value pairs. */
export interface Extras { pb: Uint8Array[]; json: [string, unknown][] }
export interface MLogs { resources: { attributes: MKeyValue[]; scopes: { scope: MScope; records: MRecord[]; extra: Extras }[]; extra: Extras }[]; extra: Extras }
export interface MTraces { resources: { attributes: MKeyValue[]; scopes: { scope: MScope; spans: MSpan[] }[] }[] }

// ---- arbitraries ----

/** Keys that have bitten JS code before: prototype names and look-alikes of our own attributes. */
export const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', 'session.id', 'replay.segment.seq', 'rr-web.event', ''];

const text = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) }, // lone surrogates included
  { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_KEYS, 'otel_replay.segment', '\u0000', 'é'.repeat(300)) },
);
const key = fc.oneof({ weight: 3, arbitrary: fc.string({ maxLength: 8 }) }, { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_KEYS) });
const INT64 = { min: -(2n ** 63n), max: 2n ** 63n - 1n };
const UINT64 = { min: 0n, max: 2n ** 64n - 1n };

/**
 * Text that survives both encodings: protobuf carries strings as UTF-8, so a lone
 * surrogate cannot round-trip (it arrives as U+FFFD); such strings are used only where
 * the test does not compare values.
 */
export function wellFormed(s: string): string {
  // String.prototype.toWellFormed (Node 20+), not yet in the es2023 lib.
  return (s as string & { toWellFormed(): string }).toWellFormed();
}

export const mValue: fc.Arbitrary<MValue> = fc.letrec<{ value: MValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    text.map((v) => ({ k: 'str' as const, v: wellFormed(v) })),
    fc.boolean().map((v) => ({ k: 'bool' as const, v })),
    fc.oneof(fc.bigInt(INT64), fc.bigInt({ min: -1000n, max: 1000n }), fc.constantFrom(INT64.min, INT64.max, 2n ** 53n, -(2n ** 53n) - 1n)).map((v) => ({ k: 'int' as const, v })),
    fc.double().map((v) => ({ k: 'double' as const, v })),
    fc.uint8Array({ maxLength: 12 }).map((v) => ({ k: 'bytes' as const, v })),
    fc.array(tie('value'), { maxLength: 3 }).map((v) => ({ k: 'array' as const, v })),
    fc.array(fc.tuple(key, tie('value')), { maxLength: 3 }).map((v) => ({ k: 'kv' as const, v: v.map(([k, x]) => [wellFormed(k), x] as MKeyValue) })),
  ),
})).value;

export const mAttributes: fc.Arbitrary<MKeyValue[]> = fc.array(fc.tuple(key.map(wellFormed), mValue), { maxLength: 4 });

const id = (size: number) => fc.oneof({ weight: 3, arbitrary: fc.uint8Array({ minLength: size, maxLength: size }) }, { weight: 1, arbitrary: fc.constant(new Uint8Array(0)) }, { weight: 1, arbitrary: fc.constant(new Uint8Array(size)) });
const time = fc.oneof(fc.bigInt(UINT64), fc.constantFrom(0n, 1_700_000_000_123_456_789n, UINT64.max));
const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });

const mScope: fc.Arbitrary<MScope> = fc.record({ name: text.map(wellFormed), version: text.map(wellFormed), attributes: mAttributes });

/** Field numbers no OTLP message here uses, for unknown fields. */
const unknownField = fc.integer({ min: 100, max: 2 ** 29 - 1 });
const unknownPb: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.tuple(unknownField, fc.bigInt(UINT64)).map(([f, v]) => concat([tag(f, 0), varint(v)])),
  fc.tuple(unknownField, fc.uint8Array({ minLength: 8, maxLength: 8 })).map(([f, v]) => concat([tag(f, 1), v])),
  fc.tuple(unknownField, fc.uint8Array({ maxLength: 10 })).map(([f, v]) => lengthDelimited(f, v)),
  fc.tuple(unknownField, fc.uint8Array({ minLength: 4, maxLength: 4 })).map(([f, v]) => concat([tag(f, 5), v])),
);
const unknownJsonKey = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'entityRefs', 'x-vendor'), fc.string({ minLength: 1, maxLength: 6 }).map((k) => `zz${k}`));
export const extras: fc.Arbitrary<Extras> = fc.record({
  pb: fc.array(unknownPb, { maxLength: 2 }),
  json: fc.array(fc.tuple(unknownJsonKey, fc.jsonValue({ maxDepth: 2 })), { maxLength: 2 }),
});
const noExtras: Extras = { pb: [], json: [] };

export const mRecord: fc.Arbitrary<MRecord> = fc.record({
  timeUnixNano: time,
  observedTimeUnixNano: time,
  severityNumber: fc.oneof(fc.integer({ min: 0, max: 24 }), int32),
  severityText: text.map(wellFormed),
  eventName: fc.oneof(fc.constantFrom('', 'otel_replay.segment', 'session.start'), text.map(wellFormed)),
  body: mValue,
  attributes: mAttributes,
  flags: fc.nat({ max: 2 ** 32 - 1 }),
  traceId: id(16),
  spanId: id(8),
});

export const mLogs: fc.Arbitrary<MLogs> = fc.record({
  resources: fc.array(fc.record({
    attributes: mAttributes,
    scopes: fc.array(fc.record({ scope: mScope, records: fc.array(mRecord, { maxLength: 4 }), extra: extras }), { maxLength: 3 }),
    extra: extras,
  }), { maxLength: 3 }),
  extra: extras,
});

const mSpan: fc.Arbitrary<MSpan> = fc.record({
  traceId: id(16),
  spanId: id(8),
  parentSpanId: id(8),
  name: text.map(wellFormed),
  kind: fc.oneof(fc.integer({ min: 0, max: 5 }), int32),
  startTimeUnixNano: time,
  endTimeUnixNano: time,
  attributes: mAttributes,
  events: fc.array(fc.record({ timeUnixNano: time, name: text.map(wellFormed), attributes: mAttributes }), { maxLength: 2 }),
  links: fc.array(fc.record({ traceId: id(16), spanId: id(8), attributes: mAttributes }), { maxLength: 2 }),
  statusCode: fc.oneof(fc.integer({ min: 0, max: 2 }), int32),
  statusMessage: text.map(wellFormed),
});

export const mTraces: fc.Arbitrary<MTraces> = fc.record({
  resources: fc.array(fc.record({ attributes: mAttributes, scopes: fc.array(fc.record({ scope: mScope, spans: fc.array(mSpan, { maxLength: 3 }) }), { maxLength: 2 }) }), { maxLength: 2 }),
});

// ---- protobuf encoding (field numbers from opentelemetry-proto v1) ----

const utf8 = new TextEncoder();

export function concat(parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

export function varint(value: bigint | number): Uint8Array {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  while (v > 0x7fn) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Uint8Array.from(out);
}

export function tag(field: number, wireType: number): Uint8Array {
  return varint((BigInt(field) << 3n) | BigInt(wireType));
}

export function lengthDelimited(field: number, value: Uint8Array): Uint8Array {
  return concat([tag(field, 2), varint(value.length), value]);
}

const pbString = (field: number, s: string) => (s === '' ? new Uint8Array(0) : lengthDelimited(field, utf8.encode(s)));
const pbBytes = (field: number, b: Uint8Array) => (b.length === 0 ? new Uint8Array(0) : lengthDelimited(field, b));
const pbVarint = (field: number, n: number | bigint) => (BigInt(n) === 0n ? new Uint8Array(0) : concat([tag(field, 0), varint(n)]));
function pbFixed64(field: number, n: bigint): Uint8Array {
  if (n === 0n) return new Uint8Array(0);
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(n);
  return concat([tag(field, 1), b]);
}
function pbFixed32(field: number, n: number): Uint8Array {
  if (n === 0) return new Uint8Array(0);
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return concat([tag(field, 5), b]);
}

export function pbAnyValue(v: MValue): Uint8Array {
  if (v === null) return new Uint8Array(0);
  switch (v.k) {
    case 'str': return lengthDelimited(1, utf8.encode(v.v));
    case 'bool': return concat([tag(2, 0), varint(v.v ? 1 : 0)]);
    case 'int': return concat([tag(3, 0), varint(v.v)]);
    case 'double': {
      const b = Buffer.alloc(8);
      b.writeDoubleLE(v.v);
      return concat([tag(4, 1), b]);
    }
    case 'array': return lengthDelimited(5, concat(v.v.map((x) => lengthDelimited(1, pbAnyValue(x)))));
    case 'kv': return lengthDelimited(6, concat(v.v.map((kv) => lengthDelimited(1, pbKeyValue(kv)))));
    case 'bytes': return lengthDelimited(7, v.v);
  }
}

function pbKeyValue([k, v]: MKeyValue): Uint8Array {
  return concat([pbString(1, k), lengthDelimited(2, pbAnyValue(v))]);
}

const pbAttributes = (field: number, attrs: MKeyValue[]) => concat(attrs.map((kv) => lengthDelimited(field, pbKeyValue(kv))));

function pbScope(s: MScope): Uint8Array {
  return concat([pbString(1, s.name), pbString(2, s.version), pbAttributes(3, s.attributes)]);
}

function pbRecord(r: MRecord): Uint8Array {
  return concat([
    pbFixed64(1, r.timeUnixNano),
    pbVarint(2, r.severityNumber),
    pbString(3, r.severityText),
    r.body === null ? new Uint8Array(0) : lengthDelimited(5, pbAnyValue(r.body)),
    pbAttributes(6, r.attributes),
    pbFixed32(8, r.flags),
    pbBytes(9, r.traceId),
    pbBytes(10, r.spanId),
    pbFixed64(11, r.observedTimeUnixNano),
    pbString(12, r.eventName),
  ]);
}

export function pbLogs(m: MLogs): Uint8Array {
  return concat([
    ...m.resources.map((rl) => lengthDelimited(1, concat([
      lengthDelimited(1, pbAttributes(1, rl.attributes)),
      ...rl.scopes.map((sl) => lengthDelimited(2, concat([lengthDelimited(1, pbScope(sl.scope)), ...sl.records.map((r) => lengthDelimited(2, pbRecord(r))), ...sl.extra.pb]))),
      ...rl.extra.pb,
    ]))),
    ...m.extra.pb,
  ]);
}

function pbSpan(s: MSpan): Uint8Array {
  return concat([
    pbBytes(1, s.traceId),
    pbBytes(2, s.spanId),
    pbBytes(4, s.parentSpanId),
    pbString(5, s.name),
    pbVarint(6, s.kind),
    pbFixed64(7, s.startTimeUnixNano),
    pbFixed64(8, s.endTimeUnixNano),
    pbAttributes(9, s.attributes),
    ...s.events.map((e) => lengthDelimited(11, concat([pbFixed64(1, e.timeUnixNano), pbString(2, e.name), pbAttributes(3, e.attributes)]))),
    ...s.links.map((l) => lengthDelimited(13, concat([pbBytes(1, l.traceId), pbBytes(2, l.spanId), pbAttributes(4, l.attributes)]))),
    lengthDelimited(15, concat([pbString(2, s.statusMessage), pbVarint(3, s.statusCode)])),
  ]);
}

export function pbTraces(m: MTraces): Uint8Array {
  return concat(m.resources.map((rs) => lengthDelimited(1, concat([
    lengthDelimited(1, pbAttributes(1, rs.attributes)),
    ...rs.scopes.map((ss) => lengthDelimited(2, concat([lengthDelimited(1, pbScope(ss.scope)), ...ss.spans.map((s) => lengthDelimited(2, pbSpan(s)))]))),
  ]))));
}

// ---- JSON encoding (OTLP/JSON: lowerCamelCase keys, hex ids, base64 bytes, int64 as strings) ----

type Json = unknown;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

/** Numbers where JSON can hold them exactly, strings otherwise (both are valid OTLP/JSON). */
function jsonInt(n: bigint, asString: boolean): Json {
  return asString || n > BigInt(Number.MAX_SAFE_INTEGER) || n < -BigInt(Number.MAX_SAFE_INTEGER) ? String(n) : Number(n);
}

function jsonDouble(d: number): Json {
  if (Number.isNaN(d)) return 'NaN';
  if (d === Number.POSITIVE_INFINITY) return 'Infinity';
  if (d === Number.NEGATIVE_INFINITY) return '-Infinity';
  if (Object.is(d, -0)) return '-0';
  return d;
}

export function jsonAnyValue(v: MValue): Json {
  if (v === null) return {};
  switch (v.k) {
    case 'str': return { stringValue: v.v };
    case 'bool': return { boolValue: v.v };
    case 'int': return { intValue: jsonInt(v.v, v.v % 2n === 0n) };
    case 'double': return { doubleValue: jsonDouble(v.v) };
    case 'bytes': return { bytesValue: b64(v.v) };
    case 'array': return { arrayValue: { values: v.v.map(jsonAnyValue) } };
    case 'kv': return { kvlistValue: { values: v.v.map(jsonKeyValue) } };
  }
}

const jsonKeyValue = ([k, v]: MKeyValue): Json => ({ key: k, value: jsonAnyValue(v) });
const jsonAttributes = (attrs: MKeyValue[]) => attrs.map(jsonKeyValue);
const jsonScope = (s: MScope) => ({ name: s.name, version: s.version, attributes: jsonAttributes(s.attributes) });

function withExtras(o: Record<string, Json>, extra: Extras): Record<string, Json> {
  for (const [k, v] of extra.json) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

function jsonRecord(r: MRecord): Json {
  const o: Record<string, Json> = {
    timeUnixNano: jsonInt(r.timeUnixNano, true),
    observedTimeUnixNano: jsonInt(r.observedTimeUnixNano, r.observedTimeUnixNano % 2n === 1n),
    severityNumber: r.severityNumber,
    severityText: r.severityText,
    attributes: jsonAttributes(r.attributes),
    flags: r.flags,
    traceId: hex(r.traceId),
    spanId: hex(r.spanId),
  };
  if (r.eventName !== '') o['eventName'] = r.eventName;
  if (r.body !== null) o['body'] = jsonAnyValue(r.body);
  return o;
}

export function jsonLogs(m: MLogs): Json {
  return withExtras({
    resourceLogs: m.resources.map((rl) => withExtras({
      resource: { attributes: jsonAttributes(rl.attributes) },
      scopeLogs: rl.scopes.map((sl) => withExtras({ scope: jsonScope(sl.scope), logRecords: sl.records.map(jsonRecord) }, sl.extra)),
    }, rl.extra)),
  }, m.extra);
}

function jsonSpan(s: MSpan): Json {
  return {
    traceId: hex(s.traceId),
    spanId: hex(s.spanId),
    parentSpanId: hex(s.parentSpanId),
    name: s.name,
    kind: s.kind,
    startTimeUnixNano: jsonInt(s.startTimeUnixNano, true),
    endTimeUnixNano: jsonInt(s.endTimeUnixNano, false),
    attributes: jsonAttributes(s.attributes),
    events: s.events.map((e) => ({ timeUnixNano: String(e.timeUnixNano), name: e.name, attributes: jsonAttributes(e.attributes) })),
    links: s.links.map((l) => ({ traceId: hex(l.traceId), spanId: hex(l.spanId), attributes: jsonAttributes(l.attributes) })),
    status: { code: s.statusCode, message: s.statusMessage },
  };
}

export function jsonTraces(m: MTraces): Json {
  return {
    resourceSpans: m.resources.map((rs) => ({
      resource: { attributes: jsonAttributes(rs.attributes) },
      scopeSpans: rs.scopes.map((ss) => ({ scope: jsonScope(ss.scope), spans: ss.spans.map(jsonSpan) })),
    })),
  };
}

// JSON.stringify cannot write bigints; every int64 above is already a string or a safe number.
export const jsonBytes = (doc: Json): Buffer => Buffer.from(JSON.stringify(doc), 'utf8');

// ---- what the decoders must produce ----

function setOwn(target: Record<string, AttributeValue | undefined>, k: string, v: AttributeValue): void {
  Object.defineProperty(target, k, { value: v, enumerable: true, writable: true, configurable: true });
}

export function expectedValue(v: MValue): AttributeValue {
  if (v === null) return null;
  switch (v.k) {
    case 'int': {
      const n = Number(v.v);
      return Number.isSafeInteger(n) ? n : v.v;
    }
    case 'array': return v.v.map(expectedValue);
    case 'kv': return expectedAttributes(v.v) as { [key: string]: AttributeValue };
    case 'bytes': return new Uint8Array(v.v);
    default: return v.v;
  }
}

/** A repeated key: the last value wins, at the position the key first appeared. */
export function expectedAttributes(attrs: MKeyValue[]): Attributes {
  const out: Attributes = {};
  for (const [k, v] of attrs) setOwn(out, k, expectedValue(v));
  return out;
}

const idHex = (b: Uint8Array) => (b.every((x) => x === 0) ? '' : hex(b));

export function expectedRecord(r: MRecord): LogRecordView {
  return {
    timeUnixNano: r.timeUnixNano,
    observedTimeUnixNano: r.observedTimeUnixNano,
    severityNumber: r.severityNumber,
    severityText: r.severityText,
    eventName: r.eventName,
    body: r.body === null ? undefined : expectedValue(r.body) ?? undefined,
    attributes: expectedAttributes(r.attributes),
    traceId: idHex(r.traceId),
    spanId: idHex(r.spanId),
  };
}

export function expectedSpan(s: MSpan): SpanView {
  return {
    traceId: idHex(s.traceId),
    spanId: idHex(s.spanId),
    parentSpanId: idHex(s.parentSpanId),
    name: s.name,
    kind: s.kind,
    startTimeUnixNano: s.startTimeUnixNano,
    endTimeUnixNano: s.endTimeUnixNano,
    attributes: expectedAttributes(s.attributes),
    statusCode: s.statusCode,
    statusMessage: s.statusMessage,
  };
}

/** Asserts the decoded view of `logs` is what `m` means (scopes and records in order). */
export function assertLogsMatch(logs: DecodedLogs, m: MLogs): void {
  assert.equal(logs.recordCount, m.resources.reduce((n, rl) => n + rl.scopes.reduce((k, sl) => k + sl.records.length, 0), 0));
  assert.equal(logs.resources.length, m.resources.length);
  m.resources.forEach((rl, ri) => {
    const got = logs.resources[ri]!;
    assert.deepStrictEqual(got.resource, expectedAttributes(rl.attributes));
    assert.equal(got.scopes.length, rl.scopes.length);
    rl.scopes.forEach((sl, si) => {
      const scope = got.scopes[si]!;
      assert.deepStrictEqual(scope.scope, { name: sl.scope.name, version: sl.scope.version, attributes: expectedAttributes(sl.scope.attributes) });
      assert.deepStrictEqual(scope.records, sl.records.map(expectedRecord));
    });
  });
}

export function assertTracesMatch(traces: DecodedTraces, m: MTraces): void {
  assert.equal(traces.spanCount, m.resources.reduce((n, rs) => n + rs.scopes.reduce((k, ss) => k + ss.spans.length, 0), 0));
  assert.deepStrictEqual(
    traces.resources.map((rs) => ({ resource: rs.resource, scopes: rs.scopes.map((ss) => ({ scope: ss.scope, spans: ss.spans })) })),
    m.resources.map((rs) => ({
      resource: expectedAttributes(rs.attributes),
      scopes: rs.scopes.map((ss) => ({ scope: { name: ss.scope.name, version: ss.scope.version, attributes: expectedAttributes(ss.scope.attributes) }, spans: ss.spans.map(expectedSpan) })),
    })),
  );
}

// ---- well-formedness of any decoded view ----

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const UINT64_MAX = 2n ** 64n - 1n;

function assertValue(v: unknown, depth: number, where: string): void {
  assert.ok(depth <= 33, `${where}: AnyValue nested ${depth} deep got through`);
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
  if (typeof v === 'number') return; // doubles may be NaN/Infinity; ints are safe integers
  if (typeof v === 'bigint') {
    assert.ok(v >= -(2n ** 63n) && v < 2n ** 63n && !Number.isSafeInteger(Number(v)), `${where}: bigint ${v} out of int64 or should be a number`);
    return;
  }
  if (v instanceof Uint8Array) {
    assert.equal(Object.getPrototypeOf(v), Uint8Array.prototype, `${where}: bytes must be a plain Uint8Array`);
    return;
  }
  if (Array.isArray(v)) {
    v.forEach((x, i) => assertValue(x, depth + 1, `${where}[${i}]`));
    return;
  }
  assert.equal(typeof v, 'object', `${where}: unexpected ${typeof v}`);
  assertAttributes(v as Attributes, depth + 1, where);
}

function assertAttributes(a: Attributes, depth: number, where: string): void {
  assert.equal(Object.getPrototypeOf(a), Object.prototype, `${where}: attribute map lost its prototype`);
  for (const k of Object.keys(a)) assertValue(a[k], depth, `${where}.${k}`);
}

function assertUint64(n: unknown, where: string): void {
  assert.ok(typeof n === 'bigint' && n >= 0n && n <= UINT64_MAX, `${where}: ${String(n)} is not a uint64 bigint`);
}

function assertInt32(n: unknown, where: string): void {
  assert.ok(typeof n === 'number' && Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31, `${where}: ${String(n)} is not an int32`);
}

function assertScope(s: { name: unknown; version: unknown; attributes: Attributes }, where: string): void {
  assert.equal(typeof s.name, 'string', where);
  assert.equal(typeof s.version, 'string', where);
  assertAttributes(s.attributes, 1, `${where}.attributes`);
}

/** What any accepted logs request must look like to the pipeline. */
export function assertWellFormedLogs(logs: DecodedLogs): void {
  let count = 0;
  logs.resources.forEach((rl, ri) => {
    assertAttributes(rl.resource, 1, `resource ${ri}`);
    rl.scopes.forEach((sl, si) => {
      assertScope(sl.scope, `scope ${ri}.${si}`);
      sl.records.forEach((r, ki) => {
        const where = `record ${ri}.${si}.${ki}`;
        count++;
        assertUint64(r.timeUnixNano, `${where}.timeUnixNano`);
        assertUint64(r.observedTimeUnixNano, `${where}.observedTimeUnixNano`);
        assertInt32(r.severityNumber, `${where}.severityNumber`);
        assert.equal(typeof r.severityText, 'string');
        assert.equal(typeof r.eventName, 'string');
        assert.ok(r.traceId === '' || HEX32.test(r.traceId), `${where}.traceId ${r.traceId}`);
        assert.ok(r.spanId === '' || HEX16.test(r.spanId), `${where}.spanId ${r.spanId}`);
        assert.ok(r.body !== null, `${where}.body: an empty body must be undefined`);
        if (r.body !== undefined) assertValue(r.body, 1, `${where}.body`);
        assertAttributes(r.attributes, 1, `${where}.attributes`);
      });
    });
  });
  assert.equal(logs.recordCount, count);
}

export function assertWellFormedTraces(traces: DecodedTraces): void {
  let count = 0;
  traces.resources.forEach((rs, ri) => {
    assertAttributes(rs.resource, 1, `resource ${ri}`);
    rs.scopes.forEach((ss, si) => {
      assertScope(ss.scope, `scope ${ri}.${si}`);
      ss.spans.forEach((s, ki) => {
        const where = `span ${ri}.${si}.${ki}`;
        count++;
        assert.ok(s.traceId === '' || HEX32.test(s.traceId), `${where}.traceId`);
        assert.ok(s.spanId === '' || HEX16.test(s.spanId), `${where}.spanId`);
        assert.ok(s.parentSpanId === '' || HEX16.test(s.parentSpanId), `${where}.parentSpanId`);
        assert.equal(typeof s.name, 'string');
        assertInt32(s.kind, `${where}.kind`);
        assertInt32(s.statusCode, `${where}.statusCode`);
        assert.equal(typeof s.statusMessage, 'string');
        assertUint64(s.startTimeUnixNano, `${where}.start`);
        assertUint64(s.endTimeUnixNano, `${where}.end`);
        assertAttributes(s.attributes, 1, `${where}.attributes`);
      });
    });
  });
  assert.equal(traces.spanCount, count);
}

export { noExtras };
