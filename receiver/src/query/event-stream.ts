// The lines of the NDJSON events stream for one window, produced from a playback plan and
// a segment reader: `start`, then in seq order `segment` / `gap` / `damaged`, then `end`.
// Segments are read a few at a time ahead of the output so store latency overlaps, while
// the output keeps seq order. Nothing is buffered beyond that read-ahead.

import type { PlaybackPlan, PlaybackStep } from './playback-plan.ts';
import { readAhead } from './read-ahead.ts';
import type { SegmentOutcome } from './segment-reader.ts';
import type { PlaybackLine, SegmentIndexRow } from '@otel-replay/protocol';

export type { PlaybackLine };

/** Segments read ahead of the one being sent. */
export const READ_AHEAD = 4;

export interface PlaybackLineOptions {
  concurrency?: number;
  signal?: AbortSignal;
}

export function outcomeLine(outcome: SegmentOutcome): PlaybackLine {
  const { row } = outcome;
  if (!outcome.ok) return { type: 'damaged', seq: row.seq, reason: outcome.reason };
  return { type: 'segment', seq: row.seq, firstTimestamp: row.firstTimestamp, lastTimestamp: row.lastTimestamp, events: outcome.events };
}

/**
 * Yields the stream's lines. A reader that throws (the store is unreachable) ends the
 * iteration with that error; the caller decides between a 503 (nothing sent yet) and an
 * `error` line.
 */
export async function* playbackLines(
  sessionId: string,
  plan: PlaybackPlan,
  read: (row: SegmentIndexRow) => Promise<SegmentOutcome>,
  options: PlaybackLineOptions = {},
): AsyncGenerator<PlaybackLine, void, undefined> {
  yield { type: 'start', sessionId, windowId: plan.windowId, at: plan.at, fromSeq: plan.fromSeq, fromTimestamp: plan.fromTimestamp };
  let segments = 0;
  const step = async (s: PlaybackStep): Promise<PlaybackLine> => (s.kind === 'gap' ? { type: 'gap', fromSeq: s.fromSeq, toSeq: s.toSeq } : outcomeLine(await read(s.row)));
  const aheadOptions = options.signal ? { concurrency: options.concurrency ?? READ_AHEAD, signal: options.signal } : { concurrency: options.concurrency ?? READ_AHEAD };
  for await (const line of readAhead(plan.steps, step, aheadOptions)) {
    if (line.type === 'segment' || line.type === 'damaged') segments++;
    yield line;
  }
  if (options.signal?.aborted) return;
  yield { type: 'end', segments };
}

/** One NDJSON line. JSON.stringify never emits raw newlines, so a line is one event. */
export function ndjson(line: PlaybackLine): string {
  return `${JSON.stringify(line)}\n`;
}
