// Replay playback in the Grafana plugin, in real Chromium: time to first frame and seek time
// for a 60-minute recording beside a 1-minute one (the baseline column), receiver local.
// Uses the plugin's Chromium harness (grafana-plugin/harness/): the built dist/module.js
// mounted at the Session page with Grafana's shared modules, the plugin proxy path streamed
// to an in-process receiver, Loki/Tempo answered with fixtures. Recordings are generated
// with a full snapshot every 5 minutes (as the SDK takes them) and ingested over OTLP/JSON.
// Targets (issue 4): first frame ≤ 300 ms on opening a session inside Grafana; the 60-minute
// first frame, and a seek at the same distance from a full snapshot, within 1.5× of the
// 1-minute figures. Cold page loads and seeks far from a snapshot are reported, not checked.
// `node bench/plugin-playback.ts [--quick] [--runs N]`.

import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { buildHarness, ensurePluginBuilt } from '../grafana-plugin/harness/build.ts';
import { routeDatasources } from '../grafana-plugin/harness/datasources.ts';
import type { DatasourceFixtures } from '../grafana-plugin/harness/datasources.ts';
import { REPLAY_IFRAME, REPLAY_STREAM_COMPLETE, inPage } from '../grafana-plugin/harness/probe.ts';
import { ingestRecording, recordingSegments } from '../grafana-plugin/harness/recording.ts';
import { PLUGIN_ID, startHarnessServer } from '../grafana-plugin/harness/server.ts';
import type { HarnessServer } from '../grafana-plugin/harness/server.ts';
import { launchChromium } from '../receiver/test/helpers/chromium.ts';
import type { LaunchedBrowser } from '../receiver/test/helpers/chromium.ts';
import { startReceiver } from '../receiver/test/helpers/receiver.ts';
import { percentile } from './lib/stats.ts';
import type { BenchOptions, BenchResult } from './lib/types.ts';

const NAME = 'plugin-playback';
const FIRST_FRAME_TARGET_MS = 300;
const LENGTH_RATIO_TARGET = 1.5;
const SNAPSHOT_EVERY_MS = 5 * 60_000;
/**
 * Where the "middle" seek lands: this far past the full snapshot before the middle. A seek
 * replays every event from that snapshot to the target, so its cost follows the distance
 * from the snapshot (at most the SDK's checkout interval), not the recording's length; equal
 * distances in both recordings make the ratio show what length alone costs.
 */
const PAST_SNAPSHOT_MS = 30_000;

/** Epoch ms of the middle seek: PAST_SNAPSHOT_MS after the last full snapshot at or before the middle. */
function middleSeek(r: { start: number; durationMs: number }): number {
  const snapshot = Math.floor(r.durationMs / 2 / SNAPSHOT_EVERY_MS) * SNAPSHOT_EVERY_MS;
  return r.start + snapshot + PAST_SNAPSHOT_MS;
}

interface Recording {
  label: string;
  sessionId: string;
  start: number;
  durationMs: number;
  segments: number;
}

interface RunFigures {
  /** Navigation start of a fresh page load → replayed DOM (includes loading Grafana's shared bundle). */
  coldFirstFrame: number;
  /** In-app navigation (Grafana already loaded) → replayed DOM. */
  firstFrame: number;
  seekMiddle: number;
  seekEnd: number;
  /** Opened near the end, then a seek to the middle: a reload from the nearest full snapshot. */
  reloadSeek: number;
  eventsRequests: number;
  /** The in-app load's events stream was read to its end within 15 s. */
  streamEnded: boolean;
}

const LOKI_UID = 'loki-bench';
const TEMPO_UID = 'tempo-bench';

function fixtures(r: Recording): DatasourceFixtures {
  return {
    lokiUid: LOKI_UID,
    tempoUid: TEMPO_UID,
    sessionId: r.sessionId,
    service: 'shop-web',
    logs: [
      { timeMs: middleSeek(r), line: 'seek-middle', labels: { event_name: 'browser.console' } },
      { timeMs: r.start + r.durationMs - 5_000, line: 'seek-end', labels: { event_name: 'browser.console' } },
    ],
    spans: [],
  };
}

