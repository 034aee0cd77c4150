// Benchmark: the receiver under many concurrent browser sessions for a fixed time. A load
// generator in a second process (lib/session-load.ts) plays 1000 browsers at the SDK's
// cadence — one replay segment every 2–5 s per session, plus page views, clicks, console
// lines and fetch spans, every request gzipped — against the real receiver process
// (filesystem store with fsync, SQLite index, logs and spans forwarded through the disk
// queue to an OTLP stand-in). Afterwards every acknowledged segment must be listed once in
// the index and read back byte-identical through the raw segment route. The same load then
// hits the baseline, a server that only appends request bodies to a file. Reported:
// acknowledged throughput, acknowledge latency p50/p99/max, peak memory (VmHWM), CPU,
// every answer that was not a 200, by status, and the requests the receiver shed (503 +
// Retry-After before reading the body; from its /metrics) and those never answered.
//
// Run alone: `node bench/load.ts [--quick] [--pin] [--sessions N] [--seconds S] [--interval-ms 2000-5000]`.

import { statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseIntervalArg } from './lib/args.ts';
import { checkStoredSegments } from './lib/load-check.ts';
import type { LoadCheck } from './lib/load-check.ts';
import { cpuSecondsOf } from './lib/loadgen.ts';
import { allowedCpus, freePort, peakRssBytes, removeTempDir, requireTaskset, spawnPinned, stopChild, tempDir, waitForHttp } from './lib/processes.ts';
import type { Child } from './lib/processes.ts';
import { receiverEnv } from './lib/receiver-env.ts';
import { KINDS } from './lib/session-load.ts';
import type { SessionLoadReport, SessionLoadSpec } from './lib/session-load.ts';
import { startSessionLoad } from './lib/session-load-process.ts';
import { formatNumber } from './lib/stats.ts';
import { printTable } from './lib/table.ts';
import type { BenchOptions, BenchResult } from './lib/types.ts';

const root = path.resolve(import.meta.dirname, '..');
const NAME = 'load';
const BASELINE_SERVER = path.join(import.meta.dirname, 'lib', 'baseline-server.ts');
const MiB = 1024 * 1024;

export interface LoadOptions extends BenchOptions {
  sessions?: number;
  seconds?: number;
  intervalMs?: [number, number];
  pin?: boolean;
}

interface Plan {
  serverCpu: number | null;
  loadCpu: number | null;
  spec: Omit<SessionLoadSpec, 'url' | 'runId' | 'reportFile'>;
}

/**
 * Unpinned by default: this measures the receiver as deployed (all cores, thread pool
 * included) beside its load, not one core's capacity (that is bench/ingest.ts). `--pin`
 * puts the receiver and the generator on CPUs of their own (taskset, 2 CPUs).
 */
function plan(options: LoadOptions): Plan {
  const cpus = allowedCpus();
  const pinned = (options.pin ?? false) && cpus.length >= 2 && spawnPinnedWorks();
  if (options.pin && !pinned) process.stderr.write(`  ${NAME}: cannot pin processes to CPUs (needs taskset and 2 CPUs); running unpinned\n`);
  return {
    serverCpu: pinned ? cpus[0]! : null,
    loadCpu: pinned ? cpus[1]! : null,
    spec: {
      sessions: options.sessions ?? (options.quick ? 300 : 1000),
      durationMs: (options.seconds ?? (options.quick ? 10 : 60)) * 1000,
      drainMs: 30_000,
      intervalMs: options.intervalMs ?? [2000, 5000],
      telemetryShare: 0.3,
      poolSize: 32,
      seed: 17,
      timeoutMs: 30_000,
      maxRetryWaitMs: 5000,
      timeline: false,
    },
  };
}

function spawnPinnedWorks(): boolean {
  try {
    requireTaskset();
    return true;
  } catch {
    return false;
  }
}

interface Side {
  report: SessionLoadReport;
  /** Receiver: ingest requests it shed (503 before reading the body), by signal, from its /metrics. */
  shed?: Record<string, number>;
  peakRss: number | null;
  cpuSeconds: number | null;
  stored: boolean;
  check: string;
  loadCheck?: LoadCheck;
  /** Baseline: acknowledged body bytes missing from its file. */
  lostBytes?: number;
}

