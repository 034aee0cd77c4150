// Byte-level view of protobuf messages: where each field of a message starts and ends,
// and a way to assemble a message from kept byte ranges. Copying ranges instead of
// re-encoding decoded objects keeps unknown fields and the sender's exact encoding.

import protobuf from 'protobufjs';
import { malformed } from './errors.ts';

export const LENGTH_DELIMITED = 2;

/** One field occurrence: [start, end) covers tag and value, [dataStart, end) the value. */
export interface FieldSpan {
  field: number;
  wireType: number;
  start: number;
  dataStart: number;
  end: number;
}

/** The field occurrences of the message occupying bytes[start, end). */
export function fieldsOf(bytes: Uint8Array, start: number, end: number): FieldSpan[] {
  const reader = protobuf.Reader.create(bytes);
  reader.pos = start;
  reader.len = end;
  const spans: FieldSpan[] = [];
  try {
    while (reader.pos < end) {
      const spanStart = reader.pos;
      const tag = reader.tag();
      const field = tag >>> 3;
      const wireType = tag & 7;
      let dataStart = reader.pos;
      if (wireType === LENGTH_DELIMITED) {
        const length = reader.size();
        dataStart = reader.pos;
        reader.skip(length);
      } else {
        reader.skipType(wireType, 0, field);
      }
      spans.push({ field, wireType, start: spanStart, dataStart, end: reader.pos });
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw malformed(`protobuf message at bytes ${start}..${end} cannot be walked: ${reason}`, error);
  }
  if (reader.pos !== end) throw malformed(`protobuf message at bytes ${start}..${end} overruns its length`);
  return spans;
}

/** Pieces of an output message, concatenated once at the end. */
export class Assembly {
  readonly parts: Uint8Array[] = [];
  length = 0;

  append(part: Uint8Array): void {
    if (part.length === 0) return;
    this.parts.push(part);
    this.length += part.length;
  }

  /** Appends `inner` as a length-delimited field. */
  appendMessage(field: number, inner: Assembly): void {
    this.append(varint((field << 3) | LENGTH_DELIMITED));
    this.append(varint(inner.length));
    for (const part of inner.parts) this.append(part);
  }

  bytes(): Uint8Array {
    return Buffer.concat(this.parts, this.length);
  }
}

function varint(value: number): Uint8Array {
  const out: number[] = [];
  let v = value;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Uint8Array.from(out);
}
