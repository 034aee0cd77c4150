import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SegmentIndexRow } from '@otel-replay/protocol';
import { StoreUnavailableError } from '../storage/object-store.ts';
import { ndjson, playbackLines } from './event-stream.ts';
import type { PlaybackLine } from './event-stream.ts';
import { planPlayback } from './playback-plan.ts';
import type { SegmentOutcome } from './segment-reader.ts';

function row(seq: number, full = false): SegmentIndexRow {
  return {
    tenant: 't', sessionId: 's', windowId: 'w', seq, firstTimestamp: seq * 1000, lastTimestamp: seq * 1000 + 500, eventCount: 1, hasFullSnapshot: full,
    encoding: 'gzip-json', objectKey: 'k', offset: 0, length: 1, receivedAt: 0,
  };
}

const okRead = async (r: SegmentIndexRow): Promise<SegmentOutcome> =>
  r.seq === 3 ? { ok: false, row: r, reason: 'segment 3 of window w: gzip data is corrupt' } : { ok: true, row: r, events: [{ type: 3, timestamp: r.firstTimestamp }] };

async function collect(it: AsyncIterable<PlaybackLine>): Promise<PlaybackLine[]> {
  const out: PlaybackLine[] = [];
  for await (const l of it) out.push(l);
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
    for await (const l of playbackLines('s', plan, async (r) => {
      if (r.seq === 1) throw new StoreUnavailableError('s3 down');
      return okRead(r);
    })) seen.push(l);
  }, StoreUnavailableError);
  assert.deepEqual(seen.map((l) => l.type), ['start', 'segment']);
});

test('an aborted stream sends no end line', async () => {
  const controller = new AbortController();
  const plan = planPlayback([row(0, true), row(1), row(2)], 'w', 0)!;
  const seen: string[] = [];
  for await (const l of playbackLines('s', plan, okRead, { signal: controller.signal })) {
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
