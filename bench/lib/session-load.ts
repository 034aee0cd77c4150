// Load generator process for bench/load.ts and the receiver's load and fault tests:
// `node bench/lib/session-load.ts '<json SessionLoadSpec>'`. Simulates many browsers at
// the SDK's cadence: every [min, max] ms (jittered, sessions out of phase) a session
// flushes one replay segment and, now and then, a batch of browser events and one of
// fetch spans, each request gzipped whole as the SDK sends it. Like the SDK, a session
// sends one request at a time in order, resends the same bytes after a failure (waiting
// out Retry-After) and keeps recording meanwhile. Because of that order, what was
// acknowledged is a prefix per kind (segments 0..k-1, event batches 0..m-1, span batches
// 0..n-1, minus any the receiver refused for good), which is all a checker needs to know
// what must be stored (load-check.ts). Runs in its own process so it never competes
// with the receiver's event loop. Progress lines (JSON) go to stdout; the report is
// written as JSON to spec.reportFile.

import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { EventName } from '@otel-replay/protocol';
import { keepAliveAgent, post } from './http-client.ts';
import { eventsRequest, segmentRequest, spansRequest } from './otlp-request.ts';
import type { BrowserEvent, BrowserSpan, SessionIdentity } from './otlp-request.ts';
import { prng, segmentPool } from './rrweb-segments.ts';
import type { PooledSegment } from './rrweb-segments.ts';
import { percentile } from './stats.ts';

const gzip = promisify(gzipCallback);

export interface SessionLoadSpec {
  url: string;
  sessions: number;
  /** Sessions record (create new requests) for this long. */
  durationMs: number;
  /** Then what is still unacknowledged gets this long to be acknowledged. */
  drainMs: number;
  /** Pause between two flushes of one session, drawn uniformly from [min, max] ms. */
  intervalMs: [number, number];
  /** Share of flushes that also send a batch of events, and (independently) a batch of spans. */
  telemetryShare: number;
  /** Id prefix that keeps sessions of different runs apart. */
  runId: string;
  poolSize: number;
  seed: number;
  timeoutMs: number;
  /** Upper bound on one wait between retries, whatever Retry-After says. */
  maxRetryWaitMs: number;
  /** Record every answer as [wall ms, status, kind index in KINDS, latency ms] (fault tests: when did acks stop and resume). */
  timeline: boolean;
  reportFile: string;
  /** Extra request headers (e.g. a write key). */
  headers?: Record<string, string>;
}

export const KINDS = ['segment', 'events', 'spans'] as const;
export type Kind = (typeof KINDS)[number];

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

export interface SessionLoadReport {
  runId: string;
  sessions: number;
  /** Wall-clock ms (Date.now()) when recording started and when the last answer came. */
  startedAt: number;
  endedAt: number;
  recordingMs: number;
  /** Per session, per kind: items created, and the prefix of them answered for good: acknowledged, except those in `refused`. */
  created: Record<Kind, number[]>;
  acked: Record<Kind, number[]>;
  /** Items answered 200 with a partial-success rejection, or with a non-retryable 4xx: `kind:session:n`. */
  refused: string[];
  /** Items still unacknowledged when the drain time ran out. */
  unackedLeft: number;
  /** Every answer, by kind and HTTP status ("0" = no answer: refused connection, reset, timeout). */
  statuses: Record<Kind, Record<string, number>>;
  /** 429/503 answers without a Retry-After header (the OTLP spec asks for one). */
  missingRetryAfter: number;
  firstFailure: string | null;
  /** Latency of acknowledged (200) requests: request start to end of response. */
  latency: Record<Kind, LatencySummary>;
  /** Milliseconds from a segment's creation to its acknowledgement, retries included. */
  segmentAckDelay: LatencySummary;
  requestsSent: number;
  /** Body bytes on the wire (gzip) of acknowledged requests, and of every request sent. */
  ackedWireBytes: number;
  sentWireBytes: number;
  /** gzip rrweb bytes of acknowledged segments (before base64, OTLP framing and request gzip). */
  ackedSegmentBytes: number;
  /** CPU the generator itself used per second of wall time (1 = a core): near 1 means it, not the server, set the pace. */
  generatorCpu: number;
  timeline?: [number, number, number, number][];
}