// The in-page probes check once per animation frame: a frame the browser is about to paint is
// what the viewer sees (a timer-driven poll would also be starved while the page streams in
// the rest of a long recording with high-priority scheduler.yield() continuations).

/** In the page: ms from the action until the replay iframe shows the clock at [min, max] s. */
const TIME_UNTIL_CLOCK = `({ action, min, max, sel }) => new Promise((resolve, reject) => {
  const t0 = performance.now();
  if (action.push) {
    history.pushState({}, '', action.push);
    window.dispatchEvent(new PopStateEvent('popstate'));
  } else if (action.click) {
    const button = [...document.querySelectorAll('button')].find((b) => (b.getAttribute('aria-label') ?? '').includes(action.click));
    if (!button) return reject(new Error('no timeline entry ' + action.click + ' on the page'));
    button.click();
  }
  const poll = () => {
    const frame = document.querySelector(sel);
    const m = /^elapsed (\\d+):(\\d\\d)$/.exec(frame?.contentDocument?.getElementById('clock')?.textContent ?? '');
    const s = m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
    if (s >= min && s <= max) return resolve(performance.now() - t0);
    if (performance.now() - t0 > 20000) return reject(new Error('the replay did not show ' + min + '-' + max + ' s within 20 s (shows ' + s + ')'));
    requestAnimationFrame(poll);
  };
  poll();
})`;

/** In the page: ms since navigation start when the replay iframe first has the recorded clock. */
const FIRST_FRAME_SINCE_NAVIGATION = `(sel) => new Promise((resolve, reject) => {
  const poll = () => {
    const frame = document.querySelector(sel);
    if (frame?.contentDocument?.getElementById('clock')) return resolve(performance.now());
    if (performance.now() > 30000) return reject(new Error('no first frame within 30 s of navigation start'));
    requestAnimationFrame(poll);
  };
  poll();
})`;

function timeUntilClock(page: Page, action: { push?: string; click?: string }, min: number, max: number): Promise<number> {
  return inPage<number>(page, TIME_UNTIL_CLOCK, { action, min, max, sel: REPLAY_IFRAME });
}

/**
 * True when the player says its events stream was read to the `end` line within `ms`. (The
 * player's own record, not the network's: Chromium sometimes reports a fetch whose body was
 * read to the end as aborted when the response object is collected right after.)
 */
async function streamCompletes(page: Page, ms: number): Promise<boolean> {
  try {
    await page.locator(REPLAY_STREAM_COMPLETE).waitFor({ state: 'attached', timeout: ms });
    return true;
  } catch {
    return false;
  }
}

