// A replay client for cross-module tests: plans sessions (windows × segments, both
// encodings), sends them to a receiver's /v1/logs keeping score of which segments were
// acknowledged (200) and which must be retried, and checks afterwards, through the query
// API only, that every acknowledged segment is stored byte-identical exactly once and
// streams back in (window, seq) order.

import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import type { SegmentMeta } from '@otel-replay/protocol';
import { getJson, postJson, request } from './http.ts';
import type { RawResponse } from './http.ts';
import { segmentsRequest } from './otlp-json.ts';
import { makeSegment } from './recording.ts';

export type MadeSegment = ReturnType<typeof makeSegment>;

export function segKey(meta: Pick<SegmentMeta, 'sessionId' | 'windowId' | 'seq'>): string {
  return `${meta.sessionId}/${meta.windowId}/${meta.seq}`;
}

/**
 * Segments of `sessions` sessions with `windows` tabs each and `perWindow` segments per
 * tab. A full snapshot starts seq 0 and every 4th seq; every 3rd seq is sent as plain
 * json (a browser without compression), the rest gzip-json. Ordered by session, window, seq.
 */
export function planSessions(opts: { prefix: string; sessions: number; windows: number; perWindow: number; start?: number; count?: number }): MadeSegment[] {
  const start = opts.start ?? Date.now() - 10 * 60_000;
  const out: MadeSegment[] = [];
  for (let s = 0; s < opts.sessions; s++) {
    const sessionId = `${opts.prefix}-s${s}`;
    for (let w = 0; w < opts.windows; w++) {
      const windowId = `win-${w}`;
      for (let seq = 0; seq < opts.perWindow; seq++) {
        out.push(makeSegment({
          sessionId,
          windowId,
          seq,
          start: start + s * 1000 + w * 100_000 + seq * 2000,
          count: 6 + (seq % 5),
          full: seq % 4 === 0,
          encoding: seq % 3 === 2 ? 'json' : 'gzip-json',
          label: `${sessionId}.${windowId}.${seq}`,
        }));
      }
    }
  }
  return out;
}

/** Splits `items` into chunks of `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export interface Answer {
  status: number;
  retryAfter: string | undefined;
  keys: string[];
}

/** Sends segments and remembers, per segment, whether a 200 ever acknowledged it. */
export class SegmentClient {
  /** Segments some 200 acknowledged. */
  readonly acked = new Map<string, MadeSegment>();
  /** Segments whose last attempt got anything but 200 and that were never acknowledged. */
  readonly unacked = new Map<string, MadeSegment>();
  readonly answers: Answer[] = [];
  /** Changed by tests that move the client to another receiver. */
  baseUrl: string;
  private readonly headers: Record<string, string>;

  constructor(baseUrl: string, headers: Record<string, string> = {}) {
    this.baseUrl = baseUrl;
    this.headers = headers;
  }

  /** Posts one request; a 200 must carry no partial_success rejection. */
  async send(batch: MadeSegment[], timeoutMs = 30_000): Promise<RawResponse> {
    const res = await postJson(`${this.baseUrl}/v1/logs`, segmentsRequest(batch.map((m) => m.segment)), { headers: this.headers, timeoutMs });
    const keys = batch.map((m) => segKey(m.segment.meta));
    const retryAfter = res.headers['retry-after'];
    this.answers.push({ status: res.status, retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, keys });
    if (res.status === 200) {
      const text = res.body.toString('utf8');
      assert.ok(!/rejected/i.test(text), `a 200 for ${keys.join(', ')} reports rejected records: ${text}`);
      for (const [i, m] of batch.entries()) {
        this.acked.set(keys[i]!, m);
        this.unacked.delete(keys[i]!);
      }
    } else {
      for (const [i, m] of batch.entries()) if (!this.acked.has(keys[i]!)) this.unacked.set(keys[i]!, m);
    }
    return res;
  }