export function sessionId(runId: string, i: number): string {
  return `${runId}-s${i}`;
}

export function identity(runId: string, i: number): SessionIdentity {
  return { sessionId: sessionId(runId, i), windowId: `w${i}` };
}

/** The pooled segment session `i` sends as `seq`: seq 0 starts with a full snapshot, as a recording does. */
export function pooledFor(pool: readonly PooledSegment[], i: number, seq: number): PooledSegment {
  const fullCount = Math.max(1, Math.ceil(pool.length / 4));
  return seq === 0 ? pool[i % fullCount]! : pool[(i * 7 + seq) % pool.length]!;
}

/** The events of batch `n` of session `i`: a page view first, then clicks and console lines; bodies unique per run. */
export function eventBatch(runId: string, i: number, n: number): BrowserEvent[] {
  const rand = prng(i * 100_003 + n * 7919 + 1);
  const url = `https://shop.example/p/${n % 7}`;
  if (n === 0) return [{ eventName: EventName.pageView, body: `${sessionId(runId, i)} e0.0 page view`, attributes: { 'url.full': url, 'replay.page.title': 'Shop' } }];
  const count = 1 + Math.floor(rand() * 3);
  return Array.from({ length: count }, (_, k): BrowserEvent => {
    const body = `${sessionId(runId, i)} e${n}.${k}`;
    if (rand() < 0.7) return { eventName: EventName.click, body: `${body} click`, attributes: { 'url.full': url, 'replay.click.selector': `main > button:nth-child(${1 + (k % 4)})` } };
    return { eventName: EventName.console, body: `${body} console`, attributes: { 'url.full': url, 'replay.console.level': rand() < 0.2 ? 'error' : 'info' } };
  });
}

