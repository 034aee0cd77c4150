// The whole path in real Chromium: the demo app (demo/, instrumented with the SDK's
// script-tag build) is driven like a user would — routes, a form, list changes, a slow
// call, a failing call, a console error, a thrown error — against a real receiver whose
// forwarding goes to OTLP stand-ins for Loki and Tempo. Then, through the receiver's
// query API only: the session is found by search and its summary matches what was done;
// its recording replays in rrweb's Replayer to the same picture as the (masked) live page;
// and the stand-ins got the backend span inside the browser span's trace, the console
// error, and the spans carrying the session's id.

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import { Attr, EventName } from '@otel-replay/protocol';
import type { PlaybackLine, SessionDetail, SessionSearchResult } from '@otel-replay/protocol';
import { loadDemoConfig } from '../demo/src/config.ts';
import { startDemo } from '../demo/src/server.ts';
import type { RunningDemo } from '../demo/src/server.ts';
import { REPORT_DELAY_MS } from '../demo/src/api.ts';
import { decodeLogs } from '../receiver/src/otlp/decode-logs.ts';
import { freePort } from '../receiver/test/helpers/http.ts';
import { decodeTraces } from '../receiver/src/otlp/decode-traces.ts';
import type { SpanView } from '../receiver/src/otlp/model.ts';
import { launchChromium } from '../receiver/test/helpers/chromium.ts';
import type { LaunchedBrowser } from '../receiver/test/helpers/chromium.ts';
import { startReceiver } from '../receiver/test/helpers/receiver.ts';
import type { RunningReceiver } from '../receiver/test/helpers/receiver.ts';
import { LOGS_PATH, TRACES_PATH, startOtlpSink } from '../receiver/test/peers/otlp-sink.ts';
import type { OtlpSink, SinkRequest } from '../receiver/test/peers/otlp-sink.ts';
import type { PixelDiff } from './fixtures/replayer.ts';

const ARTIFACTS = path.join(import.meta.dirname, 'test-artifacts');
const VIEWPORT = { width: 1024, height: 640 };
/** Pixels the replay's last frame may differ by from the masked live page (one '*' is ~200). */
const MAX_DIFFERING_PIXELS = 40;
/** What the user types; none of it may show up in the recording. */
const TYPED = ['Oat milk', 'Dark chocolate', 'Jane Tester', 'jane.tester@example.com', 'Where is my order 4711?'];

let loki: OtlpSink;
let tempo: OtlpSink;
let receiver: RunningReceiver;
let demo: RunningDemo;
let browser: LaunchedBrowser;
let replayerScript = '';

before(async () => {
  const bundle = await build({ entryPoints: [path.join(import.meta.dirname, 'fixtures', 'replayer.ts')], bundle: true, format: 'iife', platform: 'browser', target: 'es2022', write: false, logLevel: 'error' });
  replayerScript = bundle.outputFiles[0]!.text;
  loki = await startOtlpSink();
  tempo = await startOtlpSink();
  const demoPort = await freePort();
  receiver = await startReceiver({
    server: { corsAllowedOrigins: [`http://127.0.0.1:${demoPort}`] },
    forward: { logsUrl: loki.logsUrl, tracesUrl: tempo.tracesUrl, retry: { initialDelayMs: 20, maxDelayMs: 200 } },
  });
  demo = await startDemo(loadDemoConfig({}, { port: demoPort, browserEndpoint: receiver.url, tracesUrl: `${receiver.url}/v1/traces` }));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await demo?.close();
  await receiver?.stop();
  await loki?.stop();
  await tempo?.stop();
});

