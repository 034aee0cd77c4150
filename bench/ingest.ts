// Benchmark: replay ingest end to end on ONE core. The real receiver (`node
// receiver/src/main.ts`: fastify, OTLP/JSON decoding, gunzip check, group commit with the
// default 1000 ms window, filesystem object store with fsync, SQLite index) runs pinned to
// one CPU; a load generator pinned to another CPU drives it with many concurrent browser
// sessions posting segments exactly as the SDK does. The same load then hits a baseline
// server on the same CPU that only appends request bodies to a file. Afterwards every
// acknowledged segment is looked up through the query API.
//
// Run alone: `node bench/ingest.ts [--quick] [--sessions N] [--seconds S]`.

import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { LoadReport, LoadSpec } from './lib/loadgen.ts';
import { allowedCpus, freePort, removeTempDir, requireTaskset, runPinnedJson, spawnPinned, stopChild, tempDir, waitForHttp } from './lib/processes.ts';
import { getJson } from './lib/http-client.ts';
import { receiverEnv } from './lib/receiver-env.ts';
import { formatNumber } from './lib/stats.ts';
import { printTable } from './lib/table.ts';
import type { BenchOptions, BenchResult } from './lib/types.ts';

const root = path.resolve(import.meta.dirname, '..');
const NAME = 'ingest';

export interface IngestOptions extends BenchOptions {
  sessions?: number;
  seconds?: number;
}

interface Plan {
  serverCpu: number;
  loadCpu: number;
  spec: Omit<LoadSpec, 'url' | 'runId'>;
}

function plan(options: IngestOptions): Plan {
  requireTaskset();
  const cpus = allowedCpus();
  const serverCpu = cpus[0]!;
  const loadCpu = cpus[1] ?? cpus[0]!;
  if (loadCpu === serverCpu) process.stderr.write(`  ${NAME}: only CPU ${serverCpu} is available; server and load generator share it, figures will be low\n`);
  return {
    serverCpu,
    loadCpu,
    spec: {
      sessions: options.sessions ?? 200,
      durationMs: (options.seconds ?? (options.quick ? 3 : 10)) * 1000,
      warmupMs: options.quick ? 1000 : 2000,
      poolSize: 32,
      seed: 7,
      timeoutMs: 30_000,
    },
  };
}

function runLoad(p: Plan, url: string, runId: string, serverPid: number | undefined): Promise<LoadReport> {
  const spec: LoadSpec = { ...p.spec, url, runId, ...(serverPid !== undefined ? { serverPid } : {}) };
  const limit = spec.warmupMs + spec.durationMs + spec.timeoutMs + 60_000;
  return runPinnedJson<LoadReport>('load generator', p.loadCpu, [path.join(import.meta.dirname, 'lib', 'loadgen.ts'), JSON.stringify(spec)], limit);
}

function countFiles(dir: string, suffix: string): number {
  let n = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) if (entry.isFile() && entry.name.endsWith(suffix)) n++;
  return n;
}

interface WindowSummary { windows?: { segments?: { seq: number }[] }[] }

/** Acknowledged segments the query API knows, per session: seqs below the acknowledged count. */
async function storedSegments(url: string, runId: string, acked: number[]): Promise<{ found: number; missingSessions: string[] }> {
  let found = 0;
  const missingSessions: string[] = [];
  const ids = acked.map((_, i) => i).filter((i) => acked[i]! > 0);
  for (let at = 0; at < ids.length; at += 16) {
    await Promise.all(ids.slice(at, at + 16).map(async (i) => {
      const sessionId = `${runId}-s${i}`;
      const res = await getJson(new URL(`/api/v1/sessions/${encodeURIComponent(sessionId)}`, url));
      const seqs = new Set<number>();
      if (res.status === 200) for (const w of (res.json as WindowSummary).windows ?? []) for (const s of w.segments ?? []) if (s.seq < acked[i]!) seqs.add(s.seq);
      found += seqs.size;
      if (seqs.size < acked[i]!) missingSessions.push(`${sessionId} (${seqs.size} of ${acked[i]}, HTTP ${res.status})`);
    }));
  }
  return { found, missingSessions };
}

interface Side {
  load: LoadReport;
  /** Fraction of acknowledged data found stored afterwards (1 = all). */
  stored: number;
  check: string;
}

async function receiverSide(p: Plan): Promise<Side> {
  const dataDir = tempDir('ingest-receiver');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawnPinned('receiver', p.serverCpu, [path.join(root, 'receiver', 'src', 'main.ts')], receiverEnv(port, dataDir));
  try {
    await waitForHttp(`${url}/readyz`, child);
    const runId = `ingest-${Date.now().toString(36)}`;
    const load = await runLoad(p, url, runId, child.process.pid);
    const { found, missingSessions } = await storedSegments(url, runId, load.ackedPerSession);
    const code = await stopChild(child);
    if (code !== 0) process.stderr.write(`  ${NAME}: receiver exited with ${code ?? 'a signal'}:\n${child.stderr().slice(-1000)}\n`);
    const objects = countFiles(dataDir, '.orp');
    const check = `receiver stored ${found} of ${load.ackedTotal} acknowledged segments (${load.sessions} sessions, ${objects} objects)` +
      (missingSessions.length ? `; MISSING in ${missingSessions.length} sessions, e.g. ${missingSessions.slice(0, 3).join(', ')}` : '');
    return { load, stored: load.ackedTotal ? found / load.ackedTotal : 0, check };
  } finally {
    await stopChild(child, 5000);
    removeTempDir(dataDir);
  }
}

