// Replay recording in real Chromium against a real receiver: an instrumented page is
// clicked and typed in; its segments are checked on the wire (masked text and input
// values never appear in any request body), through the query API, and by playing them
// in rrweb's Replayer; buffer mode, the page-hide flush, IndexedDB retry on the next load,
// session changes and the mutation-storm guard are each exercised for real, and so are a
// Content-Security-Policy that forbids the compression worker, a browser without
// CompressionStream, an event too large for any segment, and shadow DOM.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import { launchChromium } from '../../receiver/test/helpers/chromium.ts';
import type { LaunchedBrowser } from '../../receiver/test/helpers/chromium.ts';
import { startReceiver } from '../../receiver/test/helpers/receiver.ts';
import type { RunningReceiver } from '../../receiver/test/helpers/receiver.ts';

const PAGE = `<!doctype html><html><head><title>Checkout for Jane Doe</title><style>.card{border:1px solid #ccc}</style></head>
<body>
<h1 title="Jane Doe's cart">Welcome back, Jane Doe</h1>
<p class="card">Card ending 4242 belongs to Secret Customer</p>
<a id="orders" href="/orders?email=jane%40example.com">Your orders</a>
<img src="/avatar.png?token=imgsecret" alt="Photo of Jane Doe" width="40" height="40">
<form onsubmit="return false"><input id="email" placeholder="jane@example.com" aria-label="Email of Jane"><input id="pw" type="password"><textarea id="note"></textarea><button id="add" type="button">Add item</button></form>
<ul id="list"></ul>
<div id="storm">storm</div>
<script type="module" src="/bundle/replay-page.js"></script>
</body></html>`;

/** Two open shadow roots; the second host is meant to be blocked with `blockSelector`. */
const SHADOW_PAGE = `<!doctype html><html><head><title>Components</title></head>
<body>
<h1>Components</h1>
<div id="open-host"></div>
<div id="blocked-host"></div>
<ul id="list"></ul><button id="add" type="button">Add</button>
<script>
document.getElementById('open-host').attachShadow({ mode: 'open' }).innerHTML = '<p id="in-shadow">Shadow text of Jane</p>';
document.getElementById('blocked-host').attachShadow({ mode: 'open' }).innerHTML = '<p id="blocked-inner">Blocked widget of Jane</p><input id="blocked-input">';
</script>
<script type="module" src="/bundle/replay-page.js"></script>
</body></html>`;

/**
 * A strict policy as sites deploy it: no `worker-src`, so workers fall back to
 * `script-src` and then `default-src 'self'`, which refuses blob: workers.
 */
const cspFor = (receiverUrl: string): string => `default-src 'self'; connect-src 'self' ${receiverUrl}`;

/** Strings from the page and from typing that must never leave the browser. */
const SECRETS = ['Jane', 'Secret Customer', 'ending 4242', 'jane@example.com', 'jane%40example.com', 'imgsecret', 'typed-secret-value', 'pw-secret-123', 'note-secret', 'Welcome back', 'Your orders', 'Item 1'];

let receiver: RunningReceiver;
let browser: LaunchedBrowser;
let server: Server;
let pageOrigin = '';
let bundleDir = '';
/** Every /v1/logs body the browser sent, raw. */
const bodies: Buffer[] = [];
/** How many of the captured requests were sent with Content-Encoding: gzip. */
let gzippedRequests = 0;

before(async () => {
  bundleDir = mkdtempSync(path.join(os.tmpdir(), 'otel-replay-sdk-replay-'));
  await build({
    entryPoints: [path.join(import.meta.dirname, 'fixtures/replay-page.ts'), path.join(import.meta.dirname, 'fixtures/replayer-page.ts')],
    bundle: true, splitting: true, format: 'esm', platform: 'browser', target: 'es2022', outdir: bundleDir, logLevel: 'error',
  });
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/page.html') return void res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    if (url.pathname === '/replayer.html') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><html><body><script type="module" src="/bundle/replayer-page.js"></script></body></html>');
    // Without the page's own inline handler and style, which the policy would refuse: only the SDK is under test.
    if (url.pathname === '/csp.html') return void res.writeHead(200, { 'content-type': 'text/html', 'content-security-policy': cspFor(receiver.url) }).end(PAGE.replace(' onsubmit="return false"', '').replace(/<style>.*?<\/style>/, ''));
    if (url.pathname === '/shadow.html') return void res.writeHead(200, { 'content-type': 'text/html' }).end(SHADOW_PAGE);
    if (url.pathname === '/blank.html') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><p>bye</p>');
    if (url.pathname.startsWith('/bundle/')) {
      try {
        return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(path.join(bundleDir, path.basename(url.pathname))));
      } catch {
        return void res.writeHead(404).end();
      }
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  pageOrigin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  receiver = await startReceiver({ server: { corsAllowedOrigins: [pageOrigin] } });
  browser = await launchChromium();
  browser.context.on('request', (request) => {
    if (request.method() === 'POST' && request.url().endsWith('/v1/logs')) {
      const body = request.postDataBuffer();
      if (!body) return;
      const gzip = request.headers()['content-encoding'] === 'gzip';
      if (gzip) gzippedRequests++;
      bodies.push(gzip ? gunzipSync(body) : body);
    }
  });
});

