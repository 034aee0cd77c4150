// What the protocol knows about rrweb events: just enough to check that a value is one
// and to decide where playback can start. The SDK, the receiver (legacy mapping) and the
// query API share `startsWithFullSnapshot`, so "this segment has a full snapshot" means
// the same thing everywhere.

import { PROTOCOL_VERSION } from './segment.ts';
import type { SegmentEncoding, SegmentMeta } from './segment.ts';

/** rrweb's `EventType` values (rrweb 1.x and 2.x agree on these). */
export const RrwebEventType = {
  DomContentLoaded: 0,
  Load: 1,
  FullSnapshot: 2,
  IncrementalSnapshot: 3,
  Meta: 4,
  Custom: 5,
  Plugin: 6,
} as const;

/** An rrweb event as far as the protocol cares; everything else is the recorder's business. */
export interface RrwebEvent {
  type: number;
  /** Epoch milliseconds (rrweb's own unit). */
  timestamp: number;
  [key: string]: unknown;
}

/** 9999-12-31T23:59:59.999Z: anything later in a millisecond field is a unit mistake. */
export const MAX_EPOCH_MS = 253402300799999;

/** An object with an integer `type` >= 0 and a `timestamp` in epoch ms (fractions allowed). */
export function isRrwebEvent(value: unknown): value is RrwebEvent {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const { type, timestamp } = value as { type?: unknown; timestamp?: unknown };
  return typeof type === 'number' && Number.isInteger(type) && type >= 0
    && typeof timestamp === 'number' && Number.isFinite(timestamp) && timestamp >= 0 && timestamp <= MAX_EPOCH_MS;
}

/**
 * True when playback can start at the first of `events`: they begin with a FullSnapshot,
 * or with a Meta immediately followed by a FullSnapshot (what rrweb's `record()` and
 * `takeFullSnapshot()` emit). A Meta alone is not enough: it has no DOM.
 */
export function startsWithFullSnapshot(events: readonly { type: number }[]): boolean {
  const first = events[0]?.type;
  if (first === RrwebEventType.FullSnapshot) return true;
  return first === RrwebEventType.Meta && events[1]?.type === RrwebEventType.FullSnapshot;
}

/**
 * The metadata of a segment holding `events` (in recorded order): first/last timestamps
 * are the earliest and latest event times (clocks can step back), and the full-snapshot
 * flag follows startsWithFullSnapshot. Used by the legacy mapping and by test and
 * benchmark recordings, so every producer derives it the same way.
 */
export function segmentMetaOf(events: readonly RrwebEvent[], where: { sessionId: string; windowId: string; seq: number }, encoding: SegmentEncoding): SegmentMeta {
  let first = Infinity;
  let last = -Infinity;
  for (const e of events) {
    if (e.timestamp < first) first = e.timestamp;
    if (e.timestamp > last) last = e.timestamp;
  }
  return {
    ...where,
    firstTimestamp: Math.floor(first),
    lastTimestamp: Math.floor(last),
    eventCount: events.length,
    hasFullSnapshot: startsWithFullSnapshot(events),
    encoding,
    protocolVersion: PROTOCOL_VERSION,
  };
}
