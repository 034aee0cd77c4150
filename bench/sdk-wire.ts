// Benchmark: bytes on the wire per minute of recording. A scripted user works through a
// small shop page in real Chromium for 20 s (time-compressed: clicking "add to cart",
// typing into a search box and a checkout form, choosing from a select, scrolling a long
// article, moving the mouse, while a live feed changes every 1.5 s), driven by a seeded
// PRNG so every run does the same. Once with our SDK (script-tag build, init() with its
// defaults against a do-nothing OTLP endpoint on the page's origin): the body bytes of
// the /v1/logs requests carrying segments are counted as they arrive, and the segments
// decoded. Once with raw @rrweb/record (defaults) on the same script: the
// JSON.stringify of every event it emitted, which is what rrweb users ship. Both are
// scaled to a minute of recorded time (first to last rrweb event). Checks the issue-3
// target: our wire bytes >= 8x smaller than raw rrweb JSON.
//
// Run alone: `node bench/sdk-wire.ts [--quick] [--seconds S]`.

import { gzipSync } from 'node:zlib';
import { parseArgs } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { buildScript, RRWEB_SCRIPT_ENTRY, SDK_ENTRY } from './lib/browser-build.ts';
import { closeBrowser, launchBrowser, openPage, within } from './lib/browser.ts';
import { shopPage, startRecorderScript } from './lib/bench-pages.ts';
import type { RecorderMode } from './lib/bench-pages.ts';
import { startPageServer } from './lib/page-server.ts';
import type { PageServer } from './lib/page-server.ts';
import { decodeSentSegments } from './lib/sent-segments.ts';
import type { SentSegments } from './lib/sent-segments.ts';
import { formatNumber } from './lib/stats.ts';
import { printTable } from './lib/table.ts';
import type { BenchOptions, BenchResult } from './lib/types.ts';

const NAME = 'sdk-wire';
export const WIRE_TARGET = 8;
const SEED = 7;

export interface SdkWireOptions extends BenchOptions {
  seconds?: number;
}

function mulberry32(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PHRASES = ['ring the bell twice please', 'leave it with the neighbour', 'ann.lee@example.com', 'Ann Lee', 'Bob Fischer', 'back door, second floor', 'gift wrap if possible'];
const QUERIES = ['alp', 'onyx', 'ra', 'quartz', 'me'];

/** One scripted user session of `ms`: the same sequence of actions for the same seed. */
async function scriptedUser(page: Page, ms: number, seed: number): Promise<number> {
  const rand = mulberry32(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const start = Date.now();
  let actions = 0;
  const opts = { timeout: 5000 };
  while (Date.now() - start < ms) {
    const r = rand();
    if (r < 0.25) {
      await page.click(`.add[data-i="${Math.floor(rand() * 16)}"]`, opts);
    } else if (r < 0.45) {
      await page.click(pick(['#name', '#email', '#notes']), opts);
      await page.keyboard.type(pick(PHRASES), { delay: 40 });
    } else if (r < 0.55) {
      await page.click('#search', opts);
      await page.keyboard.type(pick(QUERIES), { delay: 90 });
      await page.waitForTimeout(300);
      await page.fill('#search', '', opts);
    } else if (r < 0.75) {
      const dy = (rand() < 0.7 ? 1 : -1) * (200 + Math.floor(rand() * 400));
      for (let i = 0; i < 4; i++) {
        await page.mouse.wheel(0, dy / 4);
        await page.waitForTimeout(100);
      }
    } else if (r < 0.88) {
      await page.mouse.move(50 + Math.floor(rand() * 1100), 50 + Math.floor(rand() * 650), { steps: 15 });
    } else if (r < 0.94) {
      await page.selectOption('#country', pick(['Germany', 'France', 'Portugal', 'Sweden']), opts);
    } else {
      await page.click('#submit', opts);
    }
    actions++;
    await page.waitForTimeout(150 + Math.floor(rand() * 400));
  }
  return actions;
}

interface OursRun { sent: SentSegments; actions: number; problems: string[] }
interface RrwebRun { jsonBytes: number; gzipBytes: number; events: number; spanMs: number; actions: number }

async function session(browser: Browser, server: PageServer, mode: RecorderMode, ms: number): Promise<{ actions: number; page: Page; close: () => Promise<void>; problems: string[] }> {
  const bp = await openPage(browser);
  try {
    server.reset();
    await bp.page.goto(`${server.url}/${mode}`, { waitUntil: 'load', timeout: 30_000 });
    await within(`starting the ${mode} recorder`, 20_000, bp.page.evaluate(startRecorderScript(mode, { shipEveryMs: 5000, keepRrwebEvents: true, sdkDefaults: true })));
    const actions = await within(`the scripted ${mode} session`, ms + 30_000, scriptedUser(bp.page, ms, SEED));
    await within(`shipping what the ${mode} recorder had pending`, 20_000, bp.page.evaluate('window.__finish()'));
    return { actions, page: bp.page, close: bp.close, problems: bp.problems };
  } catch (err) {
    await bp.close();
    throw err;
  }
}

async function oursRun(browser: Browser, server: PageServer, ms: number): Promise<OursRun> {
  const s = await session(browser, server, 'ours', ms);
  try {
    // Uploads still in flight land within a moment on loopback.
    await s.page.waitForTimeout(500);
    const sent = decodeSentSegments(server.received);
    if (sent.segments === 0) throw new Error(`the SDK sent no segment in a ${ms} ms session; page problems: ${s.problems.join('; ') || 'none'}`);
    return { sent, actions: s.actions, problems: s.problems };
  } finally {
    await s.close();
  }
}

async function rrwebRun(browser: Browser, server: PageServer, ms: number): Promise<RrwebRun> {
  const s = await session(browser, server, 'rrweb', ms);
  try {
    const json = await s.page.evaluate('JSON.stringify(window.__rrwebEvents)') as string;
    const events = JSON.parse(json) as { timestamp: number }[];
    if (events.length === 0) throw new Error('raw rrweb emitted no event in the scripted session');
    const spanMs = events[events.length - 1]!.timestamp - events[0]!.timestamp;
    const bytes = Buffer.from(json, 'utf8');
    return { jsonBytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 6 }).length, events: events.length, spanMs, actions: s.actions };
  } finally {
    await s.close();
  }
}