after(async () => {
  await browser?.close();
  await receiver?.stop();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
});

function pageUrl(session: string, replay: Record<string, unknown> = {}, file = 'page.html'): string {
  const q = new URLSearchParams({ endpoint: receiver.url, session, replay: JSON.stringify({ flushIntervalMs: 60_000, ...replay }) });
  return `${pageOrigin}/${file}?${q}`;
}

async function openRecording(session: string, replay: Record<string, unknown> = {}, file = 'page.html', prepare?: (page: Page) => Promise<void>): Promise<Page> {
  const page = await browser.context.newPage();
  await prepare?.(page);
  await page.goto(pageUrl(session, replay, file));
  await page.waitForFunction(() => (window as unknown as { __replay?: { isRecording(): boolean } }).__replay?.isRecording() === true, undefined, { timeout: 10_000 });
  return page;
}

async function interact(page: Page): Promise<void> {
  await page.click('#add');
  await page.fill('#email', '');
  await page.type('#email', 'typed-secret-value');
  await page.type('#pw', 'pw-secret-123');
  await page.type('#note', 'note-secret');
  await page.click('#add');
  await page.waitForTimeout(300);
}

interface SegmentLine { type: string; seq?: number; events?: { type: number; timestamp: number; data?: Record<string, unknown> }[] }
interface SessionDetail { windows: { windowId: string; segments: { seq: number; hasFullSnapshot?: boolean; fullSnapshot?: boolean }[] }[] }

async function sessionDetail(session: string): Promise<SessionDetail | null> {
  const res = await fetch(`${receiver.url}/api/v1/sessions/${session}`);
  return res.status === 200 ? ((await res.json()) as SessionDetail) : null;
}