async function measure(browser: LaunchedBrowser, server: HarnessServer, r: Recording): Promise<RunFigures> {
  const sessionUrl = `/a/${PLUGIN_ID}/session/${r.sessionId}`;
  const durationS = r.durationMs / 1000;
  const probe = (page: Page) => routeDatasources(page, fixtures(r));

  // Cold: a fresh page load straight onto the Session page, timed from navigation start.
  const cold = await browser.context.newPage();
  await probe(cold);
  await cold.goto(`${server.url}${sessionUrl}`);
  // The clock shows 0–2 s in the first frame; performance.now() counts from navigation start.
  const step = (s: string) => { if (process.env.BENCH_DEBUG) process.stderr.write(`    ${r.label}: ${s}\n`); };
  step("cold");
  const coldFirstFrame = await inPage<number>(cold, FIRST_FRAME_SINCE_NAVIGATION, REPLAY_IFRAME);
  await cold.close();

  // In-app: Grafana (here the harness) is loaded on the Sessions page; open the Session page
  // the way a click in the list does (history push, no reload).
  const page = await browser.context.newPage();
  await probe(page);
  let eventsRequests = 0;
  if (process.env.BENCH_DEBUG) {
    page.on('requestfinished', (q) => step(`finished ${q.url().slice(-80)}`));
    page.on('requestfailed', (q) => step(`failed ${q.url().slice(-80)} ${q.failure()?.errorText}`));
  }
  page.on('request', (q) => {
    if (/\/events(\?|$)/.test(new URL(q.url()).pathname)) eventsRequests++;
  });
  await page.goto(`${server.url}/a/${PLUGIN_ID}/sessions`);
  await page.getByTestId('data-testid sessions-page').waitFor({ timeout: 30_000 });
  await page.waitForLoadState('networkidle');
  step('in-app');
  const firstFrame = await timeUntilClock(page, { push: sessionUrl }, 0, 2);
  step('first frame');
  // A stream that does not end is a finding of its own (reported); the seeks then reload.
  const streamEnded = await streamCompletes(page, 15_000);
  step(`stream ended: ${streamEnded}`);
  await page.getByTestId('data-testid timeline-entry').nth(1).waitFor({ timeout: 10_000 });
  const mid = Math.floor((middleSeek(r) - r.start) / 1000);
  const seekMiddle = await timeUntilClock(page, { click: 'seek-middle' }, mid, mid + 2);
  const end = Math.floor(durationS - 5);
  const seekEnd = await timeUntilClock(page, { click: 'seek-end' }, end, end + 2);

  // Reload path: opened near the end (the load starts at the last full snapshot), then a
  // seek to the middle, which is not loaded: the player restarts at the snapshot before it.
  await page.goto(`${server.url}/a/${PLUGIN_ID}/sessions`);
  await page.getByTestId('data-testid sessions-page').waitFor({ timeout: 30_000 });
  // The middle is before where this load starts whether or not the stream has ended.
  await timeUntilClock(page, { push: `${sessionUrl}?t=${r.start + r.durationMs - 10_000}` }, end - 5, end + 2);
  await page.getByTestId('data-testid timeline-entry').nth(1).waitFor({ timeout: 10_000 });
  step('reload seek');
  const reloadSeek = await timeUntilClock(page, { click: 'seek-middle' }, mid, mid + 2);
  await page.close();
  return { coldFirstFrame, firstFrame, seekMiddle, seekEnd, reloadSeek, eventsRequests, streamEnded };
}

const median = (xs: number[]) => percentile(xs, 50);

