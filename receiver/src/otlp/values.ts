// Pieces shared by the JSON and protobuf decoders: the AnyValue depth cap, how attribute
// maps are filled, and how ids and int64 values reach the decoded view.

import type { Attributes, AttributeValue } from '@otel-replay/protocol';
import { malformed } from './errors.ts';

/** AnyValue may nest arrays and maps; deeper than this is refused rather than recursed into. */
export const MAX_ANY_VALUE_DEPTH = 32;

export function tooDeep(path: string): Error {
  return malformed(`${path} nests AnyValue arrays/maps deeper than ${MAX_ANY_VALUE_DEPTH} levels`);
}

/** Sets an attribute; a key such as "__proto__" becomes an own property, never a prototype. */
export function setAttribute(target: Attributes | { [key: string]: AttributeValue }, key: string, value: AttributeValue): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else (target as Record<string, AttributeValue>)[key] = value;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
export const UINT64_MAX = 2n ** 64n - 1n;

export function inInt64Range(value: bigint): boolean {
  return value >= INT64_MIN && value <= INT64_MAX;
}

/** An intValue as the view carries it: a number when exact, a bigint otherwise. */
export function intValue(value: bigint): number | bigint {
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : value;
}

const HEX = '0123456789abcdef';

/** Lower-case hex of an id; '' for an all-zero id, which OTLP defines as invalid (unset). */
export function idToHex(bytes: Uint8Array): string {
  let hex = '';
  let zero = true;
  for (const b of bytes) {
    if (b !== 0) zero = false;
    hex += HEX[b >> 4]! + HEX[b & 15]!;
  }
  return zero ? '' : hex;
}

/** A plain Uint8Array over the same memory (Buffer is a subclass with other equality). */
export function plainBytes(bytes: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(bytes) === Uint8Array.prototype ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Describes an untrusted JSON value in an error message, briefly. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'an array';
  return `a${typeof value === 'object' ? 'n object' : ` ${typeof value}`}`;
}