  /**
   * Resends every unacknowledged segment (in batches) until none is left, waiting out
   * Retry-After (capped at `maxWaitMs`) between rounds; fails after `deadlineMs`.
   */
  async retryUnacked(opts: { batchSize?: number; deadlineMs?: number; maxWaitMs?: number } = {}): Promise<void> {
    const deadline = Date.now() + (opts.deadlineMs ?? 20_000);
    while (this.unacked.size > 0) {
      if (Date.now() > deadline) {
        const last = this.answers.slice(-3).map((a) => a.status).join(', ');
        throw new Error(`${this.unacked.size} segments still unacknowledged after retrying until the deadline; last answers: ${last}`);
      }
      let wait = 0;
      for (const batch of chunks([...this.unacked.values()], opts.batchSize ?? 4)) {
        const res = await this.send(batch);
        if (res.status !== 200) wait = Math.max(wait, Math.min(Number(res.headers['retry-after'] ?? 1) * 1000, opts.maxWaitMs ?? 500));
      }
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }

  statusCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const a of this.answers) counts[a.status] = (counts[a.status] ?? 0) + 1;
    return counts;
  }
}

/**
 * GET from the query API as a well-behaved bulk reader: over the receiver's query rate
 * limit (429) it waits the Retry-After and asks again, so verification works under the
 * default limits (a bounded number of times: a receiver that never lets it in fails).
 */
async function readApi(url: string, headers: Record<string, string>): Promise<RawResponse> {
  for (let attempt = 0; ; attempt++) {
    const res = await request(url, { headers });
    if (res.status !== 429 || attempt >= 30) return res;
    await new Promise((r) => setTimeout(r, 1000 * Math.min(5, Number(res.headers['retry-after']) || 1)));
  }
}

/**
 * Checks that each of `segments` reads back byte-identical through
 * GET /sessions/:id/segments/:window/:seq (gzip-json: the bytes as sent; json: a gzip
 * member that inflates to the string as sent). Says nothing about what else is stored.
 */
