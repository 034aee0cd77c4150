// Playback planning from index rows alone, before any object is read: a session's windows
// (tabs) with their segment timelines and gaps, which window and segment playback from a
// given moment starts at, and the ordered steps (segments and gaps) to stream from there.
// Order is by (window, seq), never by timestamp, and a missing seq is a gap, never hidden.

import { isLegacyWindowId, nextSeq } from '@otel-replay/protocol';
import type { SegmentIndexRow, SeqGap, TimelineSegment, WindowDetail } from '@otel-replay/protocol';

export type { SeqGap, TimelineSegment, WindowDetail };

/** The gap between two consecutive stored segments of a window, if any (see protocol's nextSeq). */
export function gapBetween(windowId: string, prev: { seq: number; eventCount: number }, cur: { seq: number }): SeqGap | null {
  const expected = nextSeq(windowId, prev.seq, prev.eventCount);
  return cur.seq > expected ? { fromSeq: expected, toSeq: cur.seq - 1 } : null;
}

/** Missing seq ranges in a window's segments, given in ascending seq order. */
export function findGaps(windowId: string, segs: readonly { seq: number; eventCount: number }[]): SeqGap[] {
  const gaps: SeqGap[] = [];
  for (let i = 1; i < segs.length; i++) {
    const gap = gapBetween(windowId, segs[i - 1]!, segs[i]!);
    if (gap) gaps.push(gap);
  }
  return gaps;
}

function bySeq(a: SegmentIndexRow, b: SegmentIndexRow): number {
  return a.seq - b.seq;
}

/** Rows grouped per window, each group ordered by seq; windows ordered by first timestamp, then id. */
export function groupByWindow(rows: readonly SegmentIndexRow[]): Map<string, SegmentIndexRow[]> {
  const groups = new Map<string, SegmentIndexRow[]>();
  for (const row of rows) {
    let g = groups.get(row.windowId);
    if (!g) groups.set(row.windowId, (g = []));
    g.push(row);
  }
  const ordered = [...groups.entries()].map(([id, g]) => [id, g.sort(bySeq)] as const);
  ordered.sort(([idA, a], [idB, b]) => minFirst(a) - minFirst(b) || (idA < idB ? -1 : idA > idB ? 1 : 0));
  return new Map(ordered);
}

function minFirst(rows: readonly SegmentIndexRow[]): number {
  let m = Infinity;
  for (const r of rows) m = Math.min(m, r.firstTimestamp);
  return m;
}

/** The per-window view of `GET /sessions/:id`. */
export function describeWindows(rows: readonly SegmentIndexRow[]): WindowDetail[] {
  const out: WindowDetail[] = [];
  for (const [windowId, segs] of groupByWindow(rows)) {
    let first = Infinity;
    let last = -Infinity;
    let events = 0;
    let bytes = 0;
    for (const s of segs) {
      first = Math.min(first, s.firstTimestamp);
      last = Math.max(last, s.lastTimestamp);
      events += s.eventCount;
      bytes += s.length;
    }
    out.push({
      windowId,
      firstTimestamp: first,
      lastTimestamp: last,
      segmentCount: segs.length,
      eventCount: events,
      bytes,
      fullSnapshots: segs.filter((s) => s.hasFullSnapshot).map((s) => s.firstTimestamp),
      gaps: findGaps(windowId, segs),
      segments: segs.map((s) => ({
        seq: s.seq,
        firstTimestamp: s.firstTimestamp,
        lastTimestamp: s.lastTimestamp,
        eventCount: s.eventCount,
        hasFullSnapshot: s.hasFullSnapshot,
        length: s.length,
      })),
    });
  }
  return out;
}

/**
 * The window to play when the caller names none: the first (by start time) whose span
 * contains `at`, else the first window. Undefined when there are no rows.
 */
export function chooseWindow(windows: ReadonlyMap<string, readonly SegmentIndexRow[]>, at: number | undefined): string | undefined {
  let first: string | undefined;
  for (const [id, segs] of windows) {
    first ??= id;
    if (at === undefined) break;
    let end = -Infinity;
    for (const s of segs) end = Math.max(end, s.lastTimestamp);
    if (minFirst(segs) <= at && at <= end) return id;
  }
  return first;
}

/**
 * Index (into `segs`, ordered by seq) of the segment playback from `at` starts at: the
 * last segment in seq order that has a full snapshot and starts at or before `at`. When
 * none does (or `at` is undefined), the first segment with a full snapshot: our SDK's
 * windows open with Meta + FullSnapshot in one segment, so segments before the first
 * stored snapshot mean the window's start is gone (lost, or removed by retention from a
 * session still recording) and cannot be drawn. Legacy windows keep starting at their
 * first segment there: rrweb-era recordings carry the Meta event in a segment of its own
 * just before the snapshot. The first segment when there is no full snapshot at all.
 */
export function startIndex(segs: readonly SegmentIndexRow[], at: number | undefined): number {
  let best = -1;
  let firstSnapshot = -1;
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]!;
    if (!s.hasFullSnapshot) continue;
    if (firstSnapshot === -1) firstSnapshot = i;
    if (at !== undefined && s.firstTimestamp <= at) best = i;
  }
  if (best !== -1) return best;
  return firstSnapshot === -1 || isLegacyWindowId(segs[0]!.windowId) ? 0 : firstSnapshot;
}

export type PlaybackStep = { kind: 'segment'; row: SegmentIndexRow } | { kind: 'gap'; fromSeq: number; toSeq: number };

export interface PlaybackPlan {
  windowId: string;
  /** The requested moment, or the window's start when none was given. */
  at: number;
  fromSeq: number;
  fromTimestamp: number;
  steps: PlaybackStep[];
}

/**
 * The segments and gaps to stream for one window from `at`, ordered by seq. With `until`,
 * stops before the first segment that starts after it. Returns undefined when the window
 * has no segments.
 */
export function planPlayback(segs: readonly SegmentIndexRow[], windowId: string, at: number | undefined, until?: number): PlaybackPlan | undefined {
  const ordered = [...segs].sort(bySeq);
  if (ordered.length === 0) return undefined;
  const start = startIndex(ordered, at);
  const first = ordered[start]!;
  const steps: PlaybackStep[] = [];
  for (let i = start; i < ordered.length; i++) {
    const row = ordered[i]!;
    if (until !== undefined && row.firstTimestamp > until && i > start) break;
    if (i > start) {
      const gap = gapBetween(windowId, ordered[i - 1]!, row);
      if (gap) steps.push({ kind: 'gap', ...gap });
    }
    steps.push({ kind: 'segment', row });
  }
  return { windowId, at: at ?? minFirst(ordered), fromSeq: first.seq, fromTimestamp: first.firstTimestamp, steps };
}