/** Polls `read` until `ok` holds (bounded); fails with the last value seen. */
async function eventually<T>(what: string, read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await read();
  while (!ok(last)) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${JSON.stringify(last, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))?.slice(0, 1500)}`);
    await new Promise((r) => setTimeout(r, 100));
    last = await read();
  }
  return last;
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  assert.equal(res.status, 200, `GET ${url} answered ${res.status}: ${await res.clone().text()}`);
  return (await res.json()) as T;
}

interface Sdk {
  getInstance(): { start(): Promise<void>; stop(): void; flush(): Promise<void>; getSessionId(): string } | null;
}

/** Calls a method of the page's SDK handle (`OtelReplay.getInstance()`) and returns its result. */
function callSdk<T>(page: Page, method: 'start' | 'stop' | 'flush' | 'getSessionId'): Promise<T> {
  return page.evaluate((m) => {
    const handle = (window as unknown as { OtelReplay: Sdk }).OtelReplay.getInstance()!;
    return (handle[m] as () => unknown).call(handle);
  }, method) as Promise<T>;
}

async function itemCount(page: Page, n: number): Promise<void> {
  await page.waitForFunction((count) => document.querySelectorAll('#items li').length === count, n, { timeout: 5000 });
}

/**
 * Makes the live page look the way the SDK's defaults record it (sdk/src/replay/privacy.ts
 * and scrub.ts): every non-space character of text becomes '*', every non-empty input
 * value becomes '******', and title/placeholder/aria-label/alt are masked like text.
 */
function maskLikeTheRecording(): void {
  const mask = (s: string): string => s.replace(/\S/g, '*');
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement?.tagName;
    if (parent !== 'SCRIPT' && parent !== 'STYLE') (node as Text).data = mask((node as Text).data);
  }
  for (const field of document.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>('input, textarea')) if (field.value) field.value = '******';
  for (const el of document.querySelectorAll('[title],[placeholder],[aria-label],[alt]')) {
    for (const name of ['title', 'placeholder', 'aria-label', 'alt']) {
      const value = el.getAttribute(name);
      if (value) el.setAttribute(name, mask(value));
    }
  }
}

test('a demo session is found, summarised, replayed to the live picture, and its traces and logs reach Tempo and Loki', async () => {
  const page = await browser.context.newPage();
  await page.setViewportSize(VIEWPORT);
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  const apiCalls: string[] = [];
  page.on('request', (r) => {
    const url = new URL(r.url());
    if (url.origin === demo.url && url.pathname.startsWith('/api/')) apiCalls.push(`${r.method()} ${url.pathname}`);
  });

  // ---- drive the demo like a user ----
  const driveStart = Date.now();
  let clicks = 0;
  const click = async (selector: string): Promise<void> => {
    await page.click(selector);
    clicks++;
  };
  await page.goto(`${demo.url}/`);
  await page.waitForFunction(() => (window as unknown as { OtelReplay?: Sdk }).OtelReplay?.getInstance() != null);
  await callSdk(page, 'start');
  await page.waitForFunction(() => document.getElementById('item-count')?.textContent === '3');

  await click('#load-report'); // the slow call
  await page.waitForFunction(() => document.getElementById('report')?.textContent?.includes('items on the list'), undefined, { timeout: REPORT_DELAY_MS + 5000 });

  await click('#nav-items');
  await itemCount(page, 3);
  await page.fill('#new-item', TYPED[0]!);
  await click('#add-button');
  await itemCount(page, 4);
  await page.fill('#new-item', TYPED[1]!);
  // Submitted with the keyboard. HTML's implicit submission fires a click event at the
  // form's submit button, and the SDK counts it like the browser reports it.
  await page.press('#new-item', 'Enter');
  clicks++;
  await itemCount(page, 5);
  await click('#items li:first-child button.remove');
  await itemCount(page, 4);
  await click('#checkout'); // the failing call, logged with console.error
  await page.waitForFunction(() => document.getElementById('checkout-status')?.classList.contains('error'));

  await click('#nav-contact');
  await page.fill('#contact-name', TYPED[2]!);
  await page.fill('#contact-email', TYPED[3]!);
  await page.fill('#contact-message', TYPED[4]!);
  await click('#send');
  await page.waitForFunction(() => document.getElementById('contact-status')?.textContent?.includes('ticket'));

  await page.goBack(); // popstate: back on the list
  await itemCount(page, 4);
  await click('#nav-home');
  await click('#throw-error'); // an unhandled exception
  await page.waitForFunction(() => document.getElementById('error-status')?.textContent !== '');
  await click('#nav-items');
  await itemCount(page, 4);
  await page.waitForFunction(() => document.getElementById('list-status')?.textContent === '' && document.getElementById('item-count')?.textContent === '4');
  // Rest the pointer on empty space and drop focus, so neither a hover style nor a caret
  // is in the last frame (the Replayer shows neither).
  await page.mouse.move(VIEWPORT.width - 20, VIEWPORT.height - 20);
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.waitForTimeout(200);
  await callSdk(page, 'flush');
  const driveEnd = Date.now();
  const sessionId = await callSdk<string>(page, 'getSessionId');
  assert.match(sessionId, /^[0-9a-f]{32}$/);
  assert.deepEqual(pageErrors, ['Demo error: the "Throw an error" button was clicked'], 'the only page error is the one the demo throws on purpose');

  // ---- find the session through the query API and check its summary ----
  const apiSpans = apiCalls.length;
  const search = await eventually('the session in search results with every event and span counted',
    () => getJson<SessionSearchResult>(`${receiver.url}/api/v1/sessions?service=otel-replay-demo`),
    (r) => {
      const x = r.sessions[0];
      return r.sessions.length === 1 && x!.spans >= apiSpans && x!.clicks >= clicks && x!.pageViews >= 6 && x!.errors >= 1 && x!.consoleErrors >= 1 && x!.hasReplay;
    });
  assert.equal(search.total, 1);
  const summary = search.sessions[0]!;
  assert.equal(summary.sessionId, sessionId);
  assert.equal(summary.service, 'otel-replay-demo');
  assert.equal(summary.entryUrl, `${demo.url}/`);
  assert.deepEqual([...summary.urls].sort(), [`${demo.url}/`, `${demo.url}/contact`, `${demo.url}/items`]);
  // Load, then Items, Contact, back to Items, Home, Items.
  assert.equal(summary.pageViews, 6, 'page views: the load and five route changes');
  assert.equal(summary.clicks, clicks, `clicks: ${clicks} made`);
  assert.equal(summary.errors, 1, 'the thrown error');
  assert.equal(summary.consoleErrors, 1, 'the console.error of the failed checkout');
  assert.equal(summary.networkFailures, 1, 'the checkout answered 500');
  assert.equal(summary.rageClicks, 0);
  assert.equal(summary.deadClicks, 0, 'every click made the page react');
  assert.equal(summary.spans, apiSpans, `one fetch span per API call (${apiCalls.join(', ')})`);
  assert.match(String(summary.browser), /^Chrom/);
  // Duration: from the first to the last evidence. It spans at least the slow call and
  // at most the time the test spent driving the page (plus clock slack).
  assert.ok(summary.firstSeen >= driveStart - 1000 && summary.lastSeen <= driveEnd + 1000, `seen ${summary.firstSeen}..${summary.lastSeen}, drove ${driveStart}..${driveEnd}`);
  assert.ok(summary.durationMs >= REPORT_DELAY_MS && summary.durationMs <= driveEnd - driveStart + 1000, `durationMs ${summary.durationMs} for a ${driveEnd - driveStart} ms drive`);
  assert.equal(summary.durationMs, summary.lastSeen - summary.firstSeen);

  // ---- replay: the last frame of the recording against the live page, masked ----
  const detail = await getJson<SessionDetail>(`${receiver.url}/api/v1/sessions/${sessionId}`);
  assert.equal(detail.windows.length, 1, 'one tab, one window');
  assert.deepEqual(detail.windows[0]!.gaps, []);
  const ndjson = await (await fetch(`${receiver.url}/api/v1/sessions/${sessionId}/events?window=${detail.windows[0]!.windowId}`)).text();
  const lines = ndjson.trim().split('\n').map((l) => JSON.parse(l) as PlaybackLine);
  assert.deepEqual(lines.filter((l) => l.type !== 'segment' && l.type !== 'start' && l.type !== 'end'), [], 'no gap, damaged or error lines');
  assert.equal(lines.at(-1)?.type, 'end');
  const events = lines.flatMap((l) => (l.type === 'segment' ? l.events : []));
  assert.equal(events[0]?.type, 4, 'starts with Meta');
  for (const typed of TYPED) assert.equal(ndjson.includes(typed), false, `"${typed}" was typed and must not be in the recording`);
  const exported = await fetch(`${receiver.url}/api/v1/sessions/${sessionId}/export.html`);
  assert.equal(exported.status, 200, 'the offline replay the README points to');
  assert.match(exported.headers.get('content-disposition') ?? '', /attachment; filename="session-[0-9a-f]{32}\.html"/);
  assert.ok((await exported.text()).length > 10_000);

  const liveUnmasked = await page.screenshot();
  // Stop recording first: masking the live DOM must not become part of the recording.
  await callSdk(page, 'stop');
  await page.evaluate(maskLikeTheRecording);
  const liveMasked = await page.screenshot();

  const player = await browser.context.newPage();
  await player.setViewportSize({ width: VIEWPORT.width + 40, height: VIEWPORT.height + 40 });
  // Without rrweb's player CSS: no iframe border and no pointer drawn over the page.
  await player.setContent('<!doctype html><html><head><style>body{margin:0} iframe{border:0;display:block} .replayer-mouse,.replayer-mouse-tail{display:none}</style></head><body><div id="player"></div></body></html>');
  await player.addScriptTag({ content: replayerScript });
  const size = await player.evaluate((evs) => (window as unknown as { showLastFrame(e: unknown[]): Promise<{ width: number; height: number }> }).showLastFrame(evs), events as unknown[]);
  assert.deepEqual(size, VIEWPORT, 'the replay has the recorded viewport');
  const replayShot = await player.locator('iframe').screenshot();

  // Why pixels: the replay is compared with what a viewer would see, so layout, styles
  // and every list and status change count, not only the DOM outline. The live page is
  // masked by the SDK's own rules so that text and inputs read '***' on both sides; the
  // same Chromium renders both, so they come out identical here, and the allowance
  // (MAX_DIFFERING_PIXELS) only absorbs anti-aliasing jitter.
  const diff = (a: Buffer, b: Buffer): Promise<PixelDiff> => player.evaluate(
    ([x, y]) => (window as unknown as { diffImages(a: string, b: string, t: number): Promise<PixelDiff> }).diffImages(x!, y!, 24),
    [`data:image/png;base64,${a.toString('base64')}`, `data:image/png;base64,${b.toString('base64')}`]);
  const same = await diff(replayShot, liveMasked);
  // Controls, so the comparison is shown to fail when it should: the unmasked live page,
  // and the masked one with a single extra character in the item count badge.
  const unmasked = await diff(replayShot, liveUnmasked);
  await page.evaluate(() => { document.getElementById('item-count')!.textContent += '*'; });
  const oneChar = await diff(replayShot, await page.screenshot());
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(path.join(ARTIFACTS, 'demo-live-masked.png'), liveMasked);
  writeFileSync(path.join(ARTIFACTS, 'demo-replay-last-frame.png'), replayShot);
  writeFileSync(path.join(ARTIFACTS, 'demo-live-unmasked.png'), liveUnmasked);
  writeFileSync(path.join(ARTIFACTS, 'demo-diff.json'), `${JSON.stringify({ replayVsMaskedLive: same, replayVsUnmaskedLive: unmasked, replayVsOneCharacterMore: oneChar }, null, 2)}\n`);
  assert.ok(same.sameSize, `replay ${same.width}x${same.height} vs live ${VIEWPORT.width}x${VIEWPORT.height}`);
  assert.ok(same.differing <= MAX_DIFFERING_PIXELS, `the replay's last frame differs from the masked live page in ${same.differing} pixels within ${JSON.stringify(same.box)}; see e2e/test-artifacts/`);
  assert.ok(unmasked.differing > 10 * MAX_DIFFERING_PIXELS, `control: the unmasked live page should differ clearly, but only ${unmasked.differing} pixels did`);
  assert.ok(oneChar.differing > MAX_DIFFERING_PIXELS, `control: one more character in the badge should be caught, but only ${oneChar.differing} pixels differed`);
  await player.close();

  // ---- Tempo stand-in: the backend span sits inside the browser's fetch span trace ----
  await demo.flushTelemetry();
  const spansAtTempo = (): SpanView[] => tempo.accepted(TRACES_PATH).flatMap((r) => decodeTraces(body(r), encodingOf(r)).resources.flatMap((rs) => rs.scopes.flatMap((s) => s.spans)));
  const isReportFetch = (s: SpanView): boolean => String(s.attributes[Attr.urlFull] ?? s.attributes['http.url'] ?? '').endsWith('/api/report') && s.attributes[Attr.sessionId] === sessionId;
  const tempoSpans = await eventually('every browser fetch span and the backend spans at the Tempo stand-in',
    async () => spansAtTempo(),
    (spans) => spans.filter((s) => s.attributes[Attr.sessionId] === sessionId).length >= apiSpans && ['GET /api/report', 'report.aggregate', 'POST /api/checkout'].every((name) => spans.some((s) => s.name === name)));
  const browserSpan = tempoSpans.find(isReportFetch)!;
  const serverSpan = tempoSpans.find((s) => s.name === 'GET /api/report')!;
  assert.equal(serverSpan.traceId, browserSpan.traceId, 'backend span in the browser span\'s trace');
  assert.equal(serverSpan.parentSpanId, browserSpan.spanId, 'the browser fetch span is the backend span\'s parent');
  assert.equal(serverSpan.kind, 2, 'SERVER');
  assert.equal(browserSpan.attributes['link.traceId'], serverSpan.traceId, 'the SDK read Server-Timing: traceparent');
  assert.equal(browserSpan.attributes['link.spanId'], serverSpan.spanId);
  const aggregate = tempoSpans.find((s) => s.name === 'report.aggregate');
  assert.equal(aggregate?.parentSpanId, serverSpan.spanId, 'the slow part is a child of the backend span');
  assert.ok(Number(aggregate.endTimeUnixNano - aggregate.startTimeUnixNano) / 1e6 >= REPORT_DELAY_MS - 5, 'the child span covers the slow part');
  const checkout = tempoSpans.find((s) => s.name === 'POST /api/checkout');
  assert.equal(checkout?.statusCode, 2, 'the failing call is an error span at the backend');
  assert.equal(checkout.attributes['http.response.status_code'], 500);
  const withSession = tempoSpans.filter((s) => s.attributes[Attr.sessionId] === sessionId);
  assert.equal(withSession.length, apiSpans, 'every browser fetch span reached Tempo with session.id');
  assert.ok(tempoSpans.every((s) => s.attributes[Attr.sessionId] === undefined || s.attributes[Attr.sessionId] === sessionId));

  // ---- Loki stand-in: the console error and the exception, with session.id ----
  const logsAtLoki = () => loki.accepted(LOGS_PATH).flatMap((r) => decodeLogs(body(r), encodingOf(r)).resources.flatMap((rl) => rl.scopes.flatMap((s) => s.records)));
  const records = await eventually('the console error, the exception and the page views at the Loki stand-in', async () => logsAtLoki(),
    (rs) => rs.some((r) => r.eventName === EventName.console) && rs.some((r) => r.eventName === EventName.exception) && rs.filter((r) => r.eventName === EventName.pageView).length >= 6);
  const consoleErrors = records.filter((r) => r.eventName === EventName.console && r.attributes[Attr.consoleLevel] === 'error');
  assert.equal(consoleErrors.length, 1);
  assert.equal(consoleErrors[0]!.attributes[Attr.sessionId], sessionId);
  assert.match(String(consoleErrors[0]!.body), /checkout failed: POST \/api\/checkout failed with 500/);
  const exception = records.find((r) => r.eventName === EventName.exception)!;
  assert.equal(exception.attributes[Attr.sessionId], sessionId);
  assert.match(String(exception.attributes[Attr.exceptionMessage]), /Throw an error/);
  assert.equal(records.filter((r) => r.eventName === EventName.pageView).length, 6);
  assert.equal(records.some((r) => r.eventName === 'otel_replay.segment'), false, 'replay segments are stored, not forwarded');
  await page.close();
});

function body(r: SinkRequest): Uint8Array {
  if (!r.body) throw new Error(`the stand-in got a ${r.path} body that did not gunzip`);
  return r.body;
}

function encodingOf(r: SinkRequest): 'json' | 'protobuf' {
  return String(r.headers['content-type'] ?? '').startsWith('application/json') ? 'json' : 'protobuf';
}