export async function verifySegmentBytes(baseUrl: string, segments: Iterable<MadeSegment>, headers: Record<string, string> = {}): Promise<void> {
  const all = [...segments];
  const seen = new Set<string>();
  const unique = all.filter((m) => {
    const k = segKey(m.segment.meta);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  await pool(unique, 8, async (m) => {
    const { sessionId, windowId, seq, encoding } = m.segment.meta;
    const res = await readApi(`${baseUrl}/api/v1/sessions/${sessionId}/segments/${windowId}/${seq}`, headers);
    assert.equal(res.status, 200, `GET segment ${sessionId}/${windowId}/${seq}: ${res.body.toString('utf8').slice(0, 300)}`);
    assert.equal(res.headers['content-encoding'], 'gzip');
    if (encoding === 'gzip-json') assert.ok(res.body.equals(Buffer.from(m.segment.body)), `segment ${sessionId}/${windowId}/${seq} (gzip-json) is not byte-identical`);
    else assert.ok(gunzipSync(res.body).equals(Buffer.from(m.segment.body)), `segment ${sessionId}/${windowId}/${seq} (json) does not gunzip to the string sent`);
  });

}

interface SessionBody {
  sessionId: string;
  segments: number;
  hasReplay: boolean;
  windows: { windowId: string; segmentCount: number; gaps: unknown[]; segments: { seq: number; eventCount: number; hasFullSnapshot: boolean }[] }[];
}

type StreamLine = { type: 'start' | 'segment' | 'gap' | 'damaged' | 'error' | 'end'; seq?: number; events?: unknown[]; segments?: number; windowId?: string };

async function pool<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

/**
 * Checks through the query API of `baseUrl` that exactly `expected` is stored: every
 * segment readable byte-identical (gzip-json: the bytes as sent; json: gunzips to the
 * string as sent), each (session, window, seq) exactly once in the timeline, the
 * session's segment count right, and the events stream yielding every window's segments
 * in seq order with the events that were sent.
 */
export async function verifyStored(baseUrl: string, expected: Iterable<MadeSegment>, headers: Record<string, string> = {}): Promise<void> {
  const bySession = new Map<string, Map<string, MadeSegment[]>>();
  const all: MadeSegment[] = [];
  for (const m of expected) {
    all.push(m);
    const { sessionId, windowId } = m.segment.meta;
    let windows = bySession.get(sessionId);
    if (!windows) bySession.set(sessionId, (windows = new Map()));
    let list = windows.get(windowId);
    if (!list) windows.set(windowId, (list = []));
    list.push(m);
  }

  for (const [sessionId, windows] of bySession) {
    const res = await readApi(`${baseUrl}/api/v1/sessions/${sessionId}`, headers);
    assert.equal(res.status, 200, `GET session ${sessionId}: ${res.body.toString('utf8').slice(0, 300)}`);
    const summary = JSON.parse(res.body.toString('utf8')) as SessionBody;
    assert.equal(summary.sessionId, sessionId);
    assert.equal(summary.hasReplay, true, `session ${sessionId} should have a replay`);
    const expectedWindows = [...windows.keys()].sort();
    assert.deepEqual(summary.windows.map((w) => w.windowId).sort(), expectedWindows, `windows of ${sessionId}`);
    let total = 0;
    for (const w of summary.windows) {
      const want = [...new Set(windows.get(w.windowId)!.map((m) => m.segment.meta.seq))].sort((a, b) => a - b);
      // Exactly once each: no duplicate seq, nothing missing, nothing extra.
      assert.deepEqual(w.segments.map((s) => s.seq), want, `segment timeline of ${sessionId}/${w.windowId}`);
      assert.equal(w.segmentCount, want.length);
      total += want.length;
    }
    assert.equal(summary.segments, total, `summary.segments of ${sessionId} (the index counts each stored segment once)`);
  }

  await verifySegmentBytes(baseUrl, all, headers);

  for (const [sessionId, windows] of bySession) {
    for (const [windowId, list] of windows) {
      const byseq = new Map(list.map((m) => [m.segment.meta.seq, m]));
      const seqs = [...byseq.keys()].sort((a, b) => a - b);
      const res = await readApi(`${baseUrl}/api/v1/sessions/${sessionId}/events?window=${windowId}`, headers);
      assert.equal(res.status, 200, `GET events of ${sessionId}/${windowId}: ${res.body.toString('utf8').slice(0, 300)}`);
      const lines = res.body.toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as StreamLine);
      assert.equal(lines[0]!.type, 'start');
      assert.equal(lines.at(-1)!.type, 'end', `events of ${sessionId}/${windowId} must end with an end line`);
      const segmentLines = lines.filter((l) => l.type === 'segment');
      assert.deepEqual(lines.filter((l) => l.type === 'damaged' || l.type === 'error'), [], `no damaged segments in ${sessionId}/${windowId}`);
      assert.deepEqual(segmentLines.map((l) => l.seq), seqs, `events of ${sessionId}/${windowId} stream in seq order`);
      for (const l of segmentLines) assert.deepEqual(l.events, byseq.get(l.seq!)!.events, `events of ${sessionId}/${windowId}/${l.seq}`);
      assert.equal(lines.at(-1)!.segments, seqs.length);
    }
  }
}

/** The JSON summary of one session (for tests that look at counters). */
export async function getSession(baseUrl: string, sessionId: string): Promise<{ status: number; body: SessionBody }> {
  return getJson<SessionBody>(`${baseUrl}/api/v1/sessions/${sessionId}`);
}

/**
 * One "browser" per session, all at once: each sends its own segments in (window, seq)
 * order, `perRequest` per request, `pauseMs` apart, whatever the answers are (a real SDK
 * keeps recording; the test retries what was not acknowledged afterwards).
 */
export async function sendSessions(client: SegmentClient, made: readonly MadeSegment[], opts: { perRequest?: number; pauseMs?: number; timeoutMs?: number } = {}): Promise<void> {
  const bySession = new Map<string, MadeSegment[]>();
  for (const m of made) {
    const list = bySession.get(m.segment.meta.sessionId);
    if (list) list.push(m);
    else bySession.set(m.segment.meta.sessionId, [m]);
  }
  await Promise.all([...bySession.values()].map(async (segs) => {
    for (const batch of chunks(segs, opts.perRequest ?? 2)) {
      await client.send(batch, opts.timeoutMs ?? 30_000);
      if (opts.pauseMs) await new Promise((r) => setTimeout(r, opts.pauseMs));
    }
  }));
}
