// Benchmark: main-thread cost of recording a mutation-heavy page in real Chromium, with
// no recorder, with raw @rrweb/record (events JSON.stringify'd and POSTed every 5 s, as
// rrweb users usually ship them), with @rrweb/record doing the SDK's privacy masking
// itself (maskTextSelector '*', input masking, media and canvas blocked: what masking
// costs inside rrweb) and with our SDK (script-tag build, init() with its defaults
// against a do-nothing OTLP endpoint on the page's origin). The page is a live dashboard
// mutated 20 times a second by a seeded script, so every mode does the same work.
//
// What is measured, per run, from just before the recorder starts to after everything
// pending was shipped: the renderer main thread's CPU time (CDP Performance.getMetrics
// ThreadTime), and from a Chromium trace of the same window its CPU time outside frame
// rendering (every task's thread time minus the style, layout, paint and compositing
// work of frames that no script forced). A recorder never renders, but how many frames
// the page paints varies from run to run by more than a recorder costs, so the target is
// checked on the second figure; the first is reported beside it.
// Modes run interleaved, their order rotated every round; each round's overheads are
// paired with that round's no-recorder run; the check compares the median overheads and
// the report gives the ratio of every round (min, median, max) so a reader can see
// whether a pass is luck.
// Checks the issue-3 target: our recording overhead <= 1.2x raw rrweb's.
//
// Run alone: `node bench/sdk-cpu.ts [--quick] [--runs N] [--seconds S]`.

import { parseArgs } from 'node:util';
import type { Browser, CDPSession } from 'playwright-core';
import { buildScript, RRWEB_SCRIPT_ENTRY, SDK_ENTRY } from './lib/browser-build.ts';
import { closeBrowser, launchBrowser, mainThreadTime, minus, openPage, within } from './lib/browser.ts';
import type { MainThreadTime } from './lib/browser.ts';
import { mutationPage, startRecorderScript } from './lib/bench-pages.ts';
import type { MutationWorkload, RecorderMode } from './lib/bench-pages.ts';
import { startPageServer } from './lib/page-server.ts';
import type { PageServer, ReceivedRequest } from './lib/page-server.ts';
import { decodeSentSegments } from './lib/sent-segments.ts';
import { formatNumber, formatRatio } from './lib/stats.ts';
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
  /** The same window from the trace: main-thread CPU outside frame rendering, and the rendering. */
  outsideRenderMs: number;
  renderMs: number;
  /** Main-thread time of loading the page (parsing the recorder's script included). */
  load: MainThreadTime;
  wallMs: number;
  late: number;
  /** rrweb events the recorder shipped (a recorder recording twice would show here). */
  events: number;
  what: string;
}

// ---- the main thread's CPU outside frame rendering, from a Chromium trace ----

interface TraceEvent { ph: string; name: string; pid: number; tid: number; ts: number; dur?: number; tdur?: number; args?: { name?: string } }

/** Script and GC: rendering nested in these was forced by a script, so it counts as the script's. */
const SCRIPT_EVENTS = new Set(['FunctionCall', 'EvaluateScript', 'TimerFire', 'EventDispatch', 'RunMicrotasks', 'FireIdleCallback', 'FireAnimationFrame', 'XHRReadyStateChange', 'v8.execute', 'v8.run', 'v8.callFunction', 'v8.evaluateModule', 'MinorGC', 'MajorGC']);
/** A frame's rendering work on the main thread. */
const RENDER_EVENTS = new Set(['UpdateLayoutTree', 'Layout', 'PrePaint', 'Paint', 'Layerize', 'Commit', 'UpdateLayer', 'CompositeLayers', 'HitTest', 'ScrollLayer', 'Animation']);

async function startTrace(cdp: CDPSession): Promise<() => Promise<{ tasksMs: number; renderMs: number }>> {
  const events: TraceEvent[] = [];
  // CDP types trace events as string maps; they are JSON objects of the trace event format.
  const onData = (e: { value: object[] }): void => void events.push(...(e.value as unknown as TraceEvent[]));
  cdp.on('Tracing.dataCollected', onData);
  await cdp.send('Tracing.start', { traceConfig: { includedCategories: ['devtools.timeline', 'toplevel', 'v8.execute', '__metadata'], excludedCategories: ['*'] }, transferMode: 'ReportEvents' });
  return async () => {
    const complete = new Promise<void>((resolve) => cdp.once('Tracing.tracingComplete', () => resolve()));
    await cdp.send('Tracing.end');
    await within('collecting the Chromium trace', 30_000, complete);
    cdp.off('Tracing.dataCollected', onData);
    return mainThreadCpu(events);
  };
}