async function waitForSegments(session: string, predicate: (d: SessionDetail) => boolean, timeoutMs = 10_000): Promise<SessionDetail> {
  const deadline = Date.now() + timeoutMs;
  let last: SessionDetail | null = null;
  while (Date.now() < deadline) {
    last = await sessionDetail(session);
    if (last && predicate(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`session ${session}: segments did not arrive in ${timeoutMs} ms; last seen ${JSON.stringify(last)?.slice(0, 500)}`);
}

async function events(session: string, windowId: string): Promise<SegmentLine[]> {
  const res = await fetch(`${receiver.url}/api/v1/sessions/${session}/events?window=${windowId}`);
  assert.equal(res.status, 200);
  return (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as SegmentLine);
}

function allEvents(lines: SegmentLine[]): NonNullable<SegmentLine['events']> {
  return lines.filter((l) => l.type === 'segment').flatMap((l) => l.events ?? []);
}

/** The text of every captured request body with gzip bodies inflated. */
function wireTexts(): string[] {
  const out: string[] = [];
  for (const raw of bodies) {
    const text = raw.toString('utf8');
    // The base64 of gzip bodies is checked in its inflated form below; as text it is random
    // letters and digits in which a short secret could appear by chance.
    out.push(text.replace(/"bytesValue":"[^"]*"/g, '"bytesValue":""'));
    const request = JSON.parse(text) as { resourceLogs: { scopeLogs: { logRecords: { body?: { bytesValue?: string; stringValue?: string } }[] }[] }[] };
    for (const rl of request.resourceLogs) for (const sl of rl.scopeLogs) for (const r of sl.logRecords) {
      if (r.body?.bytesValue) out.push(gunzipSync(Buffer.from(r.body.bytesValue, 'base64')).toString('utf8'));
      if (r.body?.stringValue) out.push(r.body.stringValue);
    }
  }
  return out;
}

test('a clicked and typed-in page reaches the receiver masked, and replays to the same DOM structure', async () => {
  const session = 'replay-basic-1';
  const page = await openRecording(session);
  await interact(page);
  await page.evaluate(() => (window as unknown as { __replay: { flush(): Promise<void> } }).__replay.flush());
  const windowId = await page.evaluate(() => (window as unknown as { __replay: { windowId(): string } }).__replay.windowId());
  const detail = await waitForSegments(session, (d) => d.windows[0]?.segments.length === 1);
  assert.equal(detail.windows.length, 1);
  assert.equal(detail.windows[0]!.windowId, windowId);
  const lines = await events(session, windowId);
  const evs = allEvents(lines);
  assert.equal(evs[0]!.type, 4, 'starts with Meta');
  assert.equal(evs[1]!.type, 2, 'then a FullSnapshot');
  const inputs = evs.filter((e) => e.type === 3 && e.data?.source === 5);
  assert.ok(inputs.length >= 3, `input events recorded (${inputs.length})`);
  assert.ok(inputs.every((e) => e.data?.text === '******' || e.data?.text === ''), 'input values masked');
  assert.ok(evs.some((e) => e.type === 3 && e.data?.source === 2), 'clicks recorded');
  assert.ok(evs.some((e) => e.type === 3 && e.data?.source === 0 && (e.data.adds as unknown[]).length > 0), 'the added list items recorded');
  const meta = evs[0]!.data as { href: string };
  assert.equal(meta.href, `${pageOrigin}/page.html`, 'query string scrubbed from the Meta href');

  // Nothing sensitive in any request body, raw or inflated.
  assert.ok(bodies.length >= 1);
  assert.ok(gzippedRequests >= 1, 'request bodies are gzipped whole (Content-Encoding: gzip)');
  for (const text of wireTexts()) for (const secret of SECRETS) assert.equal(text.includes(secret), false, `"${secret}" leaked in a request body`);

  // Replay: the Replayer rebuilds the same element structure as the live page, masked.
  const live = await page.evaluate(() => (window as unknown as { __replay: { outline(): string } }).__replay.outline());
  const player = await browser.context.newPage();
  await player.goto(`${pageOrigin}/replayer.html`);
  await player.waitForFunction(() => typeof (window as unknown as { play?: unknown }).play === 'function');
  const replayed = await player.evaluate((e) => (window as unknown as { play(e: unknown): Promise<{ outline: string; text: string[]; email: string | null; imgs: number }> }).play(e), evs);
  assert.equal(replayed.outline, live);
  assert.match(live, /li\(\)li\(\)/, 'both clicks added an item');
  assert.ok(replayed.text.length >= 5);
  for (const t of replayed.text) assert.match(t, /^[\s*]*$/, `replayed text is masked: ${JSON.stringify(t)}`);
  assert.equal(replayed.email, '******');
  assert.equal(replayed.imgs, 1);
  await player.close();
  await page.close();
});

test('buffer mode sends nothing until an error, then the buffer (from a full snapshot), then keeps recording', async () => {
  const session = 'replay-buffer-1';
  const before = bodies.length;
  const page = await openRecording(session, { mode: 'buffer', bufferSeconds: 30, flushIntervalMs: 300 });
  await interact(page);
  await page.waitForTimeout(1000);
  assert.equal(bodies.length, before, 'nothing sent before the error');
  assert.equal(await sessionDetail(session), null);
  await page.evaluate(() => (window as unknown as { __replay: { notifyError(): void } }).__replay.notifyError());
  const detail = await waitForSegments(session, (d) => (d.windows[0]?.segments.length ?? 0) >= 2);
  const segs = detail.windows[0]!.segments;
  assert.deepEqual(segs.map((s) => s.seq), segs.map((_, i) => i), 'seq from 0 without gaps');
  const windowId = detail.windows[0]!.windowId;
  const evs = allEvents(await events(session, windowId));
  assert.equal(evs[1]!.type, 2, 'the buffer starts with a full snapshot');
  assert.ok(evs.some((e) => e.type === 3 && e.data?.source === 5), 'the typing before the error is in the buffer');
  // ...and recording continues normally after the error
  const count = segs.length;
  await page.click('#add');
  await waitForSegments(session, (d) => (d.windows[0]?.segments.length ?? 0) > count);
  await page.close();
});

test('the page-hide flush delivers the last segment when the user navigates away', async () => {
  const session = 'replay-pagehide-1';
  const page = await openRecording(session);
  await interact(page);
  await page.goto(`${pageOrigin}/blank.html`);
  const detail = await waitForSegments(session, (d) => (d.windows[0]?.segments.length ?? 0) >= 1);
  const evs = allEvents(await events(session, detail.windows[0]!.windowId));
  assert.ok(evs.some((e) => e.type === 3 && e.data?.source === 5), 'the typing made just before leaving arrived');
  await page.close();
});

test('an upload that fails is kept in IndexedDB and sent on the next load', async () => {
  const session = 'replay-retry-1';
  const page = await browser.context.newPage();
  await page.route('**/v1/logs', (route) => route.abort('connectionrefused'));
  await page.goto(pageUrl(session));
  await page.waitForFunction(() => (window as unknown as { __replay?: { isRecording(): boolean } }).__replay?.isRecording() === true);
  await interact(page);
  await page.evaluate(() => (window as unknown as { __replay: { flush(): Promise<void> } }).__replay.flush());
  await page.waitForFunction(async () => (await (window as unknown as { __replay: { idbCount(): Promise<number> } }).__replay.idbCount()) >= 1, undefined, { timeout: 10_000 });
  assert.equal(await sessionDetail(session), null, 'nothing reached the receiver');
  await page.unroute('**/v1/logs');
  await page.reload();
  // seq 0 comes from IndexedDB; the reloaded page continues the same window with seq 1.
  const detail = await waitForSegments(session, (d) => d.windows[0]?.segments.some((s) => s.seq === 0) === true, 15_000);
  assert.equal(detail.windows.length, 1, 'the reloaded tab keeps its window');
  const first = await (await fetch(`${receiver.url}/api/v1/sessions/${session}/segments/${detail.windows[0]!.windowId}/0`)).text();
  assert.ok(first.includes('"source":5'), 'the typing of the failed upload arrived');
  await page.waitForFunction(async () => (await (window as unknown as { __replay: { idbCount(): Promise<number> } }).__replay.idbCount()) === 0);
  await page.evaluate(() => (window as unknown as { __replay: { flush(): Promise<void> } }).__replay.flush());
  const after = await waitForSegments(session, (d) => d.windows[0]?.segments.some((s) => s.seq === 1) === true);
  assert.deepEqual(after.windows[0]!.segments.map((s) => s.seq), [0, 1]);
  await page.close();
});

test('a new session restarts the window at seq 0 with a full snapshot', async () => {
  const page = await openRecording('replay-change-a');
  await page.click('#add');
  await page.evaluate(() => (window as unknown as { __replay: { changeSession(id: string): void } }).__replay.changeSession('replay-change-b'));
  await page.click('#add');
  await page.evaluate(() => (window as unknown as { __replay: { flush(): Promise<void> } }).__replay.flush());
  const a = await waitForSegments('replay-change-a', (d) => (d.windows[0]?.segments.length ?? 0) >= 1);
  const b = await waitForSegments('replay-change-b', (d) => (d.windows[0]?.segments.length ?? 0) >= 1);
  assert.equal(a.windows[0]!.segments[0]!.seq, 0);
  assert.equal(b.windows[0]!.segments[0]!.seq, 0);
  const evs = allEvents(await events('replay-change-b', b.windows[0]!.windowId));
  assert.deepEqual([evs[0]!.type, evs[1]!.type], [4, 2]);
  await page.close();
});

test('a mutation storm is throttled, noted in the recording and repaired by a fresh full snapshot', async () => {
  const session = 'replay-storm-1';
  const page = await openRecording(session, { maxMutationsPerNodePerSecond: 20 });
  await page.evaluate(() => (window as unknown as { __replay: { storm(n: number): void } }).__replay.storm(2000));
  await page.waitForTimeout(2500);
  await page.evaluate(() => (window as unknown as { __replay: { flush(): Promise<void> } }).__replay.flush());
  const detail = await waitForSegments(session, (d) => (d.windows[0]?.segments.length ?? 0) >= 2);
  const evs = allEvents(await events(session, detail.windows[0]!.windowId));
  const custom = evs.filter((e) => e.type === 5).map((e) => (e.data as { tag: string }).tag);
  assert.ok(custom.includes('otel_replay.mutations_throttled'), `custom events: ${custom.join(', ')}`);
  assert.ok(custom.includes('otel_replay.mutations_resumed'));
  const stormMutations = evs.filter((e) => e.type === 3 && e.data?.source === 0).reduce((n, e) => n + ((e.data!.attributes as unknown[]) ?? []).length, 0);
  assert.ok(stormMutations < 200, `${stormMutations} of 2000 attribute mutations recorded`);
  assert.ok(evs.filter((e) => e.type === 2).length >= 2, 'a second full snapshot after the storm');
  await page.close();
});

test('with default limits a table re-rendered 10 times a second is recorded whole beside a storm that never calms, which is repaired while it lasts', async () => {
  const session = 'replay-churn-1';
  const page = await openRecording(session);
  const startedAt = Date.now();
  const stoppedAt = await Promise.race([page.evaluate(() => (window as unknown as { __replay: { churn(ms: number): Promise<number> } }).__replay.churn(13_500)), new Promise<number>((_, rej) => setTimeout(() => rej(new Error('churn hung')), 30_000))]);
  const live = await page.evaluate(() => (window as unknown as { __replay: { outline(): string } }).__replay.outline());
  await page.evaluate(() => (window as unknown as { __replay: { flush(): Promise<void> } }).__replay.flush());
  const windowId = await page.evaluate(() => (window as unknown as { __replay: { windowId(): string } }).__replay.windowId());
  const detail = await waitForSegments(session, (d) => (d.windows[0]?.segments.length ?? 0) >= 1);
  assert.equal(detail.windows[0]!.windowId, windowId);
  const evs = allEvents(await events(session, windowId));
  const throttled = evs.filter((e) => e.type === 5 && (e.data as { tag: string }).tag === 'otel_replay.mutations_throttled');
  assert.ok(throttled.length >= 1, 'the attribute storm was throttled');
  for (const t of throttled) {
    const report = (t.data as { payload: { reason: string; nodeIds: number[] } }).payload;
    assert.equal(report.reason, 'node-rate');
    assert.equal(report.nodeIds.length, 1, `only the stormed node is throttled: ${JSON.stringify(report)}`);
  }
  // Every rebuild's 120 removes reached the recording (a rebuild's removes arrive in one batch).
  const removes = evs.filter((e) => e.type === 3 && e.data?.source === 0).map((e) => (e.data!.removes as unknown[]).length);
  const rebuilds = removes.filter((n) => n === 120).length;
  const expected = Math.floor((stoppedAt - startedAt) / 100);
  assert.ok(rebuilds >= expected * 0.6, `${rebuilds} table rebuilds recorded of about ${expected}`);
  // The storm never calmed, yet a repairing full snapshot came while it lasted.
  const repairs = evs.filter((e) => e.type === 2 && e.timestamp > startedAt + 1000 && e.timestamp < stoppedAt);
  assert.ok(repairs.length >= 1, `a full snapshot during the storm (full snapshots at ${evs.filter((e) => e.type === 2).map((e) => e.timestamp - startedAt).join(', ')} ms)`);
  const player = await browser.context.newPage();
  await player.goto(`${pageOrigin}/replayer.html`);
  await player.waitForFunction(() => typeof (window as unknown as { play?: unknown }).play === 'function');
  // Played from the last repair on, as the player does when seeking there (the whole
  // recording would take the Replayer most of a minute on a busy machine).
  const fromRepair = evs.slice(evs.lastIndexOf(repairs[repairs.length - 1]!) - 1);
  assert.equal(fromRepair[0]!.type, 4, 'a repair starts with Meta');
  const replayed = await player.evaluate((e) => (window as unknown as { play(e: unknown): Promise<{ outline: string }> }).play(e), fromRepair);
  assert.equal(replayed.outline, live, 'the replay ends on the live page structure');
  await player.close();
  await page.close();
});

test('recording pauses when the user is idle and resumes on input with a fresh full snapshot', async () => {
  const session = 'replay-idle-1';
  const page = await openRecording(session, { idlePauseMs: 600 });
  const recording = () => page.evaluate(() => (window as unknown as { __replay: { isRecording(): boolean } }).__replay.isRecording());
  await page.waitForFunction(() => (window as unknown as { __replay: { isRecording(): boolean } }).__replay.isRecording() === false, undefined, { timeout: 5000 });
  await page.mouse.move(10, 10);
  await page.mouse.move(50, 40);
  assert.equal(await recording(), true);
  await page.click('#add');
  await page.evaluate(() => (window as unknown as { __replay: { flush(): Promise<void> } }).__replay.flush());
  const detail = await waitForSegments(session, (d) => (d.windows[0]?.segments.length ?? 0) >= 2);
  const segs = detail.windows[0]!.segments;
  assert.equal(segs[0]!.seq, 0);
  assert.ok(segs.filter((s) => s.hasFullSnapshot ?? s.fullSnapshot).length >= 2, `two seekable segments: ${JSON.stringify(segs)}`);
  const evs = allEvents(await events(session, detail.windows[0]!.windowId));
  assert.ok(evs.some((e) => e.type === 5 && (e.data as { tag: string }).tag === 'otel_replay.paused'));
  await page.close();
});

const flush = (page: Page): Promise<void> => page.evaluate(() => (window as unknown as { __replay: { flush(): Promise<void> } }).__replay.flush());

/** What one page did: workers started, uploads made, segments sent (decoded), page errors. */
interface Watch {
  workers: number;
  requests: number;
  gzipped: number;
  segments: { seq: number; body: Buffer }[];
  errors: string[];
}

function watch(page: Page): Watch {
  const w: Watch = { workers: 0, requests: 0, gzipped: 0, segments: [], errors: [] };
  page.on('worker', () => void w.workers++);
  page.on('pageerror', (e) => void w.errors.push(e.message));
  page.on('request', (request) => {
    if (request.method() !== 'POST' || !request.url().endsWith('/v1/logs')) return;
    const sent = request.postDataBuffer();
    if (!sent) return;
    w.requests++;
    const gzip = request.headers()['content-encoding'] === 'gzip';
    if (gzip) w.gzipped++;
    const json = JSON.parse((gzip ? gunzipSync(sent) : sent).toString('utf8')) as { resourceLogs: { scopeLogs: { logRecords: { eventName?: string; attributes: { key: string; value: { intValue?: string } }[]; body: { bytesValue: string } }[] }[] }[] };
    for (const rl of json.resourceLogs) for (const sl of rl.scopeLogs) for (const r of sl.logRecords) {
      if (r.eventName !== 'otel_replay.segment') continue;
      const seq = Number(r.attributes.find((a) => a.key === 'replay.segment.seq')!.value.intValue);
      w.segments.push({ seq, body: Buffer.from(r.body.bytesValue, 'base64') });
    }
  });
  return w;
}

/** Installed before the page's scripts: every CSP violation as `<directive> <blocked URI>`. */
async function collectViolations(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __violations: string[] }).__violations = seen;
    document.addEventListener('securitypolicyviolation', (e) => void seen.push(`${e.effectiveDirective} ${e.blockedURI}`));
  });
}

