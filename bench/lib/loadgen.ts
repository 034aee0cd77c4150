// Load generator process for bench/ingest.ts: `node bench/lib/loadgen.ts '<json LoadSpec>'`.
// Simulates many browser sessions, each posting replay segments back to back (closed
// loop, one keep-alive connection per session, seq incremented on every acknowledged
// segment, the same seq retried after a 429/503/error as the SDK does). Runs in its own
// process (pinned to another core by the caller) so it never competes with the server it
// measures. Prints one JSON LoadReport line on stdout; progress goes to stderr.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { keepAliveAgent, post } from './http-client.ts';
import { segmentRequest } from './otlp-request.ts';
import { segmentPool } from './rrweb-segments.ts';
import { percentile } from './stats.ts';

export interface LoadSpec {
  url: string;
  sessions: number;
  /** Requests completing in this window count for throughput and latency. */
  durationMs: number;
  /** Requests before the window warm the JIT and caches up; stored but not measured. */
  warmupMs: number;
  /** Id prefix that keeps sessions of different runs apart. */
  runId: string;
  poolSize: number;
  seed: number;
  /** Per-request timeout; also bounds how long in-flight requests are waited for at the end. */
  timeoutMs: number;
  /** The server's pid, to measure how busy its core was during the window (Linux /proc). */
  serverPid?: number;
}

export interface LoadReport {
  sessions: number;
  windowMs: number;
  /** Acknowledged requests that completed inside the measurement window. */
  requests: number;
  requestBytes: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  /** Acknowledged segments per session over the whole run (warm-up and drain included). */
  ackedPerSession: number[];
  ackedTotal: number;
  ackedBytes: number;
  /** Requests sent, acknowledged or not. */
  sent: number;
  /** Non-acknowledgements by HTTP status (0 = network error or timeout). */
  failures: Record<string, number>;
  firstFailure: string | null;
  meanSegmentBytes: number;
  /** CPU time used during the window per second of window: 1 = one core fully busy. */
  serverCpu: number | null;
  loadgenCpu: number;
}

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;

/** User + system CPU seconds a process has used so far, or null where /proc is missing. */
export function cpuSecondsOf(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** An OTLP 200 can still refuse records (partial success); those are not acknowledged. */
function refusedInBody(body: string): boolean {
  return /"rejectedLogRecords"\s*:\s*"?[1-9]/.test(body);
}

export async function generateLoad(spec: LoadSpec): Promise<LoadReport> {
  const pool = segmentPool(spec.poolSize, spec.seed);
  const url = new URL('/v1/logs', spec.url);
  const agent = keepAliveAgent(spec.sessions);
  const latencies: number[] = [];
  const failures: Record<string, number> = {};
  let firstFailure: string | null = null;
  let requests = 0;
  let requestBytes = 0;
  let sent = 0;
  let ackedBytes = 0;
  let segmentBytes = 0;
  const acked = new Array<number>(spec.sessions).fill(0);

  const t0 = performance.now();
  const windowStart = t0 + spec.warmupMs;
  const windowEnd = windowStart + spec.durationMs;
  const fullCount = Math.max(1, Math.ceil(spec.poolSize / 4));

  const session = async (i: number) => {
    const who = { sessionId: `${spec.runId}-s${i}`, windowId: `w${i}` };
    // Sessions start a little apart, as real ones do, instead of in one burst.
    await sleep((i / spec.sessions) * Math.min(200, spec.warmupMs));
    while (performance.now() < windowEnd) {
      const seq = acked[i]!;
      // seq 0 starts with a full snapshot; later segments are mostly incremental.
      const pooled = seq === 0 ? pool[i % fullCount]! : pool[(i * 7 + seq) % pool.length]!;
      const body = segmentRequest(who, seq, pooled, Date.now());
      sent++;
      const res = await post(agent, url, body, spec.timeoutMs);
      const end = performance.now();
      if (res.status === 200 && !refusedInBody(res.body)) {
        acked[i] = seq + 1;
        ackedBytes += body.length;
        if (end >= windowStart && end <= windowEnd) {
          requests++;
          requestBytes += body.length;
          segmentBytes += pooled.gzip.length;
          latencies.push(res.ms);
        }
        continue;
      }
      const key = String(res.status);
      failures[key] = (failures[key] ?? 0) + 1;
      firstFailure ??= `HTTP ${res.status}: ${res.body.slice(0, 300)}`;
      await sleep(res.status === 429 || res.status === 503 ? 500 : 200);
    }
  };

  // CPU use of both sides over exactly the measurement window.
  let serverCpuStart: number | null = null;
  let serverCpuEnd: number | null = null;
  let ownCpuStart = process.cpuUsage();
  let ownCpu = 0;
  const windowTimers = [
    setTimeout(() => {
      serverCpuStart = cpuSecondsOf(spec.serverPid);
      ownCpuStart = process.cpuUsage();
    }, windowStart - performance.now()),
    setTimeout(() => {
      serverCpuEnd = cpuSecondsOf(spec.serverPid);
      const used = process.cpuUsage(ownCpuStart);
      ownCpu = (used.user + used.system) / 1e6;
    }, windowEnd - performance.now()),
  ];

  const progress = setInterval(() => process.stderr.write(`  loadgen: ${sent} sent, ${requests} measured\n`), 5000);
  progress.unref();
  try {
    await Promise.all(Array.from({ length: spec.sessions }, (_, i) => session(i)));
  } finally {
    clearInterval(progress);
    for (const t of windowTimers) clearTimeout(t);
    agent.destroy();
  }
  const sum = latencies.reduce((a, b) => a + b, 0);
  return {
    sessions: spec.sessions,
    windowMs: spec.durationMs,
    requests,
    requestBytes,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    meanMs: latencies.length ? sum / latencies.length : Number.NaN,
    ackedPerSession: acked,
    ackedTotal: acked.reduce((a, b) => a + b, 0),
    ackedBytes,
    sent,
    failures,
    firstFailure,
    meanSegmentBytes: requests ? segmentBytes / requests : Number.NaN,
    serverCpu: serverCpuStart !== null && serverCpuEnd !== null ? (serverCpuEnd - serverCpuStart) / (spec.durationMs / 1000) : null,
    loadgenCpu: ownCpu / (spec.durationMs / 1000),
  };
}

if (import.meta.main) {
  const raw = process.argv[2];
  if (!raw) {
    process.stderr.write('usage: node bench/lib/loadgen.ts \'{"url":"http://127.0.0.1:PORT","sessions":200,...}\'\n');
    process.exit(2);
  }
  const spec = JSON.parse(raw) as LoadSpec;
  const report = await generateLoad(spec);
  process.stdout.write(`${JSON.stringify(report)}\n`);
}