async function underLoad(p: Plan, url: string, runId: string, server: Child): Promise<{ report: SessionLoadReport; cpuSeconds: number | null; peakRss: number | null }> {
  const cpuBefore = cpuSecondsOf(server.process.pid);
  const load = startSessionLoad({ ...p.spec, url, runId }, { cpu: p.loadCpu, echoProgress: false });
  const progress = setInterval(() => {
    const at = load.progress();
    if (at) process.stderr.write(`  ${NAME}: ${at.sent} requests sent, ${at.ackedSegments} of ${at.createdSegments} segments acknowledged\n`);
  }, 10_000);
  try {
    const report = await load.done;
    const cpuAfter = cpuSecondsOf(server.process.pid);
    return { report, cpuSeconds: cpuBefore !== null && cpuAfter !== null ? cpuAfter - cpuBefore : null, peakRss: peakRssBytes(server.process.pid) };
  } finally {
    clearInterval(progress);
  }
}

async function receiverSide(p: Plan): Promise<Side> {
  const dataDir = tempDir('load-receiver');
  const sinkDir = tempDir('load-sink');
  const [port, sinkPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${port}`;
  // The Loki/Tempo stand-in: takes whatever is forwarded and answers 200 (lib/baseline-server.ts).
  const sink = spawnPinned('OTLP sink', p.loadCpu, [BASELINE_SERVER, String(sinkPort), path.join(sinkDir, 'forwarded.bin')]);
  const env = receiverEnv(port, dataDir, { FORWARD_LOGS_URL: `http://127.0.0.1:${sinkPort}/otlp/v1/logs`, FORWARD_TRACES_URL: `http://127.0.0.1:${sinkPort}/v1/traces` });
  const receiver = spawnPinned('receiver', p.serverCpu, [path.join(root, 'receiver', 'src', 'main.ts')], env);
  try {
    await waitForHttp(`http://127.0.0.1:${sinkPort}/`, sink);
    await waitForHttp(`${url}/readyz`, receiver);
    const runId = `load-${Date.now().toString(36)}`;
    const { report, cpuSeconds, peakRss } = await underLoad(p, url, runId, receiver);
    const shed = await shedCounts(url);
    process.stderr.write(`  ${NAME}: load done; reading every acknowledged segment back\n`);
    const loadCheck = await checkStoredSegments(url, { ...p.spec, runId }, report);
    const code = await stopChild(receiver);
    if (code !== 0) process.stderr.write(`  ${NAME}: receiver exited with ${code ?? 'a signal'}:\n${receiver.stderr().slice(-1000)}\n`);
    const stored = loadCheck.ok;
    const check = `receiver: ${loadCheck.summary}${report.unackedLeft ? `; ${report.unackedLeft} requests still unacknowledged after the ${p.spec.drainMs / 1000} s drain` : ''}`;
    return { report, peakRss, cpuSeconds, stored, check, loadCheck, shed };
  } finally {
    await stopChild(receiver, 5000);
    await stopChild(sink, 5000);
    removeTempDir(dataDir);
    removeTempDir(sinkDir);
  }
}

/** The receiver's otel_replay_load_shed_total by reason (limits/load-shedder.ts). */
async function shedCounts(url: string): Promise<Record<string, number>> {
  const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000) });
  const counts: Record<string, number> = {};
  for (const m of (await res.text()).matchAll(/^otel_replay_load_shed_total\{reason="([a-z_]+)"\} (\d+)/gm)) counts[m[1]!] = Number(m[2]);
  return counts;
}

/** Answers that never came (timeout, reset) across every kind. */
const unanswered = (r: SessionLoadReport) => KINDS.reduce((n, kind) => n + (r.statuses[kind]['0'] ?? 0), 0);

