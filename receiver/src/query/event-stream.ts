// The lines of the NDJSON events stream for one window, produced from a playback plan and
// a segment reader: `start`, then in seq order `segment` / `gap` / `damaged`, then `end`.
// Neighbouring segments of one object are read with one range read (a run), a few runs
// ahead of the output so store latency overlaps, while the output keeps seq order. Nothing
// is buffered beyond that read-ahead.

import type { PlaybackPlan } from './playback-plan.ts';
import { readAhead } from './read-ahead.ts';
import { planReadRuns } from './segment-reader.ts';
import type { ReadRun, SegmentOutcome } from './segment-reader.ts';
import type { PlaybackLine, SegmentIndexRow } from '@otel-replay/protocol';

export type { PlaybackLine };

/** Reads (runs of segments) in flight ahead of the one being sent. */
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
 * The NDJSON line of one read segment. A good segment's events go out as the stored JSON
 * text (already validated by the reader) instead of being serialized again, which is most
 * of the stream's CPU; stored text that spans lines is re-serialized to stay one line.
 */
export function outcomeText(outcome: SegmentOutcome): string {
  if (!outcome.ok || outcome.json.includes('\n')) return ndjson(outcomeLine(outcome));
  const { row } = outcome;
  return `{"type":"segment","seq":${row.seq},"firstTimestamp":${row.firstTimestamp},"lastTimestamp":${row.lastTimestamp},"events":${outcome.json}}\n`;
}

/** What the stream reads, in order: runs of neighbouring segments, and gaps between them. */
type Unit = { kind: 'run'; run: ReadRun } | { kind: 'gap'; fromSeq: number; toSeq: number };

function units(plan: PlaybackPlan): Unit[] {
  const out: Unit[] = [];
  let rows: SegmentIndexRow[] = [];
  const flushRows = () => {
    for (const run of planReadRuns(rows)) out.push({ kind: 'run', run });
    rows = [];
  };
  for (const step of plan.steps) {
    if (step.kind === 'gap') {
      flushRows();
      out.push({ kind: 'gap', fromSeq: step.fromSeq, toSeq: step.toSeq });
    } else {
      rows.push(step.row);
    }
  }
  flushRows();
  return out;
}

/**
 * Yields the stream's NDJSON lines (each ending in a newline): `start`, then in seq order
 * `segment` / `gap` / `damaged`, then `end`. A reader that throws (the store is unreachable)
 * ends the iteration with that error; the caller decides between a 503 (nothing sent yet)
 * and an `error` line.
 */
export async function* playbackLines(
  sessionId: string,
  plan: PlaybackPlan,
  readRun: (run: ReadRun) => Promise<SegmentOutcome[]>,
  options: PlaybackLineOptions = {},
): AsyncGenerator<string, void, undefined> {
  yield ndjson({ type: 'start', sessionId, windowId: plan.windowId, at: plan.at, fromSeq: plan.fromSeq, fromTimestamp: plan.fromTimestamp });
  let segments = 0;
  const read = async (u: Unit): Promise<string[]> => {
    if (u.kind === 'gap') return [ndjson({ type: 'gap', fromSeq: u.fromSeq, toSeq: u.toSeq })];
    const outcomes = await readRun(u.run);
    segments += outcomes.length;
    return outcomes.map(outcomeText);
  };
  const aheadOptions = options.signal ? { concurrency: options.concurrency ?? READ_AHEAD, signal: options.signal } : { concurrency: options.concurrency ?? READ_AHEAD };
  for await (const lines of readAhead(units(plan), read, aheadOptions)) {
    for (const line of lines) yield line;
  }
  if (options.signal?.aborted) return;
  yield ndjson({ type: 'end', segments });
}

/** One NDJSON line. JSON.stringify never emits raw newlines, so a line is one event. */
export function ndjson(line: PlaybackLine): string {
  return `${JSON.stringify(line)}\n`;
}
