// Benchmark: object PUTs per stored segment, the cost group commit exists to cut. For
// 10, 100 and 1000 concurrent browser sessions, a receiver (in-process, filesystem store,
// SQLite index, default group commit: 1000 ms or 4 MiB) takes segments at the rate the
// SDK sends them — one per session every 2–5 s, jittered, sessions out of phase — and we
// count the objects it wrote (committer stats, cross-checked against .orp files on disk).
// The baseline is the naive design: one PUT per segment.
//
// Run alone: `node bench/object-puts.ts [--quick] [--seconds S] [--interval-ms MIN-MAX]`.

import { readdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createReceiver } from '../receiver/src/app.ts';
import { loadConfig } from '../receiver/src/config.ts';
import { keepAliveAgent, post } from './lib/http-client.ts';
import { segmentRequest } from './lib/otlp-request.ts';
import { removeTempDir, tempDir } from './lib/processes.ts';
import { prng, segmentPool } from './lib/rrweb-segments.ts';
import type { PooledSegment } from './lib/rrweb-segments.ts';
import { formatNumber, percentile } from './lib/stats.ts';
import { printTable } from './lib/table.ts';
import type { BenchOptions, BenchResult } from './lib/types.ts';

const NAME = 'object-puts';
const LEVELS = [10, 100, 1000];

export interface ObjectPutsOptions extends BenchOptions {
  seconds?: number;
  /** Pause between two segments of one session, drawn uniformly from [min, max] ms. */
  intervalMs?: [number, number];
  levels?: number[];
}

interface LevelOutcome {
  sessions: number;
  acked: number;
  failed: number;
  firstFailure: string | null;
  objects: number;
  objectFiles: number;
  segmentsWritten: number;
  bytesWritten: number;
  elapsedMs: number;
  /** Mean ms a send started after it was due (the event loop falling behind). */
  meanLateMs: number;
  p50Ms: number;
  p99Ms: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

function countFiles(dir: string, suffix: string): number {
  let n = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) if (entry.isFile() && entry.name.endsWith(suffix)) n++;
  return n;
}

async function runLevel(sessions: number, pool: PooledSegment[], durationMs: number, [minMs, maxMs]: [number, number]): Promise<LevelOutcome> {
  const dataDir = tempDir(`puts-${sessions}`);
  const config = loadConfig({ env: {}, overrides: { dataDir, server: { port: 0, logLevel: 'silent' }, instanceId: 'bench-puts' } });
  const receiver = await createReceiver(config);
  const agent = keepAliveAgent(Math.min(sessions, 512));
  try {
    const address = await receiver.app.listen({ host: '127.0.0.1', port: 0 });
    const url = new URL('/v1/logs', address);
    const rand = prng(sessions);
    const runId = `puts-${sessions}-${Date.now().toString(36)}`;
    const fullCount = Math.max(1, Math.ceil(pool.length / 4));
    let acked = 0;
    let failed = 0;
    let firstFailure: string | null = null;
    let late = 0;
    let sends = 0;
    const latencies: number[] = [];
    const started = performance.now();
    const deadline = started + durationMs;

    const session = async (i: number) => {
      const who = { sessionId: `${runId}-s${i}`, windowId: `w${i}` };
      let seq = 0;
      const interval = () => minMs + rand() * (maxMs - minMs);
      // Sessions in steady state are out of phase: the first send falls anywhere in one interval.
      let due = started + rand() * interval();
      while (due < deadline) {
        await sleep(due - performance.now());
        late += performance.now() - due;
        sends++;
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
        due += interval();
      }
    };
    await Promise.all(Array.from({ length: sessions }, (_, i) => session(i)));
    const elapsedMs = performance.now() - started;
    // Everything acknowledged is already durable; flush only to be sure the counts are final.
    await receiver.services.committer.flush();
    const stats = receiver.services.committer.stats();
    return {
      sessions,
      acked,
      failed,
      firstFailure,
      objects: stats.objectsWritten,
      objectFiles: countFiles(config.storage.filesystem.dir, '.orp'),
      segmentsWritten: stats.segmentsWritten,
      bytesWritten: stats.bytesWritten,
      elapsedMs,
      meanLateMs: sends ? late / sends : 0,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
    };
  } finally {
    agent.destroy();
    await receiver.close();
    removeTempDir(dataDir);
  }
}

export async function run(options: ObjectPutsOptions): Promise<BenchResult[]> {
  const durationMs = (options.seconds ?? (options.quick ? 5 : 10)) * 1000;
  const intervalMs = options.intervalMs ?? [2000, 5000];
  const levels = options.levels ?? LEVELS;
  const pool = segmentPool(16, 11);
  const results: BenchResult[] = [];
  for (const sessions of levels) {
    process.stderr.write(`${NAME}: ${sessions} sessions, one segment each every ${intervalMs[0]}–${intervalMs[1]} ms, for ${durationMs / 1000} s\n`);
    const o = await runLevel(sessions, pool, durationMs, intervalMs);
    const benchmark = `${NAME} (${sessions} sessions)`;
    const consistent = o.objects === o.objectFiles && o.segmentsWritten === o.acked && o.failed === 0;
    const check = `${o.segmentsWritten} segments stored of ${o.acked} acknowledged (${o.failed} failed${o.firstFailure ? `, first: ${o.firstFailure}` : ''}); ` +
      `${o.objects} objects by committer stats, ${o.objectFiles} .orp files on disk`;
    process.stderr.write(`  ${NAME}: ${check}; acknowledged in ${formatNumber(o.p50Ms)} ms p50, ${formatNumber(o.p99Ms)} ms p99; sends ${formatNumber(o.meanLateMs)} ms late on average\n`);
    results.push(
      { benchmark, metric: 'segments stored', ours: o.segmentsWritten, baseline: o.acked, unit: 'segments', note: check, check: consistent ? 'pass' : 'fail' },
      {
        benchmark,
        metric: 'object PUTs',
        ours: o.objects,
        baseline: o.segmentsWritten,
        unit: 'PUTs',
        note: `${formatNumber(o.segmentsWritten / (o.elapsedMs / 1000))} segments/s, ${formatNumber(o.objects ? o.segmentsWritten / o.objects : 0)} segments and ${formatNumber(o.objects ? o.bytesWritten / o.objects / 1024 : 0)} KiB per object`,
      },
      { benchmark, metric: 'PUTs per segment', ours: o.segmentsWritten ? o.objects / o.segmentsWritten : Number.NaN, baseline: 1, unit: 'PUT/seg' },
    );
  }
  return results;
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' }, seconds: { type: 'string' }, 'interval-ms': { type: 'string' }, sessions: { type: 'string' } } });
  let intervalMs: [number, number] | undefined;
  if (values['interval-ms']) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(values['interval-ms']);
    if (!m) throw new Error(`--interval-ms must be MS or MIN-MAX (e.g. 2000-5000), got ${JSON.stringify(values['interval-ms'])}`);
    intervalMs = [Number(m[1]), Number(m[2] ?? m[1])];
  }
  const results = await run({
    quick: values.quick ?? false,
    ...(values.seconds ? { seconds: Number(values.seconds) } : {}),
    ...(intervalMs ? { intervalMs } : {}),
    ...(values.sessions ? { levels: values.sessions.split(',').map(Number) } : {}),
  });
  printTable(results);
  if (results.some((r) => r.check === 'fail')) process.exitCode = 1;
}
