// Benchmark: main-thread cost of recording a mutation-heavy page in real Chromium, with
// no recorder, with raw @rrweb/record (events JSON.stringify'd and POSTed every 5 s, as
// rrweb users usually ship them), with @rrweb/record plus the SDK's privacy masking (to
// tell masking from the SDK's own pipeline) and with our SDK (script-tag build, init()
// with its defaults against a do-nothing OTLP endpoint on the page's origin). The page
// is a live dashboard mutated 20 times a second for 8 s by a seeded script, so every
// mode does the same work. The renderer main thread's CPU time (CDP Performance.getMetrics
// ThreadTime; TaskDuration and ScriptDuration beside it) is read before the recorder
// starts and after the workload ended and everything pending was shipped; modes run
// interleaved, several rounds, medians reported. Checks the issue-3 target: our
// recording overhead (main-thread CPU above the no-recorder run) <= 1.2x raw rrweb's.
//
// Run alone: `node bench/sdk-cpu.ts [--quick] [--runs N] [--seconds S]`.

import { parseArgs } from 'node:util';
import type { Browser } from 'playwright-core';
import { buildScript, RRWEB_SCRIPT_ENTRY, SDK_ENTRY } from './lib/browser-build.ts';
import { closeBrowser, launchBrowser, mainThreadTime, minus, openPage, within } from './lib/browser.ts';
import type { MainThreadTime } from './lib/browser.ts';
import { mutationPage, startRecorderScript } from './lib/bench-pages.ts';
import type { MutationWorkload, RecorderMode } from './lib/bench-pages.ts';
import { startPageServer } from './lib/page-server.ts';
import type { PageServer } from './lib/page-server.ts';
import { decodeSentSegments } from './lib/sent-segments.ts';
import { formatNumber, percentile } from './lib/stats.ts';
import { printTable } from './lib/table.ts';
import type { BenchOptions, BenchResult } from './lib/types.ts';

const NAME = 'sdk-cpu';
export const OVERHEAD_TARGET = 1.2;
const MODES: RecorderMode[] = ['none', 'rrweb', 'rrweb-masked', 'ours'];
const TICK_MS = 50;
const SHIP_EVERY_MS = 5000;

export interface SdkCpuOptions extends BenchOptions {
  runs?: number;
  seconds?: number;
}

interface Sample {
  /** Main-thread time from just before the recorder started to after the final upload. */
  work: MainThreadTime;
  /** Main-thread time of loading the page (parsing the recorder's script included). */
  load: MainThreadTime;
  wallMs: number;
  late: number;
  /** Bytes the recorder shipped, as a sanity check that it really recorded. */
  shippedBytes: number;
  what: string;
}

async function measureOnce(browser: Browser, server: PageServer, mode: RecorderMode, workload: MutationWorkload): Promise<Sample> {
  const bp = await openPage(browser);
  const budget = workload.ticks * workload.intervalMs * 3 + 30_000;
  try {
    server.reset();
    await bp.page.goto(`${server.url}/${mode}`, { waitUntil: 'load', timeout: 30_000 });
    const load = await mainThreadTime(bp.cdp);
    await within(`starting the ${mode} recorder`, 20_000, bp.page.evaluate(startRecorderScript(mode, { shipEveryMs: SHIP_EVERY_MS, keepRrwebEvents: false })));
    const result = await within(`the ${mode} workload`, budget, bp.page.evaluate('window.runWorkload()')) as { wallMs: number; late: number };
    await within(`shipping what the ${mode} recorder had pending`, 20_000, bp.page.evaluate('window.__finish()'));
    // Let upload and compression callbacks land on the main thread before reading the clock.
    await bp.page.waitForTimeout(300);
    const end = await mainThreadTime(bp.cdp);
    let shippedBytes = 0;
    let what = 'nothing recorded';
    if (mode === 'rrweb' || mode === 'rrweb-masked') {
      const sink = server.received.filter((r) => r.path === '/sink');
      shippedBytes = sink.reduce((n, r) => n + r.bytes, 0);
      what = `${sink.length} POSTs of rrweb JSON, ${formatNumber(shippedBytes / 1024)} KiB`;
      if (sink.length === 0) throw new Error(`${mode} shipped nothing during the workload; page problems: ${bp.problems.join('; ') || 'none'}`);
    } else if (mode === 'ours') {
      const sent = decodeSentSegments(server.received);
      shippedBytes = sent.segmentWireBytes;
      what = `${sent.segments} segments, ${sent.events} events, ${formatNumber(shippedBytes / 1024)} KiB on the wire`;
      if (sent.segments === 0) throw new Error(`the SDK sent no segment during the workload; page problems: ${bp.problems.join('; ') || 'none'}`);
    }
    return { work: minus(end, load), load, wallMs: result.wallMs, late: result.late, shippedBytes, what };
  } finally {
    await bp.close();
  }
}