async function baselineSide(p: Plan): Promise<Side> {
  const dir = tempDir('load-baseline');
  const file = path.join(dir, 'bodies.bin');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = spawnPinned('baseline server', p.serverCpu, [BASELINE_SERVER, String(port), file]);
  try {
    await waitForHttp(`${url}/`, server);
    const { report, cpuSeconds, peakRss } = await underLoad(p, url, `baseline-${Date.now().toString(36)}`, server);
    await stopChild(server);
    const size = statSync(file).size;
    const check = `baseline file holds ${size} of ${report.ackedWireBytes} acknowledged body bytes`;
    return { report, peakRss, cpuSeconds, stored: size === report.ackedWireBytes, lostBytes: report.ackedWireBytes - size, check };
  } finally {
    await stopChild(server, 5000);
    removeTempDir(dir);
  }
}

function notOk(report: SessionLoadReport): { count: number; text: string } {
  const parts: string[] = [];
  let count = 0;
  for (const kind of KINDS) {
    for (const [status, n] of Object.entries(report.statuses[kind])) {
      if (status === '200') continue;
      count += n;
      parts.push(`${n}× ${status === '0' ? 'no answer' : `HTTP ${status}`} (${kind})`);
    }
  }
  if (report.missingRetryAfter) parts.push(`${report.missingRetryAfter} 429/503 without Retry-After`);
  if (report.refused.length) parts.push(`${report.refused.length} refused for good`);
  return { count, text: parts.length ? `${parts.join(', ')}; first: ${report.firstFailure}` : 'every answer a 200' };
}

const ackedSegments = (r: SessionLoadReport) => r.acked.segment.reduce((a, b) => a + b, 0) - r.refused.filter((x) => x.startsWith('segment:')).length;

