// Parses an OTLP/JSON body so that it can be written back unchanged: integers too large
// for a double (int64 values, nanosecond timestamps sent as numbers) are kept as their
// source text, and documents nested deeper than anything OTLP needs are refused up front
// (JSON.stringify would overflow the stack on them when a subset is re-encoded).

import { malformed } from './errors.ts';

/** How deep objects and arrays may nest; OTLP with AnyValue at its depth cap stays far below. */
export const MAX_JSON_DEPTH = 256;

interface RawJson { readonly rawJSON: string }

// JSON.rawJSON and the reviver's source text are in Node 22+ but not yet in the es2023 lib.
const NativeJson = JSON as unknown as {
  rawJSON(text: string): RawJson;
  isRawJSON(value: unknown): value is RawJson;
  parse(text: string, reviver?: (key: string, value: unknown, context: { source?: string }) => unknown): unknown;
};

/** A number whose source text is kept because a double cannot hold it exactly. */
export function isRawJson(value: unknown): value is RawJson {
  return typeof value === 'object' && value !== null && NativeJson.isRawJSON(value);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
// A number token of 16+ digits: only then can a value lose precision as a double.
const LONG_NUMBER = /[:[,]\s*-?\d{16}/;
const INTEGER = /^-?\d+$/;

/** The parsed document; 400 for invalid UTF-8, invalid JSON or too deep nesting. */
export function parseJsonBody(body: Uint8Array, what: string): unknown {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch (error) {
    throw malformed(`${what} is not valid UTF-8; OTLP/JSON bodies must be UTF-8`, error);
  }
  if (nestsDeeperThan(body, MAX_JSON_DEPTH)) {
    throw malformed(`${what} nests JSON objects or arrays deeper than ${MAX_JSON_DEPTH} levels`);
  }
  try {
    if (!LONG_NUMBER.test(text)) return JSON.parse(text);
    return NativeJson.parse(text, (_key, value, context) =>
      typeof value === 'number' && !Number.isSafeInteger(value) && context.source !== undefined && INTEGER.test(context.source)
        ? NativeJson.rawJSON(context.source)
        : value,
    );
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw malformed(`${what} is not valid JSON: ${reason}`, error);
  }
}

// Tracks bracket depth outside string literals. Long strings (replay bodies) are skipped
// with indexOf, so the scan costs a fraction of JSON.parse.
function nestsDeeperThan(bytes: Uint8Array, cap: number): boolean {
  const n = bytes.length;
  let depth = 0;
  let i = 0;
  while (i < n) {
    const c = bytes[i++];
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
          if (stop >= n) return false;
          end = bytes.indexOf(0x22, stop);
          if (end < 0) return false;
        }
        let k = end - 1;
        while (bytes[k] === 0x5c) k--;
        i = end + 1;
        if ((end - 1 - k) % 2 === 0) break;
      }
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > cap) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}
