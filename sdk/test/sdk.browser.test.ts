// The SDK in real Chromium against a real receiver: one instrumented page is clicked,
// typed in, routed and made to fail; everything it sends is captured from the network
// and decoded, and the receiver's session index is queried.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { launchChromium } from '../../receiver/test/helpers/chromium.ts';
import type { LaunchedBrowser } from '../../receiver/test/helpers/chromium.ts';
import { startReceiver } from '../../receiver/test/helpers/receiver.ts';
import type { RunningReceiver } from '../../receiver/test/helpers/receiver.ts';
import { isSessionSampled } from '../src/session/sampling.ts';
import { appUrl, BACKEND_SPAN, BACKEND_TRACE, buildOnce, captureOtlp, SECRET_INPUT, SECRET_TEXT, startBackend, startPageServer, waitFor } from './helpers/harness.ts';
import type { Capture, Http } from './helpers/harness.ts';

let browser: LaunchedBrowser;
let receiver: RunningReceiver;
let pages: Http;
let backend: Http;
let other: Http;

before(async () => {
  await buildOnce();
  pages = await startPageServer();
  backend = await startBackend(() => pages.url);
  other = await startBackend(() => pages.url);
  receiver = await startReceiver({ server: { corsAllowedOrigins: [pages.url] } });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await receiver?.stop();
  await pages?.close();
  await backend?.close();
  await other?.close();
});

function config(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    endpoint: receiver.url,
    serviceName: 'sdk-browser-test',
    replay: { flushIntervalMs: 1000 },
    network: { propagateTraceHeaderCorsUrls: [backend.url] },
    events: { console: ['warn', 'error'] },
    ...overrides,
  };
}

async function open(cfg: Record<string, unknown>, path = '/app'): Promise<{ page: Page; capture: Capture }> {
  const page = await browser.context.newPage();
  const capture = captureOtlp(page, receiver.url);
  await page.goto(appUrl(pages.url, cfg, path));
  await page.waitForFunction(() => typeof (window as unknown as { handle?: unknown }).handle === 'object');
  return { page, capture };
}

const sessionIdOf = (page: Page): Promise<string> => page.evaluate(() => (window as unknown as { handle: { getSessionId(): string } }).handle.getSessionId());