export async function run(options: LoadOptions): Promise<BenchResult[]> {
  const p = plan(options);
  const secs = p.spec.durationMs / 1000;
  const benchmark = `${NAME} (${p.spec.sessions} sessions, ${secs} s, a segment per ${p.spec.intervalMs[0] / 1000}–${p.spec.intervalMs[1] / 1000} s)`;
  process.stderr.write(`${NAME}: ${p.spec.sessions} sessions for ${secs} s; receiver on CPU ${p.serverCpu ?? 'any'}, load generator on CPU ${p.loadCpu ?? 'any'}\n`);
  const ours = await receiverSide(p);
  process.stderr.write(`  ${NAME}: ${ours.check}; ${notOk(ours.report).text}\n`);
  const base = await baselineSide(p);
  process.stderr.write(`  ${NAME}: ${base.check}; ${notOk(base.report).text}\n`);

  // Throughput over the recording time: the load is paced, so a receiver that keeps up acknowledges what is offered.
  const rate = (s: Side) => ackedSegments(s.report) / secs;
  const mbps = (s: Side) => s.report.ackedWireBytes / 1e6 / secs;
  const lat = (s: Side) => s.report.latency.segment;
  const other = (s: Side) => s.report.latency.events.count + s.report.latency.spans.count;
  const busy = (s: Side) => (s.cpuSeconds === null ? Number.NaN : s.cpuSeconds / ((s.report.endedAt - s.report.startedAt) / 1000));
  const segKb = formatNumber(ours.report.ackedSegmentBytes / Math.max(1, ackedSegments(ours.report)) / 1024);
  const problems = ours.loadCheck ? ours.loadCheck.missing.length + ours.loadCheck.duplicated.length + ours.loadCheck.mismatched.length + ours.loadCheck.unexpected.length + ours.loadCheck.miscounted.length : Number.NaN;
  return [
    { benchmark, metric: 'segments acknowledged', ours: ackedSegments(ours.report), baseline: ackedSegments(base.report), unit: 'segments', note: `${segKb} KiB gzip rrweb per segment on average; plus ${other(ours)} / ${other(base)} event and span requests acknowledged (ours / baseline)` },
    { benchmark, metric: 'acknowledged segments/s', ours: rate(ours), baseline: rate(base), unit: 'seg/s', note: 'paced load: equal figures mean both kept up with what the browsers offered' },
    { benchmark, metric: 'request bodies acknowledged', ours: mbps(ours), baseline: mbps(base), unit: 'MB/s', note: 'gzip bytes on the wire, segments + events + spans' },
    { benchmark, metric: 'segment ack latency p50', ours: lat(ours).p50Ms, baseline: lat(base).p50Ms, unit: 'ms', note: 'request start to end of the 200; ours includes waiting for the group commit (<= 1000 ms) and fsync' },
    { benchmark, metric: 'segment ack latency p99', ours: lat(ours).p99Ms, baseline: lat(base).p99Ms, unit: 'ms' },
    { benchmark, metric: 'segment ack latency max', ours: lat(ours).maxMs, baseline: lat(base).maxMs, unit: 'ms' },
    { benchmark, metric: 'segment created-to-acknowledged p99', ours: ours.report.segmentAckDelay.p99Ms, baseline: base.report.segmentAckDelay.p99Ms, unit: 'ms', note: 'from the flush that made the segment to its 200, retries and Retry-After waits included (latency above counts only the answered request)' },
    { benchmark, metric: 'event/span ack latency p99', ours: Math.max(ours.report.latency.events.p99Ms, ours.report.latency.spans.p99Ms), baseline: Math.max(base.report.latency.events.p99Ms, base.report.latency.spans.p99Ms), unit: 'ms', note: 'ours: index update + durable forward queue (fdatasync), no group commit' },
    { benchmark, metric: 'server peak memory (VmHWM)', ours: (ours.peakRss ?? Number.NaN) / MiB, baseline: base.peakRss === null ? null : base.peakRss / MiB, unit: 'MiB', note: 'peak resident set of the server process over its whole life, from /proc/<pid>/status' },
    { benchmark, metric: 'server CPU busy', ours: busy(ours), baseline: busy(base), unit: 'cores', note: `CPU time of the server process (all threads) over the run, per second of wall time; the load generator used ${formatNumber(ours.report.generatorCpu)} / ${formatNumber(base.report.generatorCpu)} cores (ours / baseline run; near 1 = the generator set the pace)` },
    { benchmark, metric: 'answers other than 200', ours: notOk(ours.report).count, baseline: notOk(base.report).count, unit: 'answers', note: `ours: ${notOk(ours.report).text}; baseline: ${notOk(base.report).text}` },
    { benchmark, metric: 'requests shed (503 + Retry-After)', ours: Object.values(ours.shed ?? {}).reduce((a, b) => a + b, 0), baseline: null, unit: 'requests', note: `answered before the body was read because the receiver was overloaded (${Object.entries(ours.shed ?? {}).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}); the generator resends them after Retry-After, as the SDK does` },
    { benchmark, metric: `requests with no answer within ${p.spec.timeoutMs / 1000} s`, ours: unanswered(ours.report), baseline: unanswered(base.report), unit: 'requests', note: 'timed out or reset; resent like any retryable failure' },
    { benchmark, metric: 'requests unacknowledged at the end', ours: ours.report.unackedLeft, baseline: base.report.unackedLeft, unit: 'requests', note: `still retrying when the ${p.spec.drainMs / 1000} s drain after the run ran out: the server did not keep up (not a loss: the browser still holds them)` },
    {
      benchmark,
      metric: 'acknowledged data missing, duplicated or changed',
      ours: problems,
      baseline: base.lostBytes ?? Number.NaN,
      unit: 'segments / bytes',
      note: `${ours.check}; ${base.check}`,
      check: ours.stored && base.stored ? 'pass' : 'fail',
    },
  ];
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' }, pin: { type: 'boolean' }, sessions: { type: 'string' }, seconds: { type: 'string' }, 'interval-ms': { type: 'string' } } });
  const intervalMs = parseIntervalArg(values['interval-ms']);
  const results = await run({
    quick: values.quick ?? false,
    pin: values.pin ?? false,
    ...(values.sessions ? { sessions: Number(values.sessions) } : {}),
    ...(values.seconds ? { seconds: Number(values.seconds) } : {}),
    ...(intervalMs ? { intervalMs } : {}),
  });
  printTable(results);
  if (results.some((r) => r.check === 'fail')) process.exitCode = 1;
}