async function baselineSide(p: Plan): Promise<Side> {
  const dir = tempDir('ingest-baseline');
  const file = path.join(dir, 'bodies.bin');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawnPinned('baseline server', p.serverCpu, [path.join(import.meta.dirname, 'lib', 'baseline-server.ts'), String(port), file]);
  try {
    await waitForHttp(`${url}/`, child);
    const load = await runLoad(p, url, `baseline-${Date.now().toString(36)}`, child.process.pid);
    await stopChild(child);
    const size = statSync(file).size;
    const check = `baseline file holds ${size} of ${load.ackedBytes} acknowledged body bytes (${load.ackedTotal} requests)`;
    return { load, stored: load.ackedBytes ? size / load.ackedBytes : 0, check };
  } finally {
    await stopChild(child, 5000);
    removeTempDir(dir);
  }
}

function failures(load: LoadReport): string {
  const entries = Object.entries(load.failures);
  if (entries.length === 0) return 'no failed requests';
  return `failed requests: ${entries.map(([s, n]) => `${n}× ${s === '0' ? 'network error/timeout' : `HTTP ${s}`}`).join(', ')}; first: ${load.firstFailure}`;
}

export async function run(options: IngestOptions): Promise<BenchResult[]> {
  const p = plan(options);
  const benchmark = `${NAME} (1 core, ${p.spec.sessions} sessions, ${p.spec.durationMs / 1000} s)`;
  process.stderr.write(`${NAME}: receiver on CPU ${p.serverCpu}, load generator on CPU ${p.loadCpu}\n`);
  const ours = await receiverSide(p);
  process.stderr.write(`  ${NAME}: ${ours.check}; ${failures(ours.load)}\n`);
  const base = await baselineSide(p);
  process.stderr.write(`  ${NAME}: ${base.check}; ${failures(base.load)}\n`);

  const secs = p.spec.durationMs / 1000;
  const rate = (s: Side) => s.load.requests / secs;
  const mbps = (s: Side) => s.load.requestBytes / 1e6 / secs;
  const segKb = formatNumber(ours.load.meanSegmentBytes / 1024);
  return [
    { benchmark, metric: 'requests/s', ours: rate(ours), baseline: rate(base), unit: 'req/s', note: failures(ours.load) },
    { benchmark, metric: 'segments/s', ours: rate(ours), baseline: rate(base), unit: 'seg/s', note: `one segment per request, ${segKb} KiB gzip on average` },
    { benchmark, metric: 'request bodies', ours: mbps(ours), baseline: mbps(base), unit: 'MB/s' },
    { benchmark, metric: 'latency p50', ours: ours.load.p50Ms, baseline: base.load.p50Ms, unit: 'ms', note: 'ours includes waiting for the group commit (<= 1000 ms or 4 MiB)' },
    { benchmark, metric: 'latency p99', ours: ours.load.p99Ms, baseline: base.load.p99Ms, unit: 'ms' },
    {
      benchmark,
      metric: 'server CPU busy',
      ours: ours.load.serverCpu ?? Number.NaN,
      baseline: base.load.serverCpu,
      unit: 'cores',
      note: `1 = the pinned core was saturated; load generator used ${formatNumber(ours.load.loadgenCpu)} / ${formatNumber(base.load.loadgenCpu)} of its core (ours / baseline run)`,
    },
    {
      benchmark,
      metric: 'server CPU per segment',
      ours: ours.load.serverCpu !== null && rate(ours) > 0 ? (ours.load.serverCpu * 1000) / rate(ours) : Number.NaN,
      baseline: base.load.serverCpu !== null && rate(base) > 0 ? (base.load.serverCpu * 1000) / rate(base) : null,
      unit: 'ms',
      note: 'CPU time of the server process (all threads) per acknowledged segment; independent of how saturated each side was',
    },
    { benchmark, metric: 'acknowledged data found stored', ours: ours.stored, baseline: base.stored, unit: 'fraction', note: `${ours.check}; ${base.check}`, check: ours.stored >= 1 && base.stored >= 1 ? 'pass' : 'fail' },
  ];
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' }, sessions: { type: 'string' }, seconds: { type: 'string' } } });
  const results = await run({
    quick: values.quick ?? false,
    ...(values.sessions ? { sessions: Number(values.sessions) } : {}),
    ...(values.seconds ? { seconds: Number(values.seconds) } : {}),
  });
  printTable(results);
  if (results.some((r) => r.check === 'fail')) process.exitCode = 1;
}