test('one instrumented page: events, spans and segments reach the receiver with one session.id; masked text never leaves the page', async () => {
  const { page, capture } = await open(config(), '/app?first=1');
  const sessionId = await sessionIdOf(page);
  assert.match(sessionId, /^[0-9a-f]{32}$/);

  // Rage click: four quick clicks on one spot. Dead click: a button that does nothing.
  // A live click: a button whose handler changes the DOM.
  const box = (await page.locator('#rage').boundingBox())!;
  for (let i = 0; i < 4; i++) await page.mouse.click(box.x + 5, box.y + 5, { delay: 10 });
  await page.click('#dead');
  await page.waitForTimeout(1100); // the dead-click window: nothing may happen in it
  await page.click('#alive');
  await page.fill('#name', SECRET_INPUT);

  // SPA route changes: pushState with a secret query, then a hash route.
  await page.evaluate(() => history.pushState({}, '', '/checkout?email=ann@example.com'));
  await page.evaluate(() => { location.hash = '#/step-2'; });

  // Console, an unhandled error and an unhandled rejection.
  await page.evaluate((secret) => {
    console.error('payment failed', { code: 42 });
    console.log('not captured at the default levels', secret);
    setTimeout(() => { throw new TypeError('boom from the page'); }, 0);
    void Promise.reject(new RangeError('rejected promise'));
  }, 'log-level-secret');

  // Network: fetch and XHR to the configured backend, fetch to another origin.
  await page.evaluate(async ({ api, otherApi }) => {
    await (await fetch(`${api}/orders?id=1`)).json();
    await new Promise<void>((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open('GET', `${api}/xhr`);
      xhr.onloadend = () => resolve();
      xhr.send();
    });
    await (await fetch(`${otherApi}/elsewhere`)).json();
  }, { api: backend.url, otherApi: other.url });

  // API: identify, a custom event, the Grafana URL.
  const url = await page.evaluate(() => {
    const h = (window as unknown as { handle: { identify(id: string, t: object): void; track(n: string, a: object): void; getSessionUrl(b: string): string } }).handle;
    h.identify('user-7', { email: 'ann@example.com', plan: 'pro' });
    h.track('checkout', { amount: 3, nested: { dropped: true } });
    return h.getSessionUrl('https://grafana.example.com/');
  });
  assert.match(url, new RegExp(`^https://grafana\\.example\\.com/a/otel-replay-app/session/${sessionId}\\?t=\\d{13}$`));

  await page.waitForTimeout(1300); // let the rage burst close and the dead-click window pass
  await page.evaluate(() => (window as unknown as { handle: { flush(): Promise<void> } }).handle.flush());

  const events = (name: string) => capture.logs.filter((l) => l.eventName === name);
  const counts = (): string => `events, spans and segments; have ${JSON.stringify(capture.logs.reduce<Record<string, number>>((m, l) => ({ ...m, [l.eventName]: (m[l.eventName] ?? 0) + 1 }), {}))} and ${capture.spans.length} spans`;
  await waitFor(counts, () =>
    events('browser.rage_click').length > 0 && events('browser.dead_click').length > 0 && events('otel_replay.custom').length > 0
    && capture.spans.length >= 3 && events('otel_replay.segment').length > 0 && events('exception').length >= 2);

  // session.id is the same everywhere: every event, every span, every segment.
  for (const l of capture.logs) assert.equal(l.attributes['session.id'], sessionId, `log ${l.eventName} has the session id`);
  for (const s of capture.spans) assert.equal(s.attributes['session.id'], sessionId, `span ${s.name} has the session id`);
  assert.ok(events('otel_replay.segment').length > 0, 'segments were sent');
  assert.equal(events('session.start').length, 1);
  assert.equal(capture.logs[0]!.resource['service.name'], 'sdk-browser-test');

  // Page views: load, pushState (query scrubbed), hash route.
  const views = events('browser.page_view').map((e) => e.attributes['url.full']);
  assert.deepEqual(views, [`${pages.url}/app`, `${pages.url}/checkout`, `${pages.url}/checkout#/step-2`]);
  assert.ok(events('browser.page_view').every((e) => e.attributes['replay.page.title'] === undefined), 'titles are page text, masked by default');

  // Clicks, rage clicks, dead clicks.
  const clicks = events('browser.click');
  assert.equal(clicks.filter((c) => c.attributes['replay.click.selector'] === 'button#rage').length, 4);
  const rage = events('browser.rage_click');
  assert.equal(rage.length, 1);
  assert.equal(rage[0]!.attributes['replay.click.selector'], 'button#rage');
  assert.equal(rage[0]!.attributes['replay.click.count'], 4);
  const dead = events('browser.dead_click').map((e) => e.attributes['replay.click.selector']);
  assert.ok(dead.includes('button#dead'), `dead clicks: ${dead.join(', ')}`);
  assert.ok(!dead.includes('button#alive'), 'a click that changed the DOM is not dead');
  assert.ok(clicks.every((c) => c.attributes['replay.click.text'] === undefined), 'masked text is not sent with clicks');

  // Console and errors.
  const consoleEvents = events('browser.console');
  assert.equal(consoleEvents.length, 1, 'only the configured levels');
  assert.equal(consoleEvents[0]!.body, 'payment failed {"code":42}');
  assert.equal(consoleEvents[0]!.attributes['replay.console.level'], 'error');
  const exceptions = events('exception').map((e) => `${e.attributes['exception.type']}: ${e.attributes['exception.message']}`);
  assert.ok(exceptions.includes('TypeError: boom from the page'), exceptions.join(' | '));
  assert.ok(exceptions.includes('RangeError: rejected promise'), exceptions.join(' | '));
  assert.ok(events('exception').every((e) => typeof e.attributes['exception.stacktrace'] === 'string'));

  // identify and custom events; user.id on what follows identify.
  const identify = events('otel_replay.identify')[0]!;
  assert.equal(identify.attributes['user.id'], 'user-7');
  assert.equal(identify.attributes['user.email'], 'ann@example.com');
  const custom = events('otel_replay.custom')[0]!;
  assert.equal(custom.attributes['replay.custom.name'], 'checkout');
  assert.equal(custom.attributes.amount, 3);
  assert.equal(custom.attributes.nested, undefined);
  assert.equal(custom.attributes['user.id'], 'user-7');

  // Network spans: traceparent only to the configured origin, Server-Timing read, uploads untraced.
  const toBackend = backend.seen.filter((s) => s.path === '/orders?id=1' || s.path === '/xhr');
  assert.equal(toBackend.length, 2);
  for (const s of toBackend) assert.match(String(s.headers.traceparent), /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  assert.equal(other.seen[0]?.headers.traceparent, undefined, 'no traceparent to an origin that is not configured');
  const fetchSpan = capture.spans.find((s) => String(s.attributes['url.full'] ?? s.attributes['http.url']).includes('/orders?id=1'));
  assert.ok(fetchSpan, `fetch span among: ${capture.spans.map((s) => s.name).join(', ')}`);
  assert.equal(fetchSpan.attributes['link.traceId'], BACKEND_TRACE);
  assert.equal(fetchSpan.attributes['link.spanId'], BACKEND_SPAN);
  const sentTraceparent = String(backend.seen.find((s) => s.path === '/orders?id=1')!.headers.traceparent);
  assert.equal(sentTraceparent.split('-')[1], fetchSpan.traceId, 'the propagated trace is the span\'s trace');
  const xhrSpan = capture.spans.find((s) => String(s.attributes['url.full'] ?? s.attributes['http.url']).endsWith('/xhr'));
  assert.ok(xhrSpan, 'XHR span');
  assert.equal(xhrSpan.attributes['link.traceId'], BACKEND_TRACE);
  for (const s of capture.spans) assert.ok(!String(s.attributes['url.full'] ?? s.attributes['http.url']).startsWith(receiver.url), `our own upload was traced: ${JSON.stringify(s.attributes)}`);

  // Privacy: masked text, input values and the title never appear in any request body (segments inflated).
  const everything = capture.rawBodies.join('\n');
  assert.ok(everything.length > 1000);
  assert.ok(!everything.includes(SECRET_TEXT), 'masked page text leaked');
  assert.ok(!everything.includes(SECRET_INPUT), 'input value leaked');
  assert.ok(!everything.includes('ann@example.com?') && !everything.includes('email=ann'), 'URL query leaked');
  assert.ok(!everything.includes('log-level-secret'), 'console.log captured though not configured');

  // The receiver indexed the session from all of it.
  let summary: Record<string, unknown> = {};
  for (let i = 0; i < 50; i++) {
    const res = await fetch(`${receiver.url}/api/v1/sessions/${sessionId}`);
    if (res.ok) {
      summary = await res.json() as Record<string, unknown>;
      if (JSON.stringify(summary).includes('"hasReplay":true')) break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const text = JSON.stringify(summary);
  assert.ok(text.includes(sessionId), `receiver knows the session: ${text.slice(0, 300)}`);
  assert.ok(text.includes('"hasReplay":true'), `receiver has the replay: ${text.slice(0, 300)}`);
  assert.ok(text.includes('user-7'), 'user id indexed');
  await page.close();
});

test('sessions are shared by tabs and reloads, and sampling is the same decision everywhere', async () => {
  await browser.context.clearCookies();
  const cfg = config({ session: { sampleRate: 0.5 } });
  const a = await open(cfg);
  const b = await open(cfg);
  const idA = await sessionIdOf(a.page);
  assert.equal(await sessionIdOf(b.page), idA, 'two tabs, one session');
  await a.page.reload();
  await a.page.waitForFunction(() => typeof (window as unknown as { handle?: unknown }).handle === 'object');
  assert.equal(await sessionIdOf(a.page), idA, 'a reload keeps the session');
  const sampled = (p: Page) => p.evaluate(() => (window as unknown as { handle: { parts: { session: { current(): { sampled: boolean } } } } }).handle.parts.session.current().sampled);
  const expected = isSessionSampled(idA, 0.5);
  assert.equal(await sampled(a.page), expected);
  assert.equal(await sampled(b.page), expected);
  const windows = await Promise.all([a.page, b.page].map((p) => p.evaluate(() => (window as unknown as { handle: { parts: { session: { windowId(): string } } } }).handle.parts.session.windowId())));
  assert.notEqual(windows[0], windows[1], 'each tab has its own window id');
  await a.page.close();
  await b.page.close();
});

test('sampleRate 0: no replay segment is sent, events and spans still are', async () => {
  const context = browser.context;
  const page = await context.newPage();
  // A fresh session: clear the shared one so this page starts its own.
  await page.goto(`${pages.url}/dist/size.json`);
  await page.evaluate(() => localStorage.clear());
  const capture = captureOtlp(page, receiver.url);
  await page.goto(appUrl(pages.url, config({ session: { sampleRate: 0 } })));
  await page.waitForFunction(() => typeof (window as unknown as { handle?: unknown }).handle === 'object');
  await page.click('#alive');
  await page.evaluate(() => fetch(location.origin + '/dist/size.json'));
  await page.waitForTimeout(2500);
  await page.evaluate(() => (window as unknown as { handle: { flush(): Promise<void> } }).handle.flush());
  await waitFor('events', () => capture.logs.some((l) => l.eventName === 'browser.click'));
  assert.equal(capture.logs.filter((l) => l.eventName === 'otel_replay.segment').length, 0);
  assert.ok(capture.logs.some((l) => l.eventName === 'browser.page_view'));
  await page.close();
});

test('init() is idempotent, never throws into the page, and importing has no side effects', async () => {
  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${pages.url}/dist/size.json`);
  await page.addScriptTag({ url: `${pages.url}/dist/otel-replay.iife.js` });
  const result = await page.evaluate(() => {
    const api = (window as unknown as { OtelReplay: { init(o: unknown): { getSessionId(): string }; getInstance(): unknown } }).OtelReplay;
    const fetchPatched = String(window.fetch).includes('[native code]') === false;
    const before = api.getInstance();
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => void warnings.push(String(args[0]));
    const bad = api.init({ session: { sampleRate: 7 } });
    console.warn = warn;
    return { fetchPatched, before, badId: bad.getSessionId(), warnings };
  });
  assert.equal(result.fetchPatched, false, 'loading the script patched nothing');
  assert.equal(result.before, null);
  assert.equal(result.badId, '', 'a bad option yields the no-op handle');
  assert.match(result.warnings[0] ?? '', /otel-replay: init\(\) failed.*/);
  const same = await page.evaluate((endpoint) => {
    const api = (window as unknown as { OtelReplay: { init(o: unknown): unknown } }).OtelReplay;
    return api.init({ endpoint }) === api.init({ endpoint });
  }, receiver.url);
  assert.equal(same, true);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a duplicated tab takes its own window id, both tabs\' segments are all stored, and a reload or a navigation keeps the window id', async () => {
  const cfg = config({ replay: { flushIntervalMs: 60_000 } });
  type Handle = { flush(): Promise<void>; parts: { session: { windowId(): string }; replay: { isRecording(): boolean } } };
  const windowIdOf = (p: Page): Promise<string> => p.evaluate(() => (window as unknown as { handle: Handle }).handle.parts.session.windowId());
  const recording = (p: Page) => p.waitForFunction(() => (window as unknown as { handle: Handle }).handle.parts.replay.isRecording(), undefined, { timeout: 10_000 });
  const flush = (p: Page) => p.evaluate(() => (window as unknown as { handle: Handle }).handle.flush());
  /** (window, seq) of every segment a capture saw on the wire. */
  const sent = (c: Capture): string[] => c.logs.filter((l) => l.eventName === 'otel_replay.segment').map((l) => `${String(l.attributes['replay.window.id'])}/${Number(l.attributes['replay.segment.seq'])}`);

  const a = await open(cfg);
  await recording(a.page);
  await a.page.click('#alive');
  await flush(a.page);
  const windowA = await windowIdOf(a.page);
  // "Duplicate tab": a second tab starts with a copy of the first tab's sessionStorage.
  const copied = await a.page.evaluate(() => Object.fromEntries(Object.entries(sessionStorage)));
  assert.equal(copied['otel-replay.window'], windowA);
  assert.ok(Object.keys(copied).some((k) => k === `otel-replay.seq.${windowA}`), `the seq counter is copied too: ${Object.keys(copied).join(', ')}`);
  const bPage = await browser.context.newPage();
  await bPage.addInitScript((entries: Record<string, string>) => {
    for (const [k, v] of Object.entries(entries)) sessionStorage.setItem(k, v);
  }, copied);
  const b = { page: bPage, capture: captureOtlp(bPage, receiver.url) };
  await bPage.goto(appUrl(pages.url, cfg));
  await bPage.waitForFunction(() => typeof (window as unknown as { handle?: unknown }).handle === 'object');
  await recording(b.page);
  const sessionId = await sessionIdOf(a.page);
  assert.equal(await sessionIdOf(b.page), sessionId, 'one session for both tabs');
  const windowB = await windowIdOf(b.page);
  assert.notEqual(windowB, windowA, 'the duplicate took its own window id');
  assert.equal(await windowIdOf(a.page), windowA, 'the original kept its window id');

  for (const p of [a.page, b.page, a.page, b.page]) {
    await p.click('#alive');
    await flush(p);
  }
  // A plain reload keeps the window id (and continues its sequence numbers).
  await a.page.reload();
  await a.page.waitForFunction(() => typeof (window as unknown as { handle?: unknown }).handle === 'object');
  assert.equal(await windowIdOf(a.page), windowA, 'a reload keeps the window id');
  // ...and so does following a link to another page of the site.
  await a.page.evaluate((url) => { location.href = url; }, appUrl(pages.url, cfg, '/app?page=2'));
  await a.page.waitForURL(/page=2/);
  await a.page.waitForFunction(() => typeof (window as unknown as { handle?: unknown }).handle === 'object');
  assert.equal(await windowIdOf(a.page), windowA, 'a navigation in the tab keeps the window id');
  await recording(a.page);
  await a.page.click('#alive');
  await flush(a.page);
  await flush(b.page);

  const sentA = sent(a.capture);
  const sentB = sent(b.capture);
  assert.ok(sentB.length >= 2 && sentB.every((k) => k.startsWith(`${windowB}/`)), `tab b sends as its own window: ${sentB.join(' ')}`);
  assert.ok(sentA.length >= 4 && sentA.every((k) => k.startsWith(`${windowA}/`)), `tab a before and after its reload: ${sentA.join(' ')}`);
  // The page-hide uploads of a leaving page are not always seen by the capture, so the
  // receiver may hold more than `sent`: every sent segment must be there, and each window
  // must be complete from seq 0 (a segment dropped as a duplicate leaves a gap).
  const missing = (stored: string[]) => [...sentA, ...sentB].filter((k) => !stored.includes(k));
  let stored: string[] = [];
  const deadline = Date.now() + 15_000;
  do {
    const res = await fetch(`${receiver.url}/api/v1/sessions/${sessionId}`);
    if (res.ok) {
      const detail = await res.json() as { windows: { windowId: string; segments: { seq: number }[] }[] };
      stored = detail.windows.filter((w) => w.windowId === windowA || w.windowId === windowB).flatMap((w) => w.segments.map((seg) => `${w.windowId}/${seg.seq}`));
    }
    if (missing(stored).length === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  } while (Date.now() < deadline);
  assert.deepEqual(missing(stored), [], 'every segment either tab sent is stored');
  for (const w of [windowA, windowB]) {
    const seqs = stored.filter((k) => k.startsWith(`${w}/`)).map((k) => Number(k.split('/')[1])).sort((x, y) => x - y);
    assert.deepEqual(seqs, seqs.map((_, i) => i), `window ${w}: seq from 0 without gaps`);
  }
  await a.page.close();
  await b.page.close();
});