const violations = (page: Page): Promise<string[]> => page.evaluate(() => (window as unknown as { __violations: string[] }).__violations);

/** Each sent segment body is one gzip member of a JSON array of events; returns their seqs. */
function decodedSeqs(w: Watch): number[] {
  for (const s of w.segments) {
    assert.deepEqual([...s.body.subarray(0, 3)], [0x1f, 0x8b, 8], `segment ${s.seq} is gzip`);
    assert.ok(Array.isArray(JSON.parse(gunzipSync(s.body).toString('utf8'))), `segment ${s.seq} inflates to a JSON array`);
  }
  return w.segments.map((s) => s.seq).sort((a, b) => a - b);
}

test('a CSP that refuses blob: workers: the worker attempt is the only violation, and every segment still arrives gzipped', async () => {
  // Control: without the policy the compression worker starts, so the count below can tell.
  let control!: Watch;
  const plain = await openRecording('replay-csp-control', {}, 'page.html', async (p) => {
    control = watch(p);
    await collectViolations(p);
  });
  await plain.click('#add');
  await flush(plain);
  await waitForSegments('replay-csp-control', (d) => (d.windows[0]?.segments.length ?? 0) >= 1);
  assert.ok(control.workers >= 1, 'without a policy the compression worker runs');
  assert.deepEqual(await violations(plain), []);
  await plain.close();

  const session = 'replay-csp-1';
  let w!: Watch;
  const page = await openRecording(session, {}, 'csp.html', async (p) => {
    w = watch(p);
    await collectViolations(p);
  });
  await interact(page);
  await flush(page);
  await page.click('#add');
  await flush(page);
  const detail = await waitForSegments(session, (d) => (d.windows[0]?.segments.length ?? 0) >= 2);
  assert.deepEqual(await violations(page), ['worker-src blob'], 'the policy refused the blob: worker and nothing else the SDK does (uploads, recorder, IndexedDB)');
  assert.equal(w.workers, 0, 'no worker ran');
  assert.deepEqual(w.errors, []);
  assert.ok(w.requests >= 2);
  assert.equal(w.gzipped, w.requests, 'every upload gzipped whole (CompressionStream on the main thread)');
  // Nothing lost: every sealed segment was sent once, decodes, and is stored.
  const sent = decodedSeqs(w);
  assert.deepEqual(sent, sent.map((_, i) => i));
  assert.deepEqual(detail.windows[0]!.segments.map((s) => s.seq), sent);
  const evs = allEvents(await events(session, detail.windows[0]!.windowId));
  assert.deepEqual([evs[0]!.type, evs[1]!.type], [4, 2]);
  assert.ok(evs.filter((e) => e.type === 3 && e.data?.source === 5).length >= 3, 'the typing arrived');
  assert.equal(evs.filter((e) => e.type === 3 && e.data?.source === 0 && (e.data.adds as unknown[]).length > 0).length, 3, 'all three added items arrived');
  await page.close();
});

