import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SegmentIndexRow } from '@otel-replay/protocol';
import { StoreUnavailableError } from '../storage/object-store.ts';
import { ndjson, outcomeText, playbackLines } from './event-stream.ts';
import type { PlaybackLine } from './event-stream.ts';
import { planPlayback } from './playback-plan.ts';
import type { ReadRun, SegmentOutcome } from './segment-reader.ts';

function row(seq: number, full = false): SegmentIndexRow {
  return {
    tenant: 't', sessionId: 's', windowId: 'w', seq, firstTimestamp: seq * 1000, lastTimestamp: seq * 1000 + 500, eventCount: 1, hasFullSnapshot: full,
    encoding: 'gzip-json', objectKey: 'k', offset: 0, length: 1, receivedAt: 0,
  };
}

function outcome(r: SegmentIndexRow): SegmentOutcome {
  if (r.seq === 3) return { ok: false, row: r, reason: 'segment 3 of window w: gzip data is corrupt' };
  const events = [{ type: 3, timestamp: r.firstTimestamp }];
  return { ok: true, row: r, events, json: JSON.stringify(events) };
}
const okRead = async (run: ReadRun): Promise<SegmentOutcome[]> => run.rows.map(outcome);

async function collect(it: AsyncIterable<string>): Promise<PlaybackLine[]> {
  const out: PlaybackLine[] = [];
  for await (const text of it) {
    assert.equal(text.indexOf('\n'), text.length - 1, 'each item is one newline-terminated line');
    out.push(JSON.parse(text) as PlaybackLine);
  }
  return out;
}

test('start, segments, gap and damaged lines in seq order, then end', async () => {
  const plan = planPlayback([row(0, true), row(1), row(3), row(5, true), row(6)], 'w', 5200)!;
  assert.equal(plan.fromSeq, 5);
  const all = planPlayback([row(0, true), row(1), row(3), row(4), row(6)], 'w', 100)!;
  const lines = await collect(playbackLines('s', all, okRead, { concurrency: 3 }));
  assert.deepEqual(lines.map((l) => l.type), ['start', 'segment', 'segment', 'gap', 'damaged', 'segment', 'gap', 'segment', 'end']);
  assert.deepEqual(lines[0], { type: 'start', sessionId: 's', windowId: 'w', at: 100, fromSeq: 0, fromTimestamp: 0 });
  assert.deepEqual(lines[3], { type: 'gap', fromSeq: 2, toSeq: 2 });
  assert.deepEqual(lines[4], { type: 'damaged', seq: 3, reason: 'segment 3 of window w: gzip data is corrupt' });
  assert.deepEqual(lines[1], { type: 'segment', seq: 0, firstTimestamp: 0, lastTimestamp: 500, events: [{ type: 3, timestamp: 0 }] });
  assert.deepEqual(lines.at(-1), { type: 'end', segments: 5 });
});

test('an unreachable store ends the iteration with the error and no end line', async () => {
  const plan = planPlayback([row(0, true), row(1), row(2)], 'w', 0)!;
  const seen: PlaybackLine[] = [];
  await assert.rejects(async () => {
    for await (const l of playbackLines('s', plan, async (run) => {
      if (run.rows.some((r) => r.seq === 1)) throw new StoreUnavailableError('s3 down');
      return okRead(run);
    })) seen.push(JSON.parse(l) as PlaybackLine);
  }, StoreUnavailableError);
  assert.deepEqual(seen.map((l) => l.type), ['start', 'segment']);
});

test('an aborted stream sends no end line', async () => {
  const controller = new AbortController();
  const plan = planPlayback([row(0, true), row(1), row(2)], 'w', 0)!;
  const seen: string[] = [];
  for await (const text of playbackLines('s', plan, okRead, { signal: controller.signal })) {
    const l = JSON.parse(text) as PlaybackLine;
    seen.push(l.type);
    if (l.type === 'segment') controller.abort();
  }
  assert.deepEqual(seen, ['start', 'segment']);
});

test('an ndjson line is one line even when recorded text holds newlines', () => {
  const text = ndjson({ type: 'segment', seq: 0, firstTimestamp: 0, lastTimestamp: 0, events: [{ type: 3, timestamp: 0, data: 'a\nb\u2028c' }] });
  assert.equal(text.indexOf('\n'), text.length - 1);
  assert.deepEqual(JSON.parse(text), { type: 'segment', seq: 0, firstTimestamp: 0, lastTimestamp: 0, events: [{ type: 3, timestamp: 0, data: 'a\nb\u2028c' }] });
});

test('neighbouring segments of one object are read as runs, the first alone; gaps split runs', async () => {
  const at = (seq: number, offset: number, key = 'k'): SegmentIndexRow => ({ ...row(seq, seq === 0), objectKey: key, offset, length: 100 });
  const rows = [at(0, 0), at(1, 100), at(2, 200), at(3 + 1, 400), at(5, 500, 'other'), at(6, 600, 'other')];
  // seq 3 is missing: a gap between 2 and 4.
  const plan = planPlayback(rows, 'w', 0)!;
  const runs: number[][] = [];
  const lines = await collect(playbackLines('s', plan, async (run) => {
    runs.push(run.rows.map((r) => r.seq));
    return okRead(run);
  }, { concurrency: 1 }));
  assert.deepEqual(runs, [[0], [1, 2], [4], [5, 6]]);
  assert.deepEqual(lines.map((l) => (l.type === 'segment' ? l.seq : l.type)), ['start', 0, 1, 2, 'gap', 4, 5, 6, 'end']);
});

test('a good segment goes out as its stored JSON text, unchanged; text spanning lines is re-serialized', () => {
  const r = row(4);
  const stored = '[ {"type":3,"timestamp":4000,"data":{"x":"\\u00e9"}} ]';
  const text = outcomeText({ ok: true, row: r, events: JSON.parse(stored) as [], json: stored });
  assert.ok(text.includes(`"events":${stored}}`), text);
  assert.deepEqual(JSON.parse(text), { type: 'segment', seq: 4, firstTimestamp: 4000, lastTimestamp: 4500, events: [{ type: 3, timestamp: 4000, data: { x: 'é' } }] });
  const multiline = '[\n{"type":3,"timestamp":4000}\n]';
  const one = outcomeText({ ok: true, row: r, events: JSON.parse(multiline) as [], json: multiline });
  assert.equal(one.indexOf('\n'), one.length - 1);
  assert.deepEqual(JSON.parse(one).events, [{ type: 3, timestamp: 4000 }]);
});
