// Cuts one window's stream of rrweb events into segments (docs/protocol.md §2): a new
// segment starts right before every Meta + FullSnapshot pair, so `full_snapshot` marks
// every place playback can start; segments are also sealed by the caller's flush timer
// and when they grow past a raw size, so each compresses to well under the page-hide
// keepalive budget. Events are stringified once, on arrival, and joined at the end.

import type { RrwebEvent } from '@otel-replay/protocol';

const FULL_SNAPSHOT = 2;
const META = 4;

/**
 * The protocol's `startsWithFullSnapshot` over event types. Restated here because any
 * runtime import from @otel-replay/protocol in this lazily loaded code makes the bundler
 * split the protocol module out into a third chunk shared with the eager part (about
 * 220 B min+gz); segmenter.test.ts checks that both rules agree on every input.
 */
export function startsWithFullSnapshot(types: readonly number[]): boolean {
  return types[0] === FULL_SNAPSHOT || (types[0] === META && types[1] === FULL_SNAPSHOT);
}

/** A segment whose events are fixed; it gets its sequence number when it is sent. */
export interface SealedSegment {
  /** The JSON array of the events, as sent (before compression). */
  json: string;
  firstTimestamp: number;
  lastTimestamp: number;
  eventCount: number;
  hasFullSnapshot: boolean;
}

export interface SegmenterOptions {
  /** Seal once the UTF-16 length of the buffered JSON passes this. */
  maxRawChars: number;
}

export class Segmenter {
  #parts: string[] = [];
  #types: number[] = [];
  #first = 0;
  #last = 0;
  #chars = 0;
  readonly #options: SegmenterOptions;

  constructor(options: SegmenterOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#parts.length;
  }

  /** Adds an event; returns the segments sealed because of it (zero, one or two). */
  push(event: RrwebEvent): SealedSegment[] {
    const sealed: SealedSegment[] = [];
    const json = JSON.stringify(event);
    const lastType = this.#types[this.#types.length - 1];
    // A Meta opens a new segment; so does a FullSnapshot that does not follow its Meta.
    const opensSegment = event.type === META || (event.type === FULL_SNAPSHOT && lastType !== META);
    // A huge event travels alone, so the events before it are not held back by it.
    const huge = json.length > this.#options.maxRawChars / 2;
    if (this.#parts.length && (opensSegment || (huge && !(event.type === FULL_SNAPSHOT && lastType === META)))) {
      const s = this.seal();
      if (s) sealed.push(s);
    }
    if (this.#parts.length === 0) this.#first = event.timestamp;
    this.#parts.push(json);
    this.#types.push(event.type);
    // Clocks jump; the segment's range still has to be ordered (last >= first).
    this.#last = Math.max(this.#first, event.timestamp);
    this.#chars += json.length + 1;
    const onlyMeta = this.#types.length === 1 && event.type === META;
    if (!onlyMeta && this.#chars >= this.#options.maxRawChars) {
      const s = this.seal();
      if (s) sealed.push(s);
    }
    return sealed;
  }

  /** Seals what is buffered (null when empty). */
  seal(): SealedSegment | null {
    if (this.#parts.length === 0) return null;
    const segment: SealedSegment = {
      json: `[${this.#parts.join(',')}]`,
      firstTimestamp: Math.floor(this.#first),
      lastTimestamp: Math.floor(this.#last),
      eventCount: this.#parts.length,
      hasFullSnapshot: startsWithFullSnapshot(this.#types),
    };
    this.#parts = [];
    this.#types = [];
    this.#chars = 0;
    return segment;
  }

  /** Drops what is buffered (a session ended before it could be sent). */
  clear(): void {
    this.#parts = [];
    this.#types = [];
    this.#chars = 0;
  }
}

/**
 * Buffer mode keeps only the last `windowMs` of recording, but playback must start at a
 * full snapshot: keep from the latest full-snapshot segment that begins at or before the
 * cut-off, and drop everything before it.
 */
export function trimBuffer(segments: SealedSegment[], now: number, windowMs: number): SealedSegment[] {
  const cutoff = now - windowMs;
  let start = -1;
  for (let i = segments.length - 1; i >= 0; i--) {
    const s = segments[i]!;
    if (s.hasFullSnapshot && s.firstTimestamp <= cutoff) {
      start = i;
      break;
    }
  }
  if (start <= 0) return start === 0 ? segments : dropBeforeFirstFull(segments);
  return segments.slice(start);
}

/** Segments before the first full snapshot cannot be played; they are never worth keeping. */
function dropBeforeFirstFull(segments: SealedSegment[]): SealedSegment[] {
  const first = segments.findIndex((s) => s.hasFullSnapshot);
  return first <= 0 ? (first === 0 ? segments : []) : segments.slice(first);
}
