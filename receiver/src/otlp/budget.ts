// How many OTLP messages one request may hold, counted before any is materialized. Each
// JSON object or array and each protobuf sub-message becomes JS objects worth hundreds of
// bytes of heap, yet on the wire it can cost 2 or 3 bytes (`{},`, an empty field) that
// compress to almost nothing: without this count a 60 KB gzip body that inflates to
// 64 MiB of empty log records ran the receiver out of heap (found by fuzzing).

import protobuf from 'protobufjs';
import { OtlpError } from './errors.ts';

/**
 * Far above real batches (8192 records with 30 attributes each is under 1M) and low
 * enough that the worst case (every message an empty log record) stays near 600 MiB.
 */
export const MAX_MESSAGES_PER_REQUEST = 2_000_000;

export function tooManyMessages(what: string, max = MAX_MESSAGES_PER_REQUEST): OtlpError {
  return new OtlpError(413, `${what} holds more than ${max} OTLP messages (records, attributes, values, objects); send smaller batches`);
}

/** protobufjs refuses deeper nesting itself, so counting stops there. */
const MAX_DEPTH = protobuf.util.recursionLimit + 1;

const messageFieldsOf = new Map<protobuf.Type, (protobuf.Type | undefined)[]>();

/** Message-typed fields of `t` by field number (looked up once per type: this runs per field). */
function messageFields(t: protobuf.Type): (protobuf.Type | undefined)[] {
  let fields = messageFieldsOf.get(t);
  if (fields === undefined) {
    fields = [];
    for (const field of t.fieldsArray) if (field.resolvedType instanceof protobuf.Type) fields[field.id] = field.resolvedType;
    messageFieldsOf.set(t, fields);
  }
  return fields;
}

/**
 * Whether a protobuf body of `type` holds more than `max` sub-messages. Every sub-message
 * takes at least two bytes on the wire (its tag and its length), so a body shorter than
 * twice the budget cannot exceed it and is not walked: the walk costs up to a fifth of a
 * decode, and real requests are almost always that small.
 */
export function overMessageBudget(type: protobuf.Type, bytes: Uint8Array, max = MAX_MESSAGES_PER_REQUEST): boolean {
  if (bytes.length < 2 * max) return false;
  return countMessages(type, bytes, max) > max;
}

/**
 * The number of sub-messages of `type` in `bytes`, stopping once it passes `max`. Damaged
 * wire data ends the count early: the decoder that runs next refuses it with a 400.
 */
export function countMessages(type: protobuf.Type, bytes: Uint8Array, max = MAX_MESSAGES_PER_REQUEST): number {
  let count = 0;
  const walk = (t: protobuf.Type, start: number, end: number, depth: number): boolean => {
    let at = start;
    while (at < end) {
      let tag = 0;
      let shift = 0;
      let b: number;
      do {
        if (at >= end || shift > 28) return false;
        b = bytes[at++]!;
        tag += (b & 0x7f) * 2 ** shift;
        shift += 7;
      } while (b & 0x80);
      const wireType = tag % 8;
      if (wireType === 0) {
        while (at < end && bytes[at]! & 0x80) at++;
        at++;
      } else if (wireType === 1) at += 8;
      else if (wireType === 5) at += 4;
      else if (wireType === 2) {
        let length = 0;
        shift = 0;
        do {
          if (at >= end || shift > 35) return false;
          b = bytes[at++]!;
          length += (b & 0x7f) * 2 ** shift;
          shift += 7;
        } while (b & 0x80);
        if (at + length > end) return false;
        const inner = messageFields(t)[Math.floor(tag / 8)];
        if (inner !== undefined) {
          if (++count > max) return false;
          if (depth < MAX_DEPTH && !walk(inner, at, at + length, depth + 1)) return false;
        }
        at += length;
      } else return false;
    }
    return at === end;
  };
  walk(type, 0, bytes.length, 0);
  return count;
}