/** Thread CPU of the page's main thread: all its tasks, and the frame rendering no script forced. */
function mainThreadCpu(events: TraceEvent[]): { tasksMs: number; renderMs: number } {
  const threadName = new Map<string, string>();
  for (const e of events) if (e.ph === 'M' && e.name === 'thread_name' && e.args?.name) threadName.set(`${e.pid}:${e.tid}`, e.args.name);
  // The page's renderer main thread is the CrRendererMain with the most work in the window.
  const counts = new Map<string, number>();
  for (const e of events) {
    const key = `${e.pid}:${e.tid}`;
    if (e.ph === 'X' && threadName.get(key) === 'CrRendererMain') counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const main = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
  const xs = events.filter((e) => e.ph === 'X' && `${e.pid}:${e.tid}` === main && typeof e.tdur === 'number' && typeof e.dur === 'number')
    .sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
  if (xs.length === 0) throw new Error(`${NAME}: the Chromium trace has no main-thread events with thread times (tdur); this Chromium cannot measure CPU outside rendering`);
  let tasksUs = 0, renderUs = 0, taskEnd = -1, scriptEnd = -1, renderEnd = -1;
  for (const e of xs) {
    const end = e.ts + e.dur!;
    if (e.ts >= taskEnd) {
      tasksUs += e.tdur!;
      taskEnd = end;
    }
    if (SCRIPT_EVENTS.has(e.name)) {
      scriptEnd = Math.max(scriptEnd, end);
    } else if (RENDER_EVENTS.has(e.name) && e.ts >= scriptEnd && e.ts >= renderEnd) {
      renderUs += e.tdur!;
      renderEnd = end;
    }
  }
  return { tasksMs: tasksUs / 1000, renderMs: renderUs / 1000 };
}

// ---- one run ----

/** rrweb events in the raw-rrweb modes' POSTs (JSON arrays). */
function rrwebEventsIn(requests: readonly ReceivedRequest[]): number {
  return requests.reduce((n, r) => n + (r.body ? (JSON.parse(r.body.toString('utf8')) as unknown[]).length : 0), 0);
}

async function measureOnce(browser: Browser, server: PageServer, mode: RecorderMode, workload: MutationWorkload): Promise<Sample> {
  const bp = await openPage(browser);
  const budget = workload.ticks * workload.intervalMs * 3 + 30_000;
  try {
    server.reset();
    await bp.page.goto(`${server.url}/${mode}`, { waitUntil: 'load', timeout: 30_000 });
    const stopTrace = await startTrace(bp.cdp);
    const load = await mainThreadTime(bp.cdp);
    await within(`starting the ${mode} recorder`, 20_000, bp.page.evaluate(startRecorderScript(mode, { shipEveryMs: SHIP_EVERY_MS, keepRrwebEvents: false })));
    const result = await within(`the ${mode} workload`, budget, bp.page.evaluate('window.runWorkload()')) as { wallMs: number; late: number };
    await within(`shipping what the ${mode} recorder had pending`, 20_000, bp.page.evaluate('window.__finish()'));
    // Let upload and compression callbacks land on the main thread before reading the clock.
    await bp.page.waitForTimeout(300);
    const end = await mainThreadTime(bp.cdp);
    const trace = await stopTrace();
    let events = 0;
    let what = 'nothing recorded';
    if (mode === 'rrweb' || mode === 'rrweb-masked') {
      const sink = server.received.filter((r) => r.path === '/sink');
      const bytes = sink.reduce((n, r) => n + r.bytes, 0);
      events = rrwebEventsIn(sink);
      what = `${sink.length} POSTs of rrweb JSON, ${events} events, ${formatNumber(bytes / 1024)} KiB`;
      if (sink.length === 0) throw new Error(`${mode} shipped nothing during the workload; page problems: ${bp.problems.join('; ') || 'none'}`);
    } else if (mode === 'ours') {
      const sent = decodeSentSegments(server.received);
      events = sent.events;
      what = `${sent.segments} segments in ${sent.segmentRequests} requests, ${sent.events} events, ${formatNumber(sent.segmentWireBytes / 1024)} KiB on the wire`;
      if (sent.segments === 0) throw new Error(`the SDK sent no segment during the workload; page problems: ${bp.problems.join('; ') || 'none'}`);
    }
    return { work: minus(end, load), outsideRenderMs: trace.tasksMs - trace.renderMs, renderMs: trace.renderMs, load, wallMs: result.wallMs, late: result.late, events, what };
  } finally {
    await bp.close();
  }
}

// ---- statistics ----

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

interface Spread { median: number; min: number; max: number; values: number[] }

function spread(values: number[]): Spread {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), values };
}

