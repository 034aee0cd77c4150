// Paced load generator for bench/object-puts.ts: `node bench/lib/paced-load.ts '<json PacedSpec>'`.
// Simulates browser sessions at the SDK's real rate: each session sends one segment every
// [min, max] ms (uniformly jittered), sessions out of phase, seq incremented on every
// acknowledgement. Runs in its own process so the receiver's event loop serves only
// the receiver. Prints one JSON PacedReport line on stdout.

import { keepAliveAgent, post } from './http-client.ts';
import { segmentRequest } from './otlp-request.ts';
import { prng, segmentPool } from './rrweb-segments.ts';
import { percentile } from './stats.ts';

export interface PacedSpec {
  url: string;
  sessions: number;
  /** No segment is sent after this; in-flight ones are waited for. */
  durationMs: number;
  intervalMs: [number, number];
  runId: string;
  poolSize: number;
  seed: number;
}

export interface PacedReport {
  sessions: number;
  sent: number;
  acked: number;
  failed: number;
  firstFailure: string | null;
  elapsedMs: number;
  p50Ms: number;
  p99Ms: number;
  /** Mean ms a send started after it was due: large values mean this process fell behind. */
  meanLateMs: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

export async function pacedLoad(spec: PacedSpec): Promise<PacedReport> {
  const pool = segmentPool(spec.poolSize, spec.seed);
  const url = new URL('/v1/logs', spec.url);
  const agent = keepAliveAgent(Math.min(spec.sessions, 1024));
  const rand = prng(spec.seed * 31 + spec.sessions);
  const [minMs, maxMs] = spec.intervalMs;
  const interval = () => minMs + rand() * (maxMs - minMs);
  const fullCount = Math.max(1, Math.ceil(pool.length / 4));
  const latencies: number[] = [];
  let sent = 0;
  let acked = 0;
  let failed = 0;
  let late = 0;
  let firstFailure: string | null = null;
  const started = performance.now();
  const deadline = started + spec.durationMs;

  const session = async (i: number) => {
    const who = { sessionId: `${spec.runId}-s${i}`, windowId: `w${i}` };
    let seq = 0;
    // In steady state sessions are out of phase: the first send falls anywhere in one interval.
    let due = started + rand() * interval();
    while (due < deadline) {
      await sleep(due - performance.now());
      // Timers may fire a fraction of a millisecond early; that is not lateness.
      late += Math.max(0, performance.now() - due);
      sent++;
      const pooled = seq === 0 ? pool[i % fullCount]! : pool[(i * 7 + seq) % pool.length]!;
      const res = await post(agent, url, segmentRequest(who, seq, pooled, Date.now()), 30_000);
      latencies.push(res.ms);
      if (res.status === 200 && !/"rejectedLogRecords"\s*:\s*"?[1-9]/.test(res.body)) {
        acked++;
        seq++;
      } else {
        failed++;
        firstFailure ??= `HTTP ${res.status}: ${res.body.slice(0, 300)}`;
      }
      // The SDK flushes on its own timer, not after the previous acknowledgement.
      due += interval();
    }
  };
  try {
    await Promise.all(Array.from({ length: spec.sessions }, (_, i) => session(i)));
  } finally {
    agent.destroy();
  }
  return {
    sessions: spec.sessions,
    sent,
    acked,
    failed,
    firstFailure,
    elapsedMs: performance.now() - started,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    meanLateMs: sent ? late / sent : 0,
  };
}

if (import.meta.main) {
  const raw = process.argv[2];
  if (!raw) {
    process.stderr.write('usage: node bench/lib/paced-load.ts \'{"url":"http://127.0.0.1:PORT","sessions":100,...}\'\n');
    process.exit(2);
  }
  process.stdout.write(`${JSON.stringify(await pacedLoad(JSON.parse(raw) as PacedSpec))}\n`);
}