/** The spans of batch `n` of session `i`: one or two fetches, ids derived from (run, session, batch, k). */
export function spanBatch(runId: string, i: number, n: number): BrowserSpan[] {
  const count = 1 + ((i + n) % 2);
  return Array.from({ length: count }, (_, k) => {
    const hex = createHash('sha256').update(`${runId}/${i}/${n}/${k}`).digest('hex');
    return { traceId: hex.slice(0, 32), spanId: hex.slice(32, 48), name: 'GET', durationMs: 20 + ((n * 13 + k) % 200), attributes: { 'http.request.method': 'GET', 'url.full': `https://api.shop.example/items/${n}`, 'http.response.status_code': 200 } };
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** An OTLP 200 can still refuse records (partial success); those are not acknowledged. */
function refusedInBody(body: string): boolean {
  return /"rejected(LogRecords|Spans)"\s*:\s*"?[1-9]/.test(body);
}

function summarize(values: number[]): LatencySummary {
  const sum = values.reduce((a, b) => a + b, 0);
  return {
    count: values.length,
    p50Ms: percentile(values, 50),
    p99Ms: percentile(values, 99),
    maxMs: values.length ? values.reduce((a, b) => Math.max(a, b), -Infinity) : Number.NaN,
    meanMs: values.length ? sum / values.length : Number.NaN,
  };
}

interface Item {
  kind: Kind;
  /** seq for a segment, batch number for events and spans. */
  n: number;
  createdAt: number;
  body?: Buffer;
  segmentBytes: number;
}

const PATHS: Record<Kind, string> = { segment: '/v1/logs', events: '/v1/logs', spans: '/v1/traces' };

export async function generateSessionLoad(spec: SessionLoadSpec): Promise<SessionLoadReport> {
  const pool = segmentPool(spec.poolSize, spec.seed);
  const urls: Record<Kind, URL> = { segment: new URL(PATHS.segment, spec.url), events: new URL(PATHS.events, spec.url), spans: new URL(PATHS.spans, spec.url) };
  const agent = keepAliveAgent(Math.min(spec.sessions, 2048));
  const rand = prng(spec.seed * 31 + spec.sessions);
  const [minMs, maxMs] = spec.intervalMs;
  const interval = () => minMs + rand() * (maxMs - minMs);
  const perKind = (): Record<Kind, number[]> => ({ segment: new Array<number>(spec.sessions).fill(0), events: new Array<number>(spec.sessions).fill(0), spans: new Array<number>(spec.sessions).fill(0) });
  const created = perKind();
  const acked = perKind();
  const statuses: Record<Kind, Record<string, number>> = { segment: {}, events: {}, spans: {} };
  const latencies: Record<Kind, number[]> = { segment: [], events: [], spans: [] };
  const ackDelays: number[] = [];
  const refused: string[] = [];
  const timeline: [number, number, number, number][] = [];
  const headers = { ...(spec.headers ?? {}), 'content-encoding': 'gzip' };
  let missingRetryAfter = 0;
  let firstFailure: string | null = null;
  let requestsSent = 0;
  let ackedWireBytes = 0;
  let sentWireBytes = 0;
  let ackedSegmentBytes = 0;
  let unackedLeft = 0;
  let endedAt = Date.now();

  const startedAt = Date.now();
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  const recordUntil = started + spec.durationMs;
  const giveUpAt = recordUntil + spec.drainMs;

  const build = async (i: number, item: Item): Promise<Buffer> => {
    const who = identity(spec.runId, i);
    let json: Buffer;
    if (item.kind === 'segment') {
      const pooled = pooledFor(pool, i, item.n);
      item.segmentBytes = pooled.gzip.length;
      // As the SDK's: the segment covers the time since the previous flush (the index sees current times).
      const now = Date.now();
      const span = Math.min(pooled.meta.lastTimestamp - pooled.meta.firstTimestamp, minMs);
      json = segmentRequest(who, item.n, pooled, now, { firstTimestamp: now - span, lastTimestamp: now });
    } else if (item.kind === 'events') {
      json = eventsRequest(who, eventBatch(spec.runId, i, item.n), Date.now());
    } else {
      json = spansRequest(who, spanBatch(spec.runId, i, item.n), Date.now());
    }
    return gzip(json);
  };

  /** Sends `item` until it is acknowledged or refused for good, or the drain time runs out. */
  const deliver = async (i: number, item: Item): Promise<'acked' | 'refused' | 'gave up'> => {
    item.body ??= await build(i, item);
    for (;;) {
      if (performance.now() > giveUpAt) return 'gave up';
      requestsSent++;
      sentWireBytes += item.body.length;
      const res = await post(agent, urls[item.kind], item.body, spec.timeoutMs, headers);
      endedAt = Date.now();
      const counts = statuses[item.kind];
      counts[res.status] = (counts[res.status] ?? 0) + 1;
      if (spec.timeline) timeline.push([endedAt, res.status, KINDS.indexOf(item.kind), Math.round(res.ms)]);
      if (res.status === 200) {
        if (refusedInBody(res.body)) {
          refused.push(`${item.kind}:${i}:${item.n}`);
          firstFailure ??= `${item.kind} ${sessionId(spec.runId, i)}/${item.n}: 200 with rejection: ${res.body.slice(0, 300)}`;
          return 'refused';
        }
        latencies[item.kind].push(res.ms);
        ackedWireBytes += item.body.length;
        if (item.kind === 'segment') {
          ackedSegmentBytes += item.segmentBytes;
          ackDelays.push(performance.now() - item.createdAt);
        }
        return 'acked';
      }
      firstFailure ??= `${item.kind} ${sessionId(spec.runId, i)}/${item.n}: HTTP ${res.status}: ${res.body.slice(0, 300)}`;
      const retryable = res.status === 0 || res.status === 429 || res.status === 502 || res.status === 503 || res.status === 504;
      if (!retryable) {
        // The SDK drops what the receiver says can never be accepted (400, 401, 413...).
        refused.push(`${item.kind}:${i}:${item.n}`);
        return 'refused';
      }
      let waitMs = 500;
      if (res.status === 429 || res.status === 503) {
        const seconds = Number(res.retryAfter);
        if (res.retryAfter === undefined || !Number.isFinite(seconds)) missingRetryAfter++;
        else waitMs = seconds * 1000;
      }
      // Jittered, so the sessions refused together do not come back together.
      await sleep(Math.min(waitMs, spec.maxRetryWaitMs) * (0.75 + rand() * 0.5));
    }
  };

  const session = async (i: number): Promise<void> => {
    const queue: Item[] = [];
    let recording = true;
    // Held in an object: TypeScript does not see a closure assign a plain `let`.
    const sender: { wake: (() => void) | null } = { wake: null };
    const push = (kind: Kind) => {
      queue.push({ kind, n: created[kind][i]!++, createdAt: performance.now(), segmentBytes: 0 });
    };
    const recorder = (async () => {
      // In steady state sessions are out of phase: the first flush falls anywhere in one interval.
      let due = started + rand() * interval();
      while (due < recordUntil) {
        await sleep(due - performance.now());
        push('segment');
        if (rand() < spec.telemetryShare || created.events[i] === 0) push('events');
        if (rand() < spec.telemetryShare) push('spans');
        sender.wake?.();
        due += interval();
      }
      recording = false;
      sender.wake?.();
    })();
    while (recording || queue.length > 0) {
      if (queue.length === 0) {
        await new Promise<void>((resolve) => {
          sender.wake = resolve;
        });
        sender.wake = null;
        continue;
      }
      const item = queue[0]!;
      const outcome = await deliver(i, item);
      if (outcome === 'gave up') break;
      queue.shift();
      // Refused items leave a hole the checker knows about (report.refused); the prefix goes on.
      acked[item.kind][i] = item.n + 1;
    }
    await recorder;
    unackedLeft += queue.length;
  };

  const progress = setInterval(() => {
    const ackedSegments = acked.segment.reduce((a, b) => a + b, 0);
    process.stdout.write(`${JSON.stringify({ progress: { atMs: Date.now(), sent: requestsSent, ackedSegments, createdSegments: created.segment.reduce((a, b) => a + b, 0) } })}\n`);
  }, 1000);
  try {
    await Promise.all(Array.from({ length: spec.sessions }, (_, i) => session(i)));
  } finally {
    clearInterval(progress);
    agent.destroy();
  }
  return {
    runId: spec.runId,
    sessions: spec.sessions,
    startedAt,
    endedAt,
    recordingMs: spec.durationMs,
    created,
    acked,
    refused,
    unackedLeft,
    statuses,
    missingRetryAfter,
    firstFailure,
    latency: { segment: summarize(latencies.segment), events: summarize(latencies.events), spans: summarize(latencies.spans) },
    segmentAckDelay: summarize(ackDelays),
    requestsSent,
    ackedWireBytes,
    sentWireBytes,
    ackedSegmentBytes,
    generatorCpu: ((cpu) => (cpu.user + cpu.system) / 1000 / Math.max(1, performance.now() - started))(process.cpuUsage(cpuAtStart)),
    ...(spec.timeline ? { timeline } : {}),
  };
}

if (import.meta.main) {
  const raw = process.argv[2];
  if (!raw) {
    process.stderr.write('usage: node bench/lib/session-load.ts \'{"url":"http://127.0.0.1:PORT","sessions":200,...,"reportFile":"/tmp/report.json"}\'\n');
    process.exit(2);
  }
  const spec = JSON.parse(raw) as SessionLoadSpec;
  const report = await generateSessionLoad(spec);
  writeFileSync(spec.reportFile, JSON.stringify(report));
  process.stdout.write(`${JSON.stringify({ done: true })}\n`);
}
