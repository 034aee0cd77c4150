// Reads one stored segment back: its byte range from the object store, gunzipped and
// parsed into rrweb events. Anything wrong with the stored data (object missing, short
// read, not gzip, bad JSON, not events) comes back as a `damaged` outcome with a reason
// a person can act on; an unreachable store is thrown (StoreUnavailableError), because
// retrying later will help and the data may be fine.

import { promisify } from 'node:util';
import { gunzip, gunzipSync } from 'node:zlib';
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

/**
 * Members up to this size are inflated on the calling thread: a typical segment (a few KiB)
 * inflates in microseconds, far less than the thread-pool round trip an async gunzip costs.
 * Larger ones go to the pool so a big full snapshot does not hold up other requests.
 */
export const INLINE_GUNZIP_MAX_BYTES = 64 * 1024;

/** `json` is the segment's events array as stored (validated), for writers that can pass it through. */
export type SegmentOutcome = { ok: true; row: SegmentIndexRow; events: RrwebEvent[]; json: string } | { ok: false; row: SegmentIndexRow; reason: string };

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
    json = bytes.length <= INLINE_GUNZIP_MAX_BYTES ? gunzipSync(bytes, { maxOutputLength: maxJsonBytes }) : await gunzipAsync(bytes, { maxOutputLength: maxJsonBytes });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_BUFFER_TOO_LARGE') return damaged(`decompresses to more than ${maxJsonBytes} bytes; refused`);
    return damaged(`gzip data is corrupt (${e.message})`);
  }
  let parsed: unknown;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(json);
    parsed = JSON.parse(text);
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
  return { ok: true, row, events: parsed as RrwebEvent[], json: text };
}

/** Reads the stored gzip member of one segment, exactly as stored. */
export async function readSegmentBytes(store: ObjectStore, row: SegmentIndexRow): Promise<Uint8Array> {
  return store.getRange(row.objectKey, row.offset, row.length);
}

/** Longest stretch of synchronous decoding before other work on the event loop gets a turn. */
const DECODE_SLICE_MS = 4;

/** Rows read together: one byte range of one object covering all of them. */
export interface ReadRun {
  objectKey: string;
  rows: SegmentIndexRow[];
}

/** Bytes of unrelated data a run may read over to join two segments of the same object. */
export const RUN_MAX_HOLE_BYTES = 64 * 1024;
/** The most one run reads at once: bounds memory per stream and keeps output flowing. */
export const RUN_MAX_BYTES = 1024 * 1024;
/** The second run's cap; each later run may be four times larger, up to RUN_MAX_BYTES. */
export const RUN_FIRST_BYTES = 16 * 1024;

/**
 * Groups rows (in playback order) into runs of neighbours in one object, so a window whose
 * segments were group-committed together is read with a few range reads instead of one per
 * segment (on S3, a GET each). Only ascending, nearby offsets join a run; anything else
 * starts a new one. Runs start small and grow (one row, then 16 KiB, 64 KiB, ...) so the
 * first segments (the first frame a viewer waits for) are not held up decoding later ones.
 */
export function planReadRuns(rows: readonly SegmentIndexRow[], maxHole = RUN_MAX_HOLE_BYTES, maxBytes = RUN_MAX_BYTES): ReadRun[] {
  const capOf = (index: number) => (index === 0 ? 0 : Math.min(maxBytes, RUN_FIRST_BYTES * 4 ** (index - 1)));
  const runs: ReadRun[] = [];
  let cur: ReadRun | undefined;
  let end = 0;
  for (const row of rows) {
    const joins =
      cur !== undefined &&
      row.objectKey === cur.objectKey &&
      row.offset >= end &&
      row.offset - end <= maxHole &&
      row.offset + row.length - cur.rows[0]!.offset <= capOf(runs.length - 1);
    if (joins) {
      cur!.rows.push(row);
    } else {
      cur = { objectKey: row.objectKey, rows: [row] };
      runs.push(cur);
    }
    end = row.offset + row.length;
  }
  return runs;
}

/**
 * Reads and decodes a run of segments with one range read. A run whose read fails for a
 * reason other than the store being down falls back to reading its rows one by one, so one
 * bad range only damages the segments it really covers. Throws only StoreUnavailableError.
 */
export async function readSegmentRun(store: ObjectStore, run: ReadRun): Promise<SegmentOutcome[]> {
  if (run.rows.length === 1) return [await readSegment(store, run.rows[0]!)];
  const start = run.rows[0]!.offset;
  const last = run.rows.at(-1)!;
  let bytes: Uint8Array;
  try {
    bytes = await store.getRange(run.objectKey, start, last.offset + last.length - start);
  } catch (err) {
    if (err instanceof StoreUnavailableError) throw err;
    const out: SegmentOutcome[] = [];
    for (const row of run.rows) out.push(await readSegment(store, row));
    return out;
  }
  const out: SegmentOutcome[] = [];
  let slice = performance.now();
  for (const row of run.rows) {
    out.push(await decodeSegment(row, bytes.subarray(row.offset - start, row.offset - start + row.length)));
    // Small members inflate synchronously: give the event loop a turn every few ms so a
    // long run does not hold up other requests or this stream's own first lines.
    if (performance.now() - slice > DECODE_SLICE_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      slice = performance.now();
    }
  }
  return out;
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