export async function run(options: SdkWireOptions): Promise<BenchResult[]> {
  const seconds = options.seconds ?? (options.quick ? 8 : 20);
  const ms = seconds * 1000;
  const [sdkScript, rrwebScript] = await Promise.all([buildScript(SDK_ENTRY, 'OtelReplay'), buildScript(RRWEB_SCRIPT_ENTRY, 'rrwebRecord')]);
  const html = (body: string) => ({ type: 'text/html; charset=utf-8' as const, body });
  const js = (body: string) => ({ type: 'text/javascript; charset=utf-8' as const, body });
  const server = await startPageServer({
    '/ours': html(shopPage('ours', SEED)),
    '/rrweb': html(shopPage('rrweb', SEED)),
    '/otel-replay.iife.js': js(sdkScript),
    '/rrweb-record.js': js(rrwebScript),
  }, { keepBodies: true });
  let browser: Browser | null = null;
  let ours: OursRun;
  let raw: RrwebRun;
  try {
    browser = await launchBrowser();
    ours = await oursRun(browser, server, ms);
    raw = await rrwebRun(browser, server, ms);
  } finally {
    await closeBrowser(browser);
    await server.close();
  }

  const sent = ours.sent;
  const oursSpanMs = sent.lastTimestamp - sent.firstTimestamp;
  const perMin = (bytes: number, spanMs: number): number => (bytes / 1024) * (60_000 / spanMs);
  const wire = perMin(sent.segmentWireBytes, oursSpanMs);
  const rawJson = perMin(raw.jsonBytes, raw.spanMs);
  const smaller = rawJson / wire;
  process.stderr.write(`  ${NAME}: ours ${sent.segments} segments in ${sent.segmentRequests} requests, ${sent.events} events over ${formatNumber(oursSpanMs / 1000)} s (${ours.actions} actions); raw rrweb ${raw.events} events over ${formatNumber(raw.spanMs / 1000)} s (${raw.actions} actions)\n`);
  const benchmark = `${NAME} (scripted shop session, ${seconds} s, per minute recorded)`;
  return [
    {
      benchmark,
      metric: 'segments on the wire vs raw rrweb JSON',
      ours: wire,
      baseline: rawJson,
      unit: 'KB/min',
      note: `ours: ${sent.segmentRequests} /v1/logs request bodies with ${sent.segments} segments, ${sent.events} events over ${formatNumber(oursSpanMs / 1000)} s (OTLP/JSON, gzip body base64); raw: JSON.stringify of ${raw.events} @rrweb/record events over ${formatNumber(raw.spanMs / 1000)} s; ${formatNumber(smaller)}× smaller`,
    },
    {
      benchmark,
      metric: 'segments on the wire vs their rrweb JSON inflated',
      ours: wire,
      baseline: perMin(sent.rrwebJsonBytes, oursSpanMs),
      unit: 'KB/min',
      note: "the same session's events as the SDK recorded them (masked, scrubbed), before compression",
    },
    {
      benchmark,
      metric: 'segments on the wire vs their gzip payload',
      ours: wire,
      baseline: perMin(sent.payloadBytes, oursSpanMs),
      unit: 'KB/min',
      note: `what base64 and OTLP/JSON framing add: ${formatNumber(sent.payloadBytes / 1024)} KB of gzip travel as ${formatNumber(sent.segmentWireBytes / 1024)} KB of request bodies; base64 is 4/3, the rest is ${formatNumber((sent.segmentWireBytes - (sent.payloadBytes * 4) / 3) / sent.segmentRequests)} bytes of resource, scope and attributes per request`,
    },
    {
      benchmark,
      metric: 'segments on the wire vs raw rrweb JSON gzipped',
      ours: wire,
      baseline: perMin(raw.gzipBytes, raw.spanMs),
      unit: 'KB/min',
      note: 'context: the whole raw recording as one gzip -6 stream, the best a one-shot upload could do; ours pays for base64, OTLP framing and segments that each restart compression',
    },
    {
      benchmark,
      metric: 'all OTLP bytes vs raw rrweb JSON',
      ours: perMin(sent.segmentWireBytes + sent.otherLogBytes + sent.traceBytes, oursSpanMs),
      baseline: rawJson,
      unit: 'KB/min',
      note: `segments plus the other log events (clicks, page views...: ${formatNumber(perMin(sent.otherLogBytes, oursSpanMs))} KB/min) and spans (${formatNumber(perMin(sent.traceBytes, oursSpanMs))} KB/min)`,
    },
    {
      benchmark,
      metric: `wire >= ${WIRE_TARGET}× smaller than raw rrweb JSON`,
      ours: wire,
      baseline: rawJson,
      unit: 'KB/min',
      check: smaller >= WIRE_TARGET ? 'pass' : 'fail',
      note: `issue-3 target: ${formatNumber(smaller)}× smaller (ratio column = ours / raw)`,
    },
  ];
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' }, seconds: { type: 'string' } } });
  const results = await run({ quick: values.quick ?? false, ...(values.seconds ? { seconds: Number(values.seconds) } : {}) });
  printTable(results);
  if (results.some((r) => r.check === 'fail')) process.exitCode = 1;
}