export async function run(options: BenchOptions & { runs?: number }): Promise<BenchResult[]> {
  const runs = options.runs ?? (options.quick ? 2 : 5);
  ensurePluginBuilt();
  const bundle = await buildHarness();
  const rx = await startReceiver();
  let server: HarnessServer | undefined;
  let browser: LaunchedBrowser | undefined;
  try {
    const now = Date.now();
    const recordings: Recording[] = [];
    for (const [label, minutes] of [['1-minute', 1], ['60-minute', 60]] as const) {
      const r = { label, sessionId: `bench-playback-${minutes}m`, start: now - 3 * 3600_000, durationMs: minutes * 60_000, segments: 0 };
      const segments = recordingSegments({ sessionId: r.sessionId, start: r.start, durationMs: r.durationMs, snapshotEveryMs: SNAPSHOT_EVERY_MS });
      await ingestRecording(rx.url, segments);
      r.segments = segments.length;
      recordings.push(r);
      process.stderr.write(`  ${NAME}: ingested the ${label} recording: ${segments.length} segments, ${segments.filter((s) => s.meta.hasFullSnapshot).length} full snapshots, ${(segments.reduce((n, s) => n + s.body.length, 0) / 1024).toFixed(0)} KiB gzipped\n`);
    }
    server = await startHarnessServer({ bundleDir: bundle.dir, jsonData: { lokiUid: LOKI_UID, tempoUid: TEMPO_UID }, receiverUrl: rx.url });
    browser = await launchChromium();
    // One unmeasured pass warms Chromium's and the receiver's caches for both recordings.
    for (const r of recordings) await measure(browser, server, r);
    const figures = new Map<string, RunFigures[]>(recordings.map((r) => [r.label, []]));
    for (let i = 0; i < runs; i++) {
      // Alternate the order so neither recording always runs on a warmer browser.
      for (const r of i % 2 ? [...recordings].reverse() : recordings) {
        const f = await measure(browser, server, r);
        figures.get(r.label)!.push(f);
        process.stderr.write(`  ${NAME}: run ${i + 1} ${r.label}: first frame ${f.firstFrame.toFixed(0)} ms (cold ${f.coldFirstFrame.toFixed(0)} ms), seek middle ${f.seekMiddle.toFixed(1)} ms, near end ${f.seekEnd.toFixed(1)} ms, reload seek ${f.reloadSeek.toFixed(0)} ms\n`);
      }
    }
    const short = figures.get('1-minute')!;
    const long = figures.get('60-minute')!;
    const row = (metric: string, pick: (f: RunFigures) => number, note: string): BenchResult => ({
      benchmark: `${NAME} (60-min vs 1-min)`,
      metric,
      ours: median(long.map(pick)),
      baseline: median(short.map(pick)),
      unit: 'ms',
      note: `median of ${runs} runs; ${note}`,
    });
    const rows: BenchResult[] = [
      row('first frame, in-app navigation', (f) => f.firstFrame, 'history push to the Session page → snapshot drawn in the replay iframe (lazy page chunk, session, events stream)'),
      row('first frame, cold page load', (f) => f.coldFirstFrame, 'navigation start → snapshot drawn; not held to the 300 ms target: it is mostly the harness loading its 8 MB bundle of Grafana\'s shared modules, which a running Grafana has loaded before any app page opens'),
      row('seek to the middle (loaded)', (f) => f.seekMiddle, `timeline click → replayed DOM shows that second (${PAST_SNAPSHOT_MS / 1000} s past a full snapshot in both recordings); the whole recording streamed already`),
      row('seek near the end (loaded)', (f) => f.seekEnd, `timeline click → replayed DOM shows the last 5 s; replays the events since the last full snapshot: ${SNAPSHOT_EVERY_MS / 60_000 - 1} min 55 s of them in the 60-minute recording, 55 s in the 1-minute one, so the ratio is the snapshot distance, not the length`),
      row('seek to the middle (reload)', (f) => f.reloadSeek, 'opened near the end, then a timeline click to the middle → new events request from the nearest full snapshot; the 1-minute recording has one snapshot, so its seek stays in memory'),
    ];
    const firstFrame = rows[0]!;
    const ratio = (r: BenchResult) => (r.baseline ? r.ours / r.baseline : Number.POSITIVE_INFINITY);
    const pass = (ok: boolean): 'pass' | 'fail' => (ok ? 'pass' : 'fail');
    rows.push(
      { benchmark: NAME, metric: `first frame ≤ ${FIRST_FRAME_TARGET_MS} ms (60-min, in-app)`, ours: firstFrame.ours, baseline: FIRST_FRAME_TARGET_MS, unit: 'ms', check: pass(firstFrame.ours <= FIRST_FRAME_TARGET_MS) },
      { benchmark: NAME, metric: `first frame 60-min ≤ ${LENGTH_RATIO_TARGET}× 1-min`, ours: ratio(firstFrame), baseline: LENGTH_RATIO_TARGET, unit: '×', check: pass(ratio(firstFrame) <= LENGTH_RATIO_TARGET) },
      ...rows.slice(2, 3).map((r): BenchResult => ({ benchmark: NAME, metric: `${r.metric}: 60-min ≤ ${LENGTH_RATIO_TARGET}× 1-min`, ours: ratio(r), baseline: LENGTH_RATIO_TARGET, unit: '×', check: pass(ratio(r) <= LENGTH_RATIO_TARGET) })),
    );
    const all = [...long, ...short];
    const ended = all.filter((f) => f.streamEnded).length;
    rows.push({ benchmark: NAME, metric: 'events streams read to their end within 15 s', ours: ended / all.length, baseline: null, unit: 'fraction', note: `${ended} of ${all.length} measured loads`, check: pass(ended === all.length) });
    process.stderr.write(`  ${NAME}: events requests per measured pass: ${long.map((f) => f.eventsRequests).join(', ')} (60-min), ${short.map((f) => f.eventsRequests).join(', ')} (1-min)\n`);
    return rows;
  } finally {
    await browser?.close();
    await server?.close();
    await rx.stop();
    rmSync(bundle.dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' }, runs: { type: 'string' } } });
  const { printTable } = await import('./lib/table.ts');
  const rows = await run({ quick: values.quick ?? false, runs: values.runs ? Number(values.runs) : undefined });
  printTable(rows);
}