test('without CompressionStream segments are gzipped by fflate, uploads go uncompressed, and nothing is lost', async () => {
  const session = 'replay-nocs-1';
  let w!: Watch;
  const page = await openRecording(session, {}, 'page.html', async (p) => {
    w = watch(p);
    await p.addInitScript(() => void delete (globalThis as { CompressionStream?: unknown }).CompressionStream);
  });
  assert.equal(await page.evaluate(() => typeof (globalThis as { CompressionStream?: unknown }).CompressionStream), 'undefined');
  await interact(page);
  await flush(page);
  await page.click('#add');
  await flush(page);
  const detail = await waitForSegments(session, (d) => (d.windows[0]?.segments.length ?? 0) >= 2);
  assert.equal(w.workers, 0, 'no worker without CompressionStream');
  assert.deepEqual(w.errors, []);
  assert.ok(w.requests >= 2);
  assert.equal(w.gzipped, 0, 'uploads are plain JSON');
  const sent = decodedSeqs(w);
  assert.deepEqual(sent, sent.map((_, i) => i));
  assert.deepEqual(detail.windows[0]!.segments.map((s) => s.seq), sent);
  const evs = allEvents(await events(session, detail.windows[0]!.windowId));
  assert.equal(evs.filter((e) => e.type === 3 && e.data?.source === 0 && (e.data.adds as unknown[]).length > 0).length, 3);
  await page.close();
});

