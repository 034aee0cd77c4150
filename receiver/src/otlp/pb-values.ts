// Reads from messages decoded by protobufjs with the OTLP schema: int64 Longs to bigint,
// bytes ids to hex, AnyValue to plain JS. protobufjs already checked lengths, UTF-8 and
// its own nesting limit (a known field with the wrong wire type it skips as unknown);
// what it cannot know (id lengths, the AnyValue depth cap) is checked here, by path.

import type { Attributes, AttributeValue } from '@otel-replay/protocol';
import type protobuf from 'protobufjs';
import { overMessageBudget, tooManyMessages } from './budget.ts';
import type { ScopeView } from './model.ts';
import { malformed } from './errors.ts';
import { idToHex, intValue, MAX_ANY_VALUE_DEPTH, plainBytes, setAttribute, tooDeep } from './values.ts';

/** A decoded message: field values by JSON name. */
export type PbMessage = { readonly [field: string]: unknown };

interface LongLike { low: number; high: number }

/** A 64-bit field as protobufjs returns it (Long, or number without long.js) as bigint. */
export function toBigInt(value: unknown, signed: boolean): bigint {
  if (typeof value === 'number') return BigInt(value);
  if (typeof value === 'bigint') return value;
  if (value === null || value === undefined) return 0n;
  const { low, high } = value as LongLike;
  const bits = (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
  return signed ? BigInt.asIntN(64, bits) : bits;
}

/** A repeated field's elements (protobufjs leaves an empty default array when absent). */
export function list(m: PbMessage, field: string): PbMessage[] {
  const value = m[field];
  return Array.isArray(value) ? (value as PbMessage[]) : [];
}

export function message(m: PbMessage, field: string): PbMessage | undefined {
  const value = m[field];
  return value === null || value === undefined ? undefined : (value as PbMessage);
}

export function str(m: PbMessage, field: string): string {
  const value = m[field];
  return typeof value === 'string' ? value : '';
}

export function num(m: PbMessage, field: string): number {
  const value = m[field];
  return typeof value === 'number' ? value : 0;
}

/** A 16- or 8-byte id as lower-case hex; '' when absent or all zero; 400 for other lengths. */
export function id(m: PbMessage, field: string, path: string, size: 8 | 16): string {
  const bytes = m[field] as Uint8Array | undefined;
  if (bytes === undefined || bytes === null || bytes.length === 0) return '';
  if (bytes.length !== size) throw malformed(`${path}.${field} has ${bytes.length} bytes; an id of this kind has ${size}`);
  return idToHex(bytes);
}

/** An AnyValue flattened to JS; an empty AnyValue (or none) is null. */
export function anyValue(m: PbMessage | undefined, path: string, depth: number): AttributeValue {
  if (m === undefined || m === null) return null;
  if (depth > MAX_ANY_VALUE_DEPTH) throw tooDeep(path);
  // protobufjs exposes the oneof as the name of the member last set on the wire.
  switch (m['value']) {
    case 'stringValue':
      return m['stringValue'] as string;
    case 'boolValue':
      return m['boolValue'] as boolean;
    case 'intValue':
      return intValue(toBigInt(m['intValue'], true));
    case 'doubleValue':
      return m['doubleValue'] as number;
    case 'bytesValue':
      return plainBytes(m['bytesValue'] as Uint8Array);
    case 'arrayValue': {
      const p = `${path}.arrayValue.values`;
      return list(m['arrayValue'] as PbMessage, 'values').map((item, i) => anyValue(item, `${p}[${i}]`, depth + 1));
    }
    case 'kvlistValue':
      return keyValues(list(m['kvlistValue'] as PbMessage, 'values'), `${path}.kvlistValue.values`, depth + 1) as { [key: string]: AttributeValue };
    default:
      return null;
  }
}

function keyValues(items: PbMessage[], path: string, depth: number): Attributes {
  const out: Attributes = {};
  for (let i = 0; i < items.length; i++) {
    const kv = items[i]!;
    setAttribute(out, str(kv, 'key'), anyValue(message(kv, 'value'), `${path}[${i}].value`, depth));
  }
  return out;
}

/** A `repeated KeyValue` field as a map (a repeated key: the last wins). */
export function attributes(m: PbMessage | undefined, field: string, path: string): Attributes {
  return m === undefined ? {} : keyValues(list(m, field), `${path}.${field}`, 1);
}

/** An InstrumentationScope message; absent is the unnamed scope. */
export function scope(m: PbMessage | undefined, path: string): ScopeView {
  if (m === undefined) return { name: '', version: '', attributes: {} };
  return { name: str(m, 'name'), version: str(m, 'version'), attributes: attributes(m, 'attributes', path) };
}

/**
 * Decodes with a schema type; any failure (truncation, wire type, UTF-8, depth) is a 400,
 * more messages than one request may hold a 413 (see budget.ts).
 */
export function decodeWith(type: protobuf.Type, body: Uint8Array): PbMessage {
  if (overMessageBudget(type, body)) throw tooManyMessages('request body');
  try {
    return type.decode(body) as PbMessage;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw malformed(`request body is not a valid ${type.name} protobuf message: ${reason}`, error);
  }
}
