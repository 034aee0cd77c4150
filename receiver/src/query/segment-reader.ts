// Reads one stored segment back: its byte range from the object store, gunzipped and
// parsed into rrweb events. Anything wrong with the stored data (object missing, short
// read, not gzip, bad JSON, not events) comes back as a `damaged` outcome with a reason
// a person can act on; an unreachable store is thrown (StoreUnavailableError), because
// retrying later will help and the data may be fine.

import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { RrwebEvent, SegmentIndexRow } from '@otel-replay/protocol';
import { isGzip } from '@otel-replay/protocol';
import type { ObjectStore } from '../storage/object-store.ts';
import { ObjectNotFoundError, StoreUnavailableError } from '../storage/object-store.ts';

const gunzipAsync = promisify(gunzip);

/**
 * A segment is at most 1 MiB compressed, but gzip can expand a thousandfold; this caps
 * what one segment may inflate to so a hostile body cannot exhaust memory.
 */
export const MAX_SEGMENT_JSON_BYTES = 64 * 1024 * 1024;

export type { RrwebEvent };

export type SegmentOutcome = { ok: true; row: SegmentIndexRow; events: RrwebEvent[] } | { ok: false; row: SegmentIndexRow; reason: string };

function where(row: SegmentIndexRow): string {
  return `segment ${row.seq} of window ${row.windowId}`;
}

/** Decodes stored bytes (one gzip member of a JSON array of events). Pure; never throws. */
export async function decodeSegment(row: SegmentIndexRow, bytes: Uint8Array, maxJsonBytes = MAX_SEGMENT_JSON_BYTES): Promise<SegmentOutcome> {
  const damaged = (reason: string): SegmentOutcome => ({ ok: false, row, reason: `${where(row)}: ${reason}` });
  if (bytes.length !== row.length) {
    return damaged(`read ${bytes.length} bytes at offset ${row.offset} of object ${row.objectKey}, but the index says ${row.length}; the object is truncated or was overwritten`);
  }
  if (!isGzip(bytes)) {
    return damaged(`bytes at offset ${row.offset} of object ${row.objectKey} are not a gzip member; the index and the object disagree`);
  }
  let json: Buffer;
  try {
    json = await gunzipAsync(bytes, { maxOutputLength: maxJsonBytes });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_BUFFER_TOO_LARGE') return damaged(`decompresses to more than ${maxJsonBytes} bytes; refused`);
    return damaged(`gzip data is corrupt (${e.message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch (err) {
    return damaged(`content is not UTF-8 JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(parsed)) return damaged('content is not a JSON array of rrweb events');
  for (let i = 0; i < parsed.length; i++) {
    const ev = parsed[i] as Partial<RrwebEvent> | null;
    if (ev === null || typeof ev !== 'object' || Array.isArray(ev) || typeof ev.type !== 'number' || typeof ev.timestamp !== 'number') {
      return damaged(`event ${i} is not an rrweb event (needs a numeric type and timestamp)`);
    }
  }
  return { ok: true, row, events: parsed as RrwebEvent[] };
}

/** Reads the stored gzip member of one segment, exactly as stored. */
export async function readSegmentBytes(store: ObjectStore, row: SegmentIndexRow): Promise<Uint8Array> {
  return store.getRange(row.objectKey, row.offset, row.length);
}

/** Reads and decodes one segment. Throws only StoreUnavailableError. */
export async function readSegment(store: ObjectStore, row: SegmentIndexRow): Promise<SegmentOutcome> {
  let bytes: Uint8Array;
  try {
    bytes = await readSegmentBytes(store, row);
  } catch (err) {
    if (err instanceof ObjectNotFoundError) {
      return { ok: false, row, reason: `${where(row)}: object ${row.objectKey} is missing from the store (deleted by a lifecycle rule, or lost)` };
    }
    if (err instanceof StoreUnavailableError) throw err;
    // Anything else (a range past the end of the object, an I/O error on one file) is
    // about this segment's data, not the store: report it and keep playing the rest.
    return { ok: false, row, reason: `${where(row)}: reading ${row.length} bytes at offset ${row.offset} of object ${row.objectKey} failed: ${(err as Error).message}` };
  }
  return decodeSegment(row, bytes);
}
