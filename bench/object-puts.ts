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
import { parseIntervalArg } from './lib/args.ts';
import { createReceiver } from '../receiver/src/app.ts';
import { loadConfig } from '../receiver/src/config.ts';
import path from 'node:path';
import type { PacedReport, PacedSpec } from './lib/paced-load.ts';
import { removeTempDir, runPinnedJson, tempDir } from './lib/processes.ts';
import { formatNumber } from './lib/stats.ts';
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
  load: PacedReport;
  objects: number;
  objectFiles: number;
  segmentsWritten: number;
  bytesWritten: number;
}

function countFiles(dir: string, suffix: string): number {
  let n = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) if (entry.isFile() && entry.name.endsWith(suffix)) n++;
  return n;
}

async function runLevel(sessions: number, durationMs: number, intervalMs: [number, number]): Promise<LevelOutcome> {
  const dataDir = tempDir(`puts-${sessions}`);
  const config = loadConfig({ env: {}, overrides: { dataDir, server: { port: 0, logLevel: 'silent' }, instanceId: 'bench-puts' } });
  const receiver = await createReceiver(config);
  try {
    const address = await receiver.app.listen({ host: '127.0.0.1', port: 0 });
    const spec: PacedSpec = { url: address, sessions, durationMs, intervalMs, runId: `puts-${sessions}-${Date.now().toString(36)}`, poolSize: 16, seed: 11 };
    // The sessions run in their own process so this one's event loop serves only the receiver.
    const load = await runPinnedJson<PacedReport>('paced load generator', null, [path.join(import.meta.dirname, 'lib', 'paced-load.ts'), JSON.stringify(spec)], durationMs + 120_000);
    // Everything acknowledged is already durable; flush only to be sure the counts are final.
    await receiver.services.committer.flush();
    const stats = receiver.services.committer.stats();
    return {
      load,
      objects: stats.objectsWritten,
      objectFiles: countFiles(config.storage.filesystem.dir, '.orp'),
      segmentsWritten: stats.segmentsWritten,
      bytesWritten: stats.bytesWritten,
    };
  } finally {
    await receiver.close();
    removeTempDir(dataDir);
  }
}

export async function run(options: ObjectPutsOptions): Promise<BenchResult[]> {
  const durationMs = (options.seconds ?? (options.quick ? 5 : 10)) * 1000;
  const intervalMs = options.intervalMs ?? [2000, 5000];
  const levels = options.levels ?? LEVELS;
  const results: BenchResult[] = [];
  for (const sessions of levels) {
    process.stderr.write(`${NAME}: ${sessions} sessions, one segment each every ${intervalMs[0]}–${intervalMs[1]} ms, for ${durationMs / 1000} s\n`);
    const o = await runLevel(sessions, durationMs, intervalMs);
    const l = o.load;
    const benchmark = `${NAME} (${sessions} sessions)`;
    const consistent = o.objects === o.objectFiles && o.segmentsWritten === l.acked && l.failed === 0;
    const check = `${o.segmentsWritten} segments stored of ${l.acked} acknowledged (${l.failed} failed${l.firstFailure ? `, first: ${l.firstFailure}` : ''}); ` +
      `${o.objects} objects by committer stats, ${o.objectFiles} .orp files on disk`;
    process.stderr.write(`  ${NAME}: ${check}; acknowledged in ${formatNumber(l.p50Ms)} ms p50, ${formatNumber(l.p99Ms)} ms p99; sends ${formatNumber(l.meanLateMs)} ms late on average\n`);
    results.push(
      { benchmark, metric: 'segments stored', ours: o.segmentsWritten, baseline: l.acked, unit: 'segments', note: check, check: consistent ? 'pass' : 'fail' },
      {
        benchmark,
        metric: 'object PUTs',
        ours: o.objects,
        baseline: o.segmentsWritten,
        unit: 'PUTs',
        note: `${formatNumber(o.segmentsWritten / (l.elapsedMs / 1000))} segments/s, ack p50 ${formatNumber(l.p50Ms)} ms p99 ${formatNumber(l.p99Ms)} ms, ${formatNumber(o.objects ? o.segmentsWritten / o.objects : 0)} segments and ${formatNumber(o.objects ? o.bytesWritten / o.objects / 1024 : 0)} KiB per object`,
      },
      { benchmark, metric: 'PUTs per segment', ours: o.segmentsWritten ? o.objects / o.segmentsWritten : Number.NaN, baseline: 1, unit: 'PUT/seg' },
    );
  }
  return results;
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' }, seconds: { type: 'string' }, 'interval-ms': { type: 'string' }, sessions: { type: 'string' } } });
  const intervalMs = parseIntervalArg(values['interval-ms']);
  const results = await run({
    quick: values.quick ?? false,
    ...(values.seconds ? { seconds: Number(values.seconds) } : {}),
    ...(intervalMs ? { intervalMs } : {}),
    ...(values.sessions ? { levels: values.sessions.split(',').map(Number) } : {}),
  });
  printTable(results);
  if (results.some((r) => r.check === 'fail')) process.exitCode = 1;
}
