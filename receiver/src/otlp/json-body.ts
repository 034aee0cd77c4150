// Parses an OTLP/JSON body so that it can be written back without losing anything:
// integers too large for a double (int64 values, nanosecond timestamps sent as numbers)
// are kept exactly as decimal strings (proto3 JSON's own form for int64), and documents
// nested deeper than anything OTLP needs are refused up front (JSON.stringify would
// overflow the stack on them when a subset is re-encoded).

import { MAX_MESSAGES_PER_REQUEST, tooManyMessages } from './budget.ts';
import { malformed } from './errors.ts';

/** How deep objects and arrays may nest; OTLP with AnyValue at its depth cap stays far below. */
export const MAX_JSON_DEPTH = 256;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The parsed document; 400 for invalid UTF-8, invalid JSON or too deep nesting, 413 for too many objects. */
export function parseJsonBody(body: Uint8Array, what: string): unknown {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch (error) {
    throw malformed(`${what} is not valid UTF-8; OTLP/JSON bodies must be UTF-8`, error);
  }
  const shape = scanDocument(body, MAX_JSON_DEPTH, MAX_MESSAGES_PER_REQUEST);
  if (shape.verdict === 'too deep') throw malformed(`${what} nests JSON objects or arrays deeper than ${MAX_JSON_DEPTH} levels`);
  if (shape.verdict === 'too many') throw tooManyMessages(what);
  try {
    if (shape.longIntegers.length === 0) return JSON.parse(text);
    // Integers a double cannot hold become JSON strings before parsing — the form the
    // proto3 JSON mapping gives int64 values, which every OTLP decoder (ours, Loki's,
    // Tempo's) reads as the same integer. A reviver would keep them as numbers but costs
    // a JavaScript call per value: fifty times JSON.parse, a way to stall the receiver.
    return JSON.parse(utf8.decode(quoteRanges(body, shape.longIntegers)));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw malformed(`${what} is not valid JSON: ${reason}`, error);
  }
}

/** `bytes` with a double quote inserted before each range start and after each range end. */
function quoteRanges(bytes: Uint8Array, ranges: number[]): Uint8Array {
  const out = new Uint8Array(bytes.length + ranges.length);
  let from = 0;
  let at = 0;
  for (let r = 0; r < ranges.length; r += 2) {
    const start = ranges[r]!;
    const end = ranges[r + 1]!;
    out.set(bytes.subarray(from, start), at);
    at += start - from;
    out[at++] = 0x22;
    out.set(bytes.subarray(start, end), at);
    at += end - start;
    out[at++] = 0x22;
    from = end;
  }
  out.set(bytes.subarray(from), at);
  return out;
}

const MAX_SAFE_DIGITS = String(Number.MAX_SAFE_INTEGER);

/** Digits, '.', 'e', 'E', '+', '-': the bytes a JSON number token is made of. */
function isNumberByte(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || b === 0x2e || b === 0x65 || b === 0x45 || b === 0x2b || b === 0x2d;
}

/** Whether the integer token bytes[start, end) (optional minus, digits) is beyond a double's exact range. */
function beyondDouble(bytes: Uint8Array, start: number, end: number): boolean {
  const digitsStart = bytes[start] === 0x2d ? start + 1 : start;
  const digits = end - digitsStart;
  if (digits !== MAX_SAFE_DIGITS.length) return digits > MAX_SAFE_DIGITS.length;
  for (let k = 0; k < digits; k++) {
    const d = bytes[digitsStart + k]! - MAX_SAFE_DIGITS.charCodeAt(k);
    if (d !== 0) return d > 0;
  }
  return false;
}

// Tracks bracket depth, counts objects and arrays, and finds integer tokens too large for
// a double, all outside string literals and before JSON.parse builds anything. Long strings
// (replay bodies) are skipped with indexOf, so the scan costs a fraction of JSON.parse.
function scanDocument(bytes: Uint8Array, cap: number, maxContainers: number): { verdict: 'too deep' | 'too many' | null; longIntegers: number[] } {
  const n = bytes.length;
  const longIntegers: number[] = [];
  const done = (verdict: 'too deep' | 'too many' | null) => ({ verdict, longIntegers });
  let depth = 0;
  let containers = 0;
  let i = 0;
  while (i < n) {
    const c = bytes[i++]!;
    if (c === 0x22) {
      // Find the closing quote: the first one preceded by an even number of backslashes.
      for (;;) {
        let end = -1;
        const stop = Math.min(n, i + 32);
        for (let k = i; k < stop; k++) {
          if (bytes[k] === 0x22) {
            end = k;
            break;
          }
        }
        if (end < 0) {
          if (stop >= n) return done(null);
          end = bytes.indexOf(0x22, stop);
          if (end < 0) return done(null);
        }
        let k = end - 1;
        while (bytes[k] === 0x5c) k--;
        i = end + 1;
        if ((end - 1 - k) % 2 === 0) break;
      }
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > cap) return done('too deep');
      if (++containers > maxContainers) return done('too many');
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      // A number token: only a plain integer (no fraction, no exponent) can need quoting.
      const start = i - 1;
      while (i < n && bytes[i]! >= 0x30 && bytes[i]! <= 0x39) i++;
      const next = bytes[i];
      if (next === 0x2e || next === 0x65 || next === 0x45) {
        // A fraction or exponent: a double anyway. Skip the rest of the token, so its
        // digits are not taken for an integer of their own.
        while (i < n && isNumberByte(bytes[i]!)) i++;
        continue;
      }
      if (i - start >= MAX_SAFE_DIGITS.length && beyondDouble(bytes, start, i)) longIntegers.push(start, i);
    }
  }
  return done(null);
}