test('an event too large for any segment becomes a marker in the recording; recording goes on, replays, and the page is not blocked', async () => {
  const session = 'replay-huge-1';
  let w!: Watch;
  const page = await openRecording(session, {}, 'page.html', async (p) => void (w = watch(p)));
  await page.click('#add');
  // 2,000,000 random base64 characters gzip to about 1.5 MB, over the 1 MiB segment limit.
  await page.evaluate(() => (window as unknown as { __replay: { makeHuge(n: number): void } }).__replay.makeHuge(2_000_000));
  await page.evaluate(() => {
    const r = (window as unknown as { __replay: { startBeat(): void; addHuge(): void } }).__replay;
    r.startBeat();
    r.addHuge();
  });
  await flush(page);
  const blockedMs = await page.evaluate(() => (window as unknown as { __replay: { stopBeat(): number } }).__replay.stopBeat());
  await page.evaluate(() => (window as unknown as { __replay: { removeHuge(): void } }).__replay.removeHuge());
  await page.click('#add');
  await flush(page);
  const live = await page.evaluate(() => (window as unknown as { __replay: { outline(): string } }).__replay.outline());
  const detail = await waitForSegments(session, (d) => (d.windows[0]?.segments.length ?? 0) >= 3);
  const sent = decodedSeqs(w);
  assert.deepEqual(detail.windows[0]!.segments.map((s) => s.seq), sent, 'every segment, the marker included, is stored');
  assert.deepEqual(sent, sent.map((_, i) => i));
  assert.ok(w.segments.every((s) => s.body.length < 64 * 1024), `no segment carries the blob (${w.segments.map((s) => s.body.length).join(', ')} bytes)`);
  const evs = allEvents(await events(session, detail.windows[0]!.windowId));
  const markers = evs.filter((e) => e.type === 5 && (e.data as { tag: string }).tag === 'otel_replay.segment_dropped');
  assert.equal(markers.length, 1);
  const payload = (markers[0]!.data as { payload: { reason: string; bytes: number; events: number } }).payload;
  assert.equal(payload.reason, 'too-large');
  assert.ok(payload.bytes > 1024 * 1024, `dropped body was ${payload.bytes} bytes`);
  assert.equal(payload.events, 1, 'only the huge event was dropped');
  const afterMarker = evs.slice(evs.indexOf(markers[0]!) + 1);
  assert.ok(afterMarker.some((e) => e.type === 3 && e.data?.source === 0 && (e.data.adds as unknown[]).length > 0), 'the item added after the huge event was recorded');
  // Serialising, stringifying and handing 2 MB to the worker happen on the page's thread;
  // compressing it does not (18-30 ms measured; fflate gzipping the 2 MB in the page takes 130-170 ms).
  assert.ok(blockedMs < 120, `the page was blocked for ${blockedMs.toFixed(0)} ms`);
  const player = await browser.context.newPage();
  await player.goto(`${pageOrigin}/replayer.html`);
  await player.waitForFunction(() => typeof (window as unknown as { play?: unknown }).play === 'function');
  const replayed = await player.evaluate((e) => (window as unknown as { play(e: unknown): Promise<{ outline: string }> }).play(e), evs);
  assert.equal(replayed.outline, live, 'the recording around the gap replays to the live page');
  await player.close();
  await page.close();
});

