// Typed reads from a parsed OTLP/JSON document, following the OTLP JSON rules: absent or
// null fields take their default, 64-bit integers come as strings or numbers, enums as
// integers, ids as hex, bytes as base64. Every refusal names the field's path.

import type { Attributes, AttributeValue } from '@otel-replay/protocol';
import type { ScopeView } from './model.ts';
import { malformed } from './errors.ts';
import { describe, inInt64Range, intValue, MAX_ANY_VALUE_DEPTH, plainBytes, setAttribute, tooDeep, UINT64_MAX } from './values.ts';

export type JsonObject = { [key: string]: unknown };

export function at(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `value` as an object; `what` says what it should have been. */
export function asObject(value: unknown, path: string, what: string): JsonObject {
  if (!isObject(value)) throw malformed(`${path || 'request body'} is not ${what} (got ${describe(value)})`);
  return value;
}

/**
 * A repeated field: absent or null is empty. OTLP/JSON keys are lowerCamelCase only, and
 * unknown keys are ignored, so a snake_case spelling of a structural field would silently
 * drop the data under it; it is refused instead.
 */
export function arrayField(o: JsonObject, key: string, path: string, snakeCase?: string): unknown[] {
  const value = o[key];
  if (snakeCase !== undefined && value === undefined && o[snakeCase] !== undefined) {
    throw malformed(`${at(path, snakeCase)} is not an OTLP/JSON key; keys are lowerCamelCase (${key})`);
  }
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw malformed(`${at(path, key)} is not an array (got ${describe(value)})`);
  return value;
}

/** A message field: absent or null is undefined. */
export function objectField(o: JsonObject, key: string, path: string, what: string): JsonObject | undefined {
  const value = o[key];
  if (value === undefined || value === null) return undefined;
  return asObject(value, at(path, key), what);
}

export function stringField(o: JsonObject, key: string, path: string): string {
  const value = o[key];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw malformed(`${at(path, key)} is not a string (got ${describe(value)})`);
  return value;
}

const DECIMAL = /^-?\d{1,20}$/;

function integerOf(value: unknown): bigint | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : undefined;
  if (typeof value === 'string') return DECIMAL.test(value) ? BigInt(value) : undefined;
  return undefined;
}

function integerField(o: JsonObject, key: string, path: string, type: string, min: bigint, max: bigint): bigint {
  const value = o[key];
  if (value === undefined || value === null) return 0n;
  const n = integerOf(value);
  if (n === undefined) throw malformed(`${at(path, key)} is not an integer (got ${describe(value)})`);
  if (n < min || n > max) throw malformed(`${at(path, key)} is out of range for ${type} (got ${describe(value)})`);
  return n;
}

/** fixed64/uint64 such as timestamps. */
export function uint64Field(o: JsonObject, key: string, path: string): bigint {
  return integerField(o, key, path, 'uint64', 0n, UINT64_MAX);
}

/** int32 and enums (OTLP sends enums as integers, never names). */
export function int32Field(o: JsonObject, key: string, path: string): number {
  return Number(integerField(o, key, path, 'int32', -(2n ** 31n), 2n ** 31n - 1n));
}

/** uint32/fixed32 such as flags and dropped counts. */
export function uint32Field(o: JsonObject, key: string, path: string): number {
  return Number(integerField(o, key, path, 'uint32', 0n, 2n ** 32n - 1n));
}

const HEX_ID = { 8: /^[0-9a-fA-F]{16}$/, 16: /^[0-9a-fA-F]{32}$/ } as const;
const ZERO_ID = /^0*$/;

/** A trace (16-byte) or span (8-byte) id in hex; '' when absent or all zero. */
export function idField(o: JsonObject, key: string, path: string, size: 8 | 16): string {
  const value = o[key];
  if (value === undefined || value === null || value === '') return '';
  if (typeof value !== 'string' || !HEX_ID[size].test(value)) {
    throw malformed(`${at(path, key)} must be ${size * 2} hex characters (a ${size}-byte id), got ${describe(value)}`);
  }
  return ZERO_ID.test(value) ? '' : value.toLowerCase();
}

/**
 * Standard or URL-safe alphabet, padding optional, as proto3 JSON allows. Node's decoder
 * skips characters outside the alphabet instead of failing, so a string is valid exactly
 * when nothing was skipped: the output has the length its characters imply. (Checked this
 * way rather than with a regex because segment bodies make these strings long: the regex
 * cost more than the decoding.)
 */
