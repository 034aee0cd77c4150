// Per-session caps over HTTP on a real receiver: a session cut at its duration or byte
// cap is acknowledged (200, nothing rejected) but nothing past the cut is stored; the
// index says truncated, with when and why, and the query API shows it in the session,
// in search results and in what streams back; /metrics counts it.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SessionDetail, SessionSearchResult } from '@otel-replay/protocol';
import { getJson, postJson, request } from './helpers/http.ts';
import { segmentsRequest } from './helpers/otlp-json.ts';
import { startReceiver } from './helpers/receiver.ts';
import type { RunningReceiver } from './helpers/receiver.ts';
import { makeSegment } from './helpers/recording.ts';
import type { MadeSegment } from './helpers/replay-load.ts';

const START = Date.now() - 10 * 60_000;
const MAX_BYTES = 2500;

let rx: RunningReceiver;
before(async () => {
  rx = await startReceiver({ sessionLimits: { maxDurationMs: 60_000, maxBytes: MAX_BYTES } });
});
after(async () => {
  await rx?.stop();
});

async function send(made: MadeSegment[]): Promise<void> {
  const res = await postJson(`${rx.url}/v1/logs`, segmentsRequest(made.map((m) => m.segment)));
  assert.equal(res.status, 200, res.body.toString('utf8'));
  // Acknowledged in full: a retry could not help, so nothing is reported rejected.
  assert.doesNotMatch(res.body.toString('utf8'), /rejected/);
}

async function detail(sessionId: string): Promise<SessionDetail> {
  const res = await getJson<SessionDetail>(`${rx.url}/api/v1/sessions/${sessionId}`);
  assert.equal(res.status, 200);
  return res.body;
}

async function streamedSeqs(sessionId: string): Promise<number[]> {
  const res = await request(`${rx.url}/api/v1/sessions/${sessionId}/events?at=0`);
  assert.equal(res.status, 200);
  return res.body.toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; seq?: number }).filter((l) => l.type === 'segment').map((l) => l.seq!);
}

describe('per-session caps', () => {
  it('cuts a session at its duration cap: acknowledged, not stored past the cut, shown as truncated', async () => {
    const seg = (seq: number, offsetMs: number) => makeSegment({ sessionId: 'cap-long', seq, start: START + offsetMs, count: 4 });
    await send([seg(0, 0), seg(1, 20_000)]);
    await send([seg(2, 40_000), seg(3, 70_000)]);
    await send([seg(4, 80_000)]);
    // A retry of a segment stored before the cut is still just a duplicate.
    await send([seg(1, 20_000)]);
    const s = await detail('cap-long');
    assert.equal(s.segments, 3);
    assert.equal(s.truncatedReason, 'max-duration');
    assert.equal(s.truncatedAt, START + 70_000);
    assert.deepEqual(s.windows[0]!.segments.map((x) => x.seq), [0, 1, 2]);
    assert.deepEqual(await streamedSeqs('cap-long'), [0, 1, 2]);
    assert.equal((await request(`${rx.url}/api/v1/sessions/cap-long/segments/w1/3`)).status, 404);
    const found = await getJson<SessionSearchResult>(`${rx.url}/api/v1/sessions?text=cap-long&from=${START - 60_000}`);
    assert.deepEqual(found.body.sessions.map((x) => [x.sessionId, x.truncatedReason, x.truncatedAt]), [['cap-long', 'max-duration', START + 70_000]]);
  });

  it('cuts a session at its byte cap, and leaves sessions under both caps alone', async () => {
    const seg = (seq: number) => makeSegment({ sessionId: 'cap-big', seq, start: START + seq * 1000, count: 150, label: `big-${seq}-${'x'.repeat(seq * 7)}` });
    const made = [0, 1, 2, 3, 4].map(seg);
    const sizes = made.map((m) => m.segment.body.length);
    // Two fit, the third would not: a precondition of this test, not of the receiver.
    assert.ok(sizes[0]! + sizes[1]! <= MAX_BYTES && sizes[0]! + sizes[1]! + sizes[2]! > MAX_BYTES, `sizes ${sizes.join(', ')}`);
    await send(made.slice(0, 3));
    await send(made.slice(3));
    const small = [0, 1, 2].map((seq) => makeSegment({ sessionId: 'cap-fine', seq, start: START + seq * 1000, count: 3 }));
    await send(small);
    const s = await detail('cap-big');
    assert.deepEqual([s.segments, s.replayBytes <= MAX_BYTES, s.truncatedReason, s.truncatedAt], [2, true, 'max-bytes', made[2]!.segment.meta.firstTimestamp]);
    assert.deepEqual(await streamedSeqs('cap-big'), [0, 1]);
    const fine = await detail('cap-fine');
    assert.equal(fine.segments, 3);
    assert.equal('truncatedAt' in fine || 'truncatedReason' in fine, false);

    const metrics = (await request(`${rx.url}/metrics`)).body.toString('utf8');
    // The segment that crossed each cap, then the ones that arrived after the cut.
    assert.match(metrics, /otel_replay_session_cap_dropped_segments_total\{reason="max-duration"\} 1\b/);
    assert.match(metrics, /otel_replay_session_cap_dropped_segments_total\{reason="max-bytes"\} 1\b/);
    assert.match(metrics, /otel_replay_session_cap_dropped_segments_total\{reason="truncated"\} 3\b/);
    assert.match(metrics, /otel_replay_sessions_truncated_total\{reason="max-duration"\} 1\b/);
    assert.match(metrics, /otel_replay_sessions_truncated_total\{reason="max-bytes"\} 1\b/);
  });
});