const showSpread = (s: Spread, f: (n: number) => string = formatRatio): string => `median ${f(s.median)}, min ${f(s.min)}, max ${f(s.max)} over ${s.values.length} round${s.values.length === 1 ? '' : 's'}`;

export async function run(options: SdkCpuOptions): Promise<BenchResult[]> {
  const runs = options.runs ?? (options.quick ? 2 : 5);
  const seconds = options.seconds ?? (options.quick ? 3 : 6);
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
        process.stderr.write(`  ${NAME}: round ${round + 1}/${runs} ${mode.padEnd(12)} main thread CPU ${formatNumber(s.work.cpuMs)} ms, outside rendering ${formatNumber(s.outsideRenderMs)} ms (rendering ${formatNumber(s.renderMs)} ms) over ${formatNumber(s.wallMs / 1000)} s, ${s.late} ticks late; ${s.what}\n`);
      }
    }
  } finally {
    await closeBrowser(browser);
    await server.close();
  }

  // A recorder that records some events twice (or drops most) is not doing the same work.
  const oursEvents = median(samples.ours.map((s) => s.events));
  const rrwebEvents = median(samples.rrweb.map((s) => s.events));
  if (!(oursEvents > 0.8 * rrwebEvents && oursEvents < 1.25 * rrwebEvents)) {
    throw new Error(`${NAME}: the SDK recorded ${oursEvents} events where raw rrweb recorded ${rrwebEvents} on the same page; the comparison would be meaningless (an event recorded twice, or a recording lost)`);
  }

  const outside = (s: Sample) => s.outsideRenderMs;
  const cpu = (s: Sample) => s.work.cpuMs;
  const med = (mode: RecorderMode, f: (s: Sample) => number): number => median(samples[mode].map(f));
  /** Per round: the mode's figure above that round's no-recorder run, so drift between rounds cancels. */
  const overheads = (mode: RecorderMode, f: (s: Sample) => number): number[] => samples[mode].map((s, i) => f(s) - f(samples.none[i]!));
  const ratios = (mode: RecorderMode, f: (s: Sample) => number): Spread => {
    const ours = overheads(mode, f);
    const raw = overheads('rrweb', f);
    return spread(ours.map((o, i) => o / raw[i]!));
  };
  const list = (mode: RecorderMode, f: (s: Sample) => number) => samples[mode].map((s) => formatNumber(f(s))).join(', ');
  const perRun = (f: (s: Sample) => number) => MODES.map((m) => `${m} ${list(m, f)}`).join('; ');

  const target = ratios('ours', outside);
  const totalRatio = ratios('ours', cpu);
  const maskedRatio = ratios('rrweb-masked', outside);
  const oursOverhead = median(overheads('ours', outside));
  const rrwebOverhead = median(overheads('rrweb', outside));
  const benchmark = `${NAME} (${workload.ticks} ticks × ${TICK_MS} ms, ${runs} round${runs === 1 ? '' : 's'}, median)`;
  // The check is the row's own ratio (median overheads); the per-round ratios beside it show
  // how much a single round could have said otherwise.
  const pass = oursOverhead <= OVERHEAD_TARGET * rrwebOverhead;
  return [
    {
      benchmark,
      metric: `recording overhead <= ${OVERHEAD_TARGET}× raw rrweb's`,
      ours: oursOverhead,
      baseline: rrwebOverhead,
      unit: 'ms',
      check: pass ? 'pass' : 'fail',
      note: `issue-3 target, main-thread CPU outside frame rendering above the no-recorder run of the same round, median over the rounds: ours ${formatNumber(oursOverhead)} vs raw rrweb ${formatNumber(rrwebOverhead)} ms = ${formatRatio(oursOverhead / rrwebOverhead)}; ratio per round ${showSpread(target)} (${target.values.map((r) => formatRatio(r)).join(', ')}). Per run, ms: ${perRun(outside)}`,
    },
    {
      benchmark,
      metric: 'recording overhead incl. rendering: ours vs raw rrweb',
      ours: median(overheads('ours', cpu)),
      baseline: median(overheads('rrweb', cpu)),
      unit: 'ms',
      note: `all main-thread CPU (CDP ThreadTime) above the no-recorder run, frame rendering included, which varies by more than a recorder costs: per round ${showSpread(totalRatio)}; per run, ms: ${perRun(cpu)}`,
    },
    {
      benchmark,
      metric: 'recording overhead: rrweb masking itself vs raw rrweb',
      ours: median(overheads('rrweb-masked', outside)),
      baseline: rrwebOverhead,
      unit: 'ms',
      note: `context: @rrweb/record with maskTextSelector '*', masked inputs and media/canvas blocked, shipping JSON like raw rrweb (what the SDK's privacy defaults cost inside rrweb): per round ${showSpread(maskedRatio)}`,
    },
    { benchmark, metric: 'main-thread CPU outside rendering: ours vs raw rrweb', ours: med('ours', outside), baseline: med('rrweb', outside), unit: 'ms', note: `no recorder: ${formatNumber(med('none', outside))} ms (the page's own scripts and tasks)` },
    { benchmark, metric: 'main-thread CPU: raw rrweb vs no recorder', ours: med('rrweb', cpu), baseline: med('none', cpu), unit: 'ms', note: `context: what @rrweb/record with its defaults costs on this page, rendering included (rendering alone: ${formatNumber(med('none', (s) => s.renderMs))} ms with no recorder)` },
    { benchmark, metric: 'JavaScript: ours vs raw rrweb', ours: med('ours', (s) => s.work.scriptMs), baseline: med('rrweb', (s) => s.work.scriptMs), unit: 'ms', note: `CDP ScriptDuration (wall time, grows when other processes compete for the CPU); ticks late (> one interval) per run: ${perRun((s) => s.late)}` },
    { benchmark, metric: 'renderer CPU, all threads: ours vs raw rrweb', ours: med('ours', (s) => s.work.processCpuMs), baseline: med('rrweb', (s) => s.work.processCpuMs), unit: 'ms', note: `CDP ProcessTime (10 ms steps), includes the SDK's compression worker; no recorder: ${formatNumber(med('none', (s) => s.work.processCpuMs))} ms` },
    { benchmark, metric: 'page load incl. recorder script: ours vs raw rrweb', ours: med('ours', (s) => s.load.cpuMs), baseline: med('rrweb', (s) => s.load.cpuMs), unit: 'ms', note: `main-thread CPU until load (script parse included, before recording starts); no recorder: ${formatNumber(med('none', (s) => s.load.cpuMs))} ms` },
    { benchmark, metric: 'events recorded: ours vs raw rrweb', ours: oursEvents, baseline: rrwebEvents, unit: 'events', note: 'the same page, so about the same events (the SDK adds its own markers)' },
  ];
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' }, runs: { type: 'string' }, seconds: { type: 'string' } } });
  const started = Date.now();
  const results = await run({
    quick: values.quick ?? false,
    ...(values.runs ? { runs: Number(values.runs) } : {}),
    ...(values.seconds ? { seconds: Number(values.seconds) } : {}),
  });
  printTable(results);
  process.stderr.write(`${NAME}: ${formatNumber((Date.now() - started) / 1000)} s\n`);
  if (results.some((r) => r.check === 'fail')) process.exitCode = 1;
}
