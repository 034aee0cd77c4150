// Fuzz support: structure-aware damage to protobuf messages and JSON documents. Protobuf
// mutations find every field of a message (and of nested messages, found by trying to
// parse length-delimited values as messages) and lie about its length, change its wire
// type, cut it, flip bits in it or splice in unknown fields; JSON mutations replace any
// value of a parsed document with a hostile one.

import fc from 'fast-check';
import { concat, lengthDelimited, tag, varint } from './otlp-model.ts';

/** One field occurrence: the tag at [tagStart, valueStart); for wire type 2 the length varint at [lenStart, valueStart). */
export interface FieldSite {
  tagStart: number;
  lenStart: number;
  valueStart: number;
  end: number;
  field: number;
  wireType: number;
}

function readVarint(b: Uint8Array, at: number, end: number): [bigint, number] | null {
  let v = 0n;
  let shift = 0n;
  for (let i = at; i < end && i < at + 10; i++) {
    v |= BigInt(b[i]! & 0x7f) << shift;
    shift += 7n;
    if ((b[i]! & 0x80) === 0) return [v, i + 1];
  }
  return null;
}

/** Fields of the message in b[start, end), or null when it does not parse as one. */
function walk(b: Uint8Array, start: number, end: number, out: FieldSite[], depth: number): boolean {
  const found: FieldSite[] = [];
  let at = start;
  while (at < end) {
    const t = readVarint(b, at, end);
    if (!t) return false;
    const [tagValue, afterTag] = t;
    const field = Number(tagValue >> 3n);
    const wireType = Number(tagValue & 7n);
    if (field === 0) return false;
    let valueStart = afterTag;
    let next: number;
    if (wireType === 0) {
      const v = readVarint(b, afterTag, end);
      if (!v) return false;
      next = v[1];
    } else if (wireType === 1) next = afterTag + 8;
    else if (wireType === 5) next = afterTag + 4;
    else if (wireType === 2) {
      const len = readVarint(b, afterTag, end);
      if (!len) return false;
      valueStart = len[1];
      next = valueStart + Number(len[0]);
    } else return false;
    if (next > end) return false;
    found.push({ tagStart: at, lenStart: afterTag, valueStart, end: next, field, wireType });
    at = next;
  }
  out.push(...found);
  if (depth < 12) {
    for (const site of found) {
      if (site.wireType === 2 && site.end > site.valueStart) walk(b, site.valueStart, site.end, out, depth + 1);
    }
  }
  return true;
}

/** Every field site of a protobuf message, nested ones included. */
export function fieldSites(b: Uint8Array): FieldSite[] {
  const out: FieldSite[] = [];
  walk(b, 0, b.length, out, 0);
  return out;
}

function splice(b: Uint8Array, start: number, end: number, insert: Uint8Array): Uint8Array {
  return concat([b.subarray(0, start), insert, b.subarray(end)]);
}

export type PbMutation =
  | { kind: 'bitflip'; at: number; bit: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'length-lie'; site: number; delta: bigint }
  | { kind: 'wire-type'; site: number; wireType: number }
  | { kind: 'field-number'; site: number; field: number }
  | { kind: 'unknown-field'; site: number; bytes: Uint8Array }
  | { kind: 'event-name'; site: number; bytes: Uint8Array };

const rawField = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 2 ** 29 - 1 }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })).map(([f, v]) => concat([tag(f, 0), varint(v)])),
  fc.tuple(fc.integer({ min: 1, max: 40 }), fc.uint8Array({ maxLength: 16 })).map(([f, v]) => lengthDelimited(f, v)),
  fc.tuple(fc.integer({ min: 1, max: 40 }), fc.constantFrom(1, 3, 4, 5, 6, 7), fc.uint8Array({ maxLength: 9 })).map(([f, w, v]) => concat([tag(f, w), v])),
);

/** Bytes for LogRecord.event_name (field 12): valid names, invalid UTF-8, huge, or of the wrong wire type. */
const eventNameField = fc.oneof(
  fc.constantFrom('otel_replay.segment', '', 'session.start').map((s) => lengthDelimited(12, new TextEncoder().encode(s))),
  fc.uint8Array({ maxLength: 12 }).map((v) => lengthDelimited(12, v)),
  fc.constantFrom(Uint8Array.of(0xff, 0xfe), Uint8Array.of(0xc0, 0x80), Uint8Array.of(0xed, 0xa0, 0x80), Uint8Array.of(0xf4, 0x90, 0x80, 0x80)).map((v) => lengthDelimited(12, v)),
  fc.constant(lengthDelimited(12, new Uint8Array(70_000).fill(0x61))),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((v) => concat([tag(12, 0), varint(v)])),
  fc.uint8Array({ minLength: 4, maxLength: 4 }).map((v) => concat([tag(12, 5), v])),
);