function bytesOf(value: unknown, path: string): Uint8Array {
  if (typeof value === 'string') {
    let end = value.length;
    if (end > 0 && value.charCodeAt(end - 1) === 0x3d) end--;
    if (end > 0 && value.charCodeAt(end - 1) === 0x3d) end--;
    const buf = Buffer.from(value, 'base64');
    if (end % 4 !== 1 && buf.length === Math.floor((end * 3) / 4)) return plainBytes(buf);
  }
  throw malformed(`${path} is not base64 (got ${describe(value)})`);
}

function doubleOf(value: unknown, path: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    if (value === 'NaN') return Number.NaN;
    if (value === 'Infinity') return Number.POSITIVE_INFINITY;
    if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
    const n = value.trim() === '' ? Number.NaN : Number(value);
    if (!Number.isNaN(n)) return n;
  }
  throw malformed(`${path} is not a number (got ${describe(value)})`);
}

const ANY_VALUE_KEYS = ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'] as const;

/** An AnyValue flattened to JS; an empty AnyValue (or none) is null. */
export function anyValue(value: unknown, path: string, depth: number): AttributeValue {
  if (value === undefined || value === null) return null;
  if (depth > MAX_ANY_VALUE_DEPTH) throw tooDeep(path);
  const o = asObject(value, path, 'an AnyValue object');
  let kind: (typeof ANY_VALUE_KEYS)[number] | undefined;
  for (const key of ANY_VALUE_KEYS) {
    if (o[key] === undefined || o[key] === null) continue;
    if (kind !== undefined) throw malformed(`${path} sets both ${kind} and ${key}; an AnyValue holds one value`);
    kind = key;
  }
  const v = kind === undefined ? undefined : o[kind];
  const p = kind === undefined ? path : at(path, kind);
  switch (kind) {
    case undefined:
      return null;
    case 'stringValue':
      if (typeof v !== 'string') throw malformed(`${p} is not a string (got ${describe(v)})`);
      return v;
    case 'boolValue':
      if (typeof v !== 'boolean') throw malformed(`${p} is not a boolean (got ${describe(v)})`);
      return v;
    case 'intValue': {
      const n = integerOf(v);
      if (n === undefined) throw malformed(`${p} is not an integer (got ${describe(v)})`);
      if (!inInt64Range(n)) throw malformed(`${p} is out of range for int64 (got ${describe(v)})`);
      return intValue(n);
    }
    case 'doubleValue':
      return doubleOf(v, p);
    case 'bytesValue':
      return bytesOf(v, p);
    case 'arrayValue': {
      const list = arrayField(asObject(v, p, 'an ArrayValue object'), 'values', p);
      return list.map((item, i) => anyValue(item, `${p}.values[${i}]`, depth + 1));
    }
    case 'kvlistValue': {
      const list = arrayField(asObject(v, p, 'a KeyValueList object'), 'values', p);
      return keyValues(list, `${p}.values`, depth + 1) as { [key: string]: AttributeValue };
    }
  }
}

function keyValues(list: unknown[], path: string, depth: number): Attributes {
  const out: Attributes = {};
  for (let i = 0; i < list.length; i++) {
    const kvPath = `${path}[${i}]`;
    const kv = asObject(list[i], kvPath, 'a KeyValue object');
    setAttribute(out, stringField(kv, 'key', kvPath), anyValue(kv['value'], `${kvPath}.value`, depth));
  }
  return out;
}

/** A `repeated KeyValue attributes`-style field as a map (a repeated key: the last wins). */
export function attributesField(o: JsonObject, key: string, path: string): Attributes {
  return keyValues(arrayField(o, key, path), at(path, key), 1);
}

/** The `scope` field of a ScopeLogs/ScopeSpans object; absent is the unnamed scope. */
export function scopeField(parent: JsonObject, path: string): ScopeView {
  const scopePath = at(path, 'scope');
  const scope = objectField(parent, 'scope', path, 'an InstrumentationScope object');
  if (scope === undefined) return { name: '', version: '', attributes: {} };
  uint32Field(scope, 'droppedAttributesCount', scopePath);
  return { name: stringField(scope, 'name', scopePath), version: stringField(scope, 'version', scopePath), attributes: attributesField(scope, 'attributes', scopePath) };
}