const median = (xs: number[]): number => percentile(xs, 50);

export async function run(options: SdkCpuOptions): Promise<BenchResult[]> {
  const runs = options.runs ?? (options.quick ? 1 : 3);
  const seconds = options.seconds ?? (options.quick ? 3 : 8);
  const workload: MutationWorkload = { ticks: Math.round((seconds * 1000) / TICK_MS), intervalMs: TICK_MS, rows: 120, seed: 42 };
  const [sdkScript, rrwebScript] = await Promise.all([buildScript(SDK_ENTRY, 'OtelReplay'), buildScript(RRWEB_SCRIPT_ENTRY, 'rrwebRecord')]);
  const js = (body: string) => ({ type: 'text/javascript; charset=utf-8' as const, body });
  const html = (body: string) => ({ type: 'text/html; charset=utf-8' as const, body });
  const server = await startPageServer({
    '/none': html(mutationPage('none', workload)),
    '/rrweb': html(mutationPage('rrweb', workload)),
    '/rrweb-masked': html(mutationPage('rrweb-masked', workload)),
    '/ours': html(mutationPage('ours', workload)),
    '/rrweb-record.js': js(rrwebScript),
    '/otel-replay.iife.js': js(sdkScript),
  }, { keepBodies: true });
  let browser: Browser | null = null;
  const samples: Record<RecorderMode, Sample[]> = { none: [], rrweb: [], 'rrweb-masked': [], ours: [] };
  try {
    browser = await launchBrowser();
    for (let round = 0; round < runs; round++) {
      // Rotate the order so no mode always runs first (a cold browser) or last.
      const order = MODES.map((_, i) => MODES[(i + round) % MODES.length]!);
      for (const mode of order) {
        const s = await measureOnce(browser, server, mode, workload);
        samples[mode].push(s);
        process.stderr.write(`  ${NAME}: round ${round + 1}/${runs} ${mode.padEnd(12)} main thread CPU ${formatNumber(s.work.cpuMs)} ms (busy ${formatNumber(s.work.taskMs)} ms, script ${formatNumber(s.work.scriptMs)} ms) over ${formatNumber(s.wallMs / 1000)} s, ${s.late} ticks late; ${s.what}\n`);
      }
    }
  } finally {
    await closeBrowser(browser);
    await server.close();
  }

  const med = (mode: RecorderMode, f: (s: Sample) => number): number => median(samples[mode].map(f));
  const cpu = (s: Sample) => s.work.cpuMs;
  // Overhead per round, paired with that round's no-recorder run, so drift between rounds cancels.
  const overhead = (mode: RecorderMode, f: (s: Sample) => number = cpu): number => median(samples[mode].map((s, i) => f(s) - f(samples.none[i]!)));
  const oursOverhead = overhead('ours');
  const rrwebOverhead = overhead('rrweb');
  const overheadRatio = rrwebOverhead > 0 ? oursOverhead / rrwebOverhead : Number.POSITIVE_INFINITY;
  const list = (mode: RecorderMode, f: (s: Sample) => number) => samples[mode].map((s) => formatNumber(f(s))).join(', ');
  const perRun = (f: (s: Sample) => number) => MODES.map((m) => `${m} ${list(m, f)}`).join('; ');
  const benchmark = `${NAME} (${workload.ticks} ticks × ${TICK_MS} ms, ${runs} run${runs === 1 ? '' : 's'}, median)`;
  const pass = oursOverhead <= OVERHEAD_TARGET * rrwebOverhead;
  return [
    { benchmark, metric: 'main-thread CPU: ours vs raw rrweb', ours: med('ours', cpu), baseline: med('rrweb', cpu), unit: 'ms', note: `CDP ThreadTime of the renderer main thread from recorder start to final upload; per run: ${perRun(cpu)} ms` },
    { benchmark, metric: 'main-thread CPU: ours vs no recorder', ours: med('ours', cpu), baseline: med('none', cpu), unit: 'ms', note: "no recorder = the page's own workload, style/layout/paint included" },
    { benchmark, metric: 'main-thread CPU: raw rrweb vs no recorder', ours: med('rrweb', cpu), baseline: med('none', cpu), unit: 'ms', note: 'context: what @rrweb/record with its defaults costs on this page' },
    {
      benchmark,
      metric: 'recording overhead: ours vs rrweb with our masking',
      ours: oursOverhead,
      baseline: overhead('rrweb-masked'),
      unit: 'ms',
      note: "context: @rrweb/record with the SDK's privacy defaults (all text and inputs masked, media blocked), shipping JSON like raw rrweb; the difference is the SDK's own pipeline",
    },
    { benchmark, metric: 'main-thread busy (task wall time): ours vs raw rrweb', ours: med('ours', (s) => s.work.taskMs), baseline: med('rrweb', (s) => s.work.taskMs), unit: 'ms', note: `CDP TaskDuration (grows when other processes compete for the CPU); per run: ${perRun((s) => s.work.taskMs)} ms` },
    { benchmark, metric: 'JavaScript: ours vs raw rrweb', ours: med('ours', (s) => s.work.scriptMs), baseline: med('rrweb', (s) => s.work.scriptMs), unit: 'ms', note: `CDP ScriptDuration; ticks late (> one interval) per run: ${perRun((s) => s.late)}` },
    { benchmark, metric: 'renderer CPU, all threads: ours vs raw rrweb', ours: med('ours', (s) => s.work.processCpuMs), baseline: med('rrweb', (s) => s.work.processCpuMs), unit: 'ms', note: `CDP ProcessTime (10 ms steps), includes the SDK's compression worker; no recorder: ${formatNumber(med('none', (s) => s.work.processCpuMs))} ms` },
    { benchmark, metric: 'page load incl. recorder script: ours vs raw rrweb', ours: med('ours', (s) => s.load.cpuMs), baseline: med('rrweb', (s) => s.load.cpuMs), unit: 'ms', note: `main-thread CPU until load (script parse included, before recording starts); no recorder: ${formatNumber(med('none', (s) => s.load.cpuMs))} ms` },
    {
      benchmark,
      metric: `recording overhead <= ${OVERHEAD_TARGET}× raw rrweb's`,
      ours: oursOverhead,
      baseline: rrwebOverhead,
      unit: 'ms',
      check: pass ? 'pass' : 'fail',
      note: `issue-3 target: main-thread CPU above the no-recorder run (paired per round, median): ours ${formatNumber(oursOverhead)} vs raw rrweb ${formatNumber(rrwebOverhead)} ms = ${formatNumber(overheadRatio)}×; ratio of totals ${formatNumber(med('ours', cpu) / med('rrweb', cpu))}×`,
    },
  ];
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' }, runs: { type: 'string' }, seconds: { type: 'string' } } });
  const results = await run({
    quick: values.quick ?? false,
    ...(values.runs ? { runs: Number(values.runs) } : {}),
    ...(values.seconds ? { seconds: Number(values.seconds) } : {}),
  });
  printTable(results);
  if (results.some((r) => r.check === 'fail')) process.exitCode = 1;
}