export const pbMutation: fc.Arbitrary<PbMutation> = fc.oneof(
  fc.record({ kind: fc.constant('bitflip' as const), at: fc.nat(), bit: fc.nat({ max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 6 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ kind: fc.constant('length-lie' as const), site: fc.nat(), delta: fc.oneof(fc.bigInt({ min: -4n, max: 4n }), fc.constantFrom(2n ** 31n, 2n ** 32n, 2n ** 63n, 2n ** 64n - 1n)) }),
  fc.record({ kind: fc.constant('wire-type' as const), site: fc.nat(), wireType: fc.nat({ max: 7 }) }),
  fc.record({ kind: fc.constant('field-number' as const), site: fc.nat(), field: fc.oneof(fc.integer({ min: 1, max: 20 }), fc.constant(0), fc.constant(2 ** 29 - 1)) }),
  fc.record({ kind: fc.constant('unknown-field' as const), site: fc.nat(), bytes: rawField }),
  fc.record({ kind: fc.constant('event-name' as const), site: fc.nat(), bytes: eventNameField }),
);

/**
 * `b` damaged by `m`. Site mutations pick the (m.site mod n)-th field site; lengths of
 * enclosing messages are deliberately left as they were, so inner changes also show up
 * as lies one level up.
 */
export function applyPbMutation(b: Uint8Array, m: PbMutation, sites: FieldSite[]): Uint8Array {
  const n = b.length;
  switch (m.kind) {
    case 'bitflip': {
      if (n === 0) return b;
      const copy = Uint8Array.from(b);
      copy[m.at % n]! ^= 1 << m.bit;
      return copy;
    }
    case 'truncate': return b.subarray(0, m.at % (n + 1));
    case 'insert': return splice(b, m.at % (n + 1), m.at % (n + 1), m.bytes);
    case 'delete': {
      const at = m.at % (n + 1);
      return splice(b, at, Math.min(n, at + m.count), new Uint8Array(0));
    }
  }
  if (sites.length === 0) return b;
  const site = sites[m.site % sites.length]!;
  switch (m.kind) {
    case 'length-lie': {
      if (site.wireType !== 2) return splice(b, site.tagStart, site.lenStart, tag(site.field, 2));
      const length = BigInt(site.end - site.valueStart) + m.delta;
      return splice(b, site.lenStart, site.valueStart, varint(length < 0n ? 0n : length));
    }
    case 'wire-type': return splice(b, site.tagStart, site.lenStart, tag(site.field, m.wireType));
    case 'field-number': return splice(b, site.tagStart, site.lenStart, tag(m.field, site.wireType));
    // Before a field, inside the same message: a well-formed message stays well-formed only
    // when the enclosing lengths are fixed, which they are not, so this also lies.
    case 'unknown-field': return splice(b, site.tagStart, site.tagStart, m.bytes);
    case 'event-name': return splice(b, site.tagStart, site.tagStart, m.bytes);
  }
}

// ---- JSON ----

/** Values of the wrong type, or the right type at an extreme. */
export const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, 2 ** 53 + 2, -(2 ** 63), 1e308, '', 'NaN', '-Infinity', '0x10', '1e3', ' 1', '18446744073709551616', '-1', 'AAAA=', '====', '\u0000', '\ud800'),
  fc.constantFrom([], {}, [null], [[]], [{}], { values: null }, { values: {} }, { stringValue: 1 }, { intValue: '1.5' }, { intValue: '99999999999999999999' }, { boolValue: 'true' }, { bytesValue: '@@' }, { doubleValue: {} }, { arrayValue: [] }, { kvlistValue: { values: [{ key: '__proto__', value: { stringValue: 'polluted' } }] } }),
  fc.constant('x'.repeat(100_000)),
  fc.constantFrom('__proto__', 'constructor', 'prototype').map((k) => JSON.parse(`{"${k}":{"polluted":true,"resourceLogs":[]}}`) as unknown),
  fc.integer({ min: 20, max: 40 }).map((depth) => nestAnyValue(depth)),
  fc.integer({ min: 200, max: 320 }).map((depth) => nestArrays(depth)),
  fc.jsonValue({ maxDepth: 3 }),
);

function nestAnyValue(depth: number): unknown {
  let v: unknown = { stringValue: 'deep' };
  for (let i = 0; i < depth; i++) v = i % 2 ? { arrayValue: { values: [v] } } : { kvlistValue: { values: [{ key: 'k', value: v }] } };
  return v;
}

function nestArrays(depth: number): unknown {
  let v: unknown = [];
  for (let i = 0; i < depth; i++) v = i % 3 ? [v] : { a: v };
  return v;
}

type Slot = { parent: Record<string, unknown> | unknown[]; key: string | number };

/** Every place in a parsed document a value sits, depth first. */
export function jsonSlots(doc: unknown): Slot[] {
  const out: Slot[] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach((x, i) => { out.push({ parent: v, key: i }); visit(x); });
    else if (typeof v === 'object' && v !== null) for (const k of Object.keys(v)) { out.push({ parent: v as Record<string, unknown>, key: k }); visit((v as Record<string, unknown>)[k]); }
  };
  visit(doc);
  return out;
}

export type JsonMutation = { kind: 'replace' | 'add-key' | 'delete'; slot: number; value: unknown; key: string };

export const jsonMutation: fc.Arbitrary<JsonMutation> = fc.record({
  kind: fc.constantFrom('replace', 'replace', 'add-key', 'delete'),
  slot: fc.nat(),
  value: hostileJson,
  key: fc.constantFrom('__proto__', 'constructor', 'resource_logs', 'scope_logs', 'log_records', 'resourceLogs', 'body', 'attributes', 'intValue', 'stringValue', 'value', 'values', 'key'),
});

/** Applies mutations to a fresh copy of `doc` (parsed again from `text`, so the model is untouched). */
export function mutateJson(text: string, mutations: JsonMutation[]): unknown {
  const doc: unknown = JSON.parse(text);
  for (const m of mutations) {
    const slots = jsonSlots(doc);
    if (slots.length === 0) break;
    const { parent, key } = slots[m.slot % slots.length]!;
    // A copy each time: one value spliced into itself would make the document cyclic.
    const value = structuredClone(m.value);
    if (m.kind === 'replace') (parent as Record<string | number, unknown>)[key] = value;
    else if (m.kind === 'delete') {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key as string];
    } else {
      const target = (parent as Record<string | number, unknown>)[key];
      if (typeof target === 'object' && target !== null && !Array.isArray(target)) {
        Object.defineProperty(target, m.key, { value, enumerable: true, writable: true, configurable: true });
      }
    }
  }
  return doc;
}