test('open shadow roots are recorded masked, and a host in blockSelector keeps its shadow DOM out', async () => {
  const session = 'replay-shadow-1';
  const page = await openRecording(session, { blockSelector: '#blocked-host' }, 'shadow.html');
  await page.evaluate(() => {
    const p = document.createElement('p');
    p.textContent = 'Added in shadow by Jane';
    document.getElementById('open-host')!.shadowRoot!.appendChild(p);
    const blocked = document.getElementById('blocked-host')!.shadowRoot!;
    blocked.appendChild(document.createElement('b')).textContent = 'Blocked addition';
    blocked.getElementById('blocked-inner')!.firstChild!.textContent = 'Blocked change';
    blocked.getElementById('blocked-inner')!.setAttribute('class', 'changed');
  });
  await page.click('#blocked-input'); // Playwright's CSS engine pierces open shadow roots
  await page.keyboard.type('blocked typing');
  await page.click('#add');
  await flush(page);
  const detail = await waitForSegments(session, (d) => (d.windows[0]?.segments.length ?? 0) >= 1);
  const evs = allEvents(await events(session, detail.windows[0]!.windowId));
  const text = JSON.stringify(evs);
  for (const secret of ['Shadow text', 'Jane', 'Blocked widget', 'Blocked addition', 'Added in shadow', 'blocked-inner']) assert.equal(text.includes(secret), false, `"${secret}" is in the recording`);
  interface SNode { id: number; tagName?: string; attributes?: Record<string, string>; isShadow?: boolean; childNodes?: SNode[] }
  const nodes: SNode[] = [];
  const walk = (n: SNode): void => {
    nodes.push(n);
    for (const c of n.childNodes ?? []) walk(c);
  };
  walk((evs.find((e) => e.type === 2)!.data as { node: SNode }).node);
  const openHost = nodes.find((n) => n.attributes?.id === 'open-host')!;
  assert.ok(openHost, 'the open host is in the snapshot');
  const shadowKids = (openHost.childNodes ?? []).filter((c) => c.isShadow);
  assert.deepEqual(shadowKids.map((c) => c.tagName), ['p'], 'its shadow content is recorded');
  assert.equal(nodes.filter((n) => n.isShadow).length, 1, 'nothing of the blocked host\'s shadow root is');
  const shadowAdds = evs.filter((e) => e.type === 3 && e.data?.source === 0).flatMap((e) => e.data!.adds as { parentId: number; node: SNode }[]).filter((a) => a.node.isShadow);
  assert.deepEqual(shadowAdds.map((a) => [a.parentId, a.node.tagName]), [[openHost.id, 'p']], 'the paragraph added to the open shadow root, and nothing added to the blocked one');
  const mutations = evs.filter((e) => e.type === 3 && e.data?.source === 0).map((e) => e.data as { adds: unknown[]; texts: unknown[]; attributes: { attributes: Record<string, unknown> }[] });
  assert.equal(mutations.flatMap((m) => m.texts).length, 0, 'no text change of the blocked shadow root');
  assert.ok(mutations.flatMap((m) => m.attributes).every((a) => a.attributes.class !== 'changed'), 'no attribute change of the blocked shadow root');
  assert.ok(mutations.every((m) => m.adds.length + m.texts.length + m.attributes.length + (m as unknown as { removes: unknown[] }).removes.length > 0), 'no empty mutation left behind');
  assert.equal(evs.filter((e) => e.type === 3 && e.data?.source === 5).length, 0, 'no input event from inside the blocked shadow root');
  const addButton = nodes.find((n) => n.attributes?.id === 'add')!;
  const clicked = evs.filter((e) => e.type === 3 && e.data?.source === 2).map((e) => e.data!.id);
  assert.ok(clicked.length > 0 && clicked.every((id) => id === addButton.id), `mouse interactions only on the Add button (${addButton.id}): ${clicked.join(', ')}`);
  const player = await browser.context.newPage();
  await player.goto(`${pageOrigin}/replayer.html`);
  await player.waitForFunction(() => typeof (window as unknown as { play?: unknown }).play === 'function');
  const replayed = await player.evaluate((e) => (window as unknown as { play(e: unknown): Promise<{ shadow: string | null }> }).play(e), evs);
  assert.ok(replayed.shadow, 'the replay rebuilds the shadow root');
  assert.match(replayed.shadow, /^[\s*]+$/, `replayed shadow text is masked: ${JSON.stringify(replayed.shadow)}`);
  assert.equal(replayed.shadow.replace(/\s/g, '').length, 'Shadowtextof Jane'.replace(/\s/g, '').length + 'AddedinshadowbyJane'.length);
  await player.close();
  await page.close();
});
