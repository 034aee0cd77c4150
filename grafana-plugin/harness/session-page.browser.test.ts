// The built plugin (dist/module.js, loaded unchanged as Grafana's AMD loader would) in real
// Chromium: the harness page provides Grafana's shared modules and mounts the app root at
// the Session page route; only the network is stubbed — the receiver proxy path is
// forwarded to a real receiver holding a generated rrweb recording, and Loki and Tempo
// answer with fixture JSON. Checks the first frame, seeking (a reload from the nearest full
// snapshot and a seek inside what is loaded), a span's Explore link, and the error state
// for a session the receiver does not know. Keeps a screenshot in test-artifacts/.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Page, Request } from 'playwright-core';
import { pluginDir } from './build.ts';
import { routeDatasources } from './datasources.ts';
import type { DatasourceFixtures } from './datasources.ts';
import { REPLAY_IFRAME, REPLAY_STREAM_COMPLETE, waitForClock } from './probe.ts';
import { startHarness } from './fixture.ts';
import type { Harness } from './fixture.ts';
import { TITLE_TEXT, recordingSegments } from './recording.ts';
import { PLUGIN_ID, RECEIVER_PROXY_PREFIX } from './server.ts';

const SESSION = 'harness-session-1';
const START = Date.now() - 2 * 3600_000;
const LOKI_UID = 'loki-harness';
const TEMPO_UID = 'tempo-harness';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const artifacts = path.join(pluginDir, 'test-artifacts');

let h: Harness;

before(async () => {
  // 4 minutes of recorded time with a full snapshot every minute: 4 places a load can start.
  h = await startHarness({
    segments: recordingSegments({ sessionId: SESSION, start: START, durationMs: 4 * 60_000, snapshotEveryMs: 60_000 }),
    jsonData: { lokiUid: LOKI_UID, tempoUid: TEMPO_UID },
    proxyReceiver: false,
  });
});

after(async () => {
  await h?.close();
});

const fixtures: DatasourceFixtures = {
  lokiUid: LOKI_UID,
  tempoUid: TEMPO_UID,
  sessionId: SESSION,
  service: 'shop-web',
  logs: [
    { timeMs: START + 5_000, line: 'page view', labels: { event_name: 'browser.page_view', url_full: 'https://shop.example/checkout' } },
    { timeMs: START + 90_000, line: 'cart updated', labels: { event_name: 'browser.console', replay_console_level: 'warn' } },
  ],
  spans: [{ traceId: TRACE_ID, spanId: '00f067aa0ba902b7', startMs: START + 130_000, durationMs: 42, method: 'POST', url: 'https://shop.example/api/cart', status: 200 }],
};

/** Forwards the plugin proxy path to the receiver (what Grafana's proxy does); returns the events requests seen. */
async function routeReceiver(page: Page): Promise<URL[]> {
  const events: URL[] = [];
  await page.route(`**${RECEIVER_PROXY_PREFIX}**`, async (route) => {
    const url = new URL(route.request().url());
    const rest = url.pathname.slice(RECEIVER_PROXY_PREFIX.length);
    if (/\/events$/.test(rest)) events.push(url);
    const response = await route.fetch({ url: `${h.rx.url}/${rest}${url.search}` });
    await route.fulfill({ response });
  });
  return events;
}

async function openPage(): Promise<{ page: Page; errors: string[] }> {
  const page = await h.browser.context.newPage();
  await page.setViewportSize({ width: 1400, height: 900 });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return { page, errors };
}

test('the Session page shows the first frame, seeks and links a span to Explore', async () => {
  const { page, errors } = await openPage();
  const events = await routeReceiver(page);
  const telemetry = await routeDatasources(page, fixtures);

  // Opened at 3:30 (the SDK's getSessionUrl form): the load starts at the snapshot at 3:00.
  const at = START + 210_000;
  await page.goto(`${h.server.url}/a/${PLUGIN_ID}/session/${SESSION}?t=${at}`);
  const replay = page.frameLocator(REPLAY_IFRAME);
  await replay.locator('#title').waitFor({ timeout: 20_000 });
  assert.equal(await replay.locator('#title').textContent(), TITLE_TEXT, 'the first frame is the recorded page');
  await waitForClock(page, 210, 216);
  assert.equal(events.length, 1);
  assert.equal(events[0]!.searchParams.get('at'), String(at), 'the first load asks for the moment in the URL');

  // The timeline merges Loki's events and Tempo's span, and asked both for this session only.
  const entries = page.getByTestId('data-testid timeline-entry');
  await assert.doesNotReject(entries.nth(2).waitFor({ timeout: 10_000 }));
  assert.equal(await entries.count(), 3);
  const loki = telemetry.find((u) => u.includes('/loki/api/v1/query_range'));
  const tempo = telemetry.find((u) => u.includes('/api/search'));
  assert.match(decodeURIComponent((loki ?? '').replace(/\+/g, ' ')), new RegExp(`session_id="${SESSION}"`));
  assert.match(decodeURIComponent((tempo ?? '').replace(/\+/g, ' ')), new RegExp(`span\\.session\\.id = "${SESSION}"`));

  // Seek to 1:30, before what is loaded: a new events request at that moment, and the
  // replayed page shows the clock of 1:30 (rebuilt from the snapshot at 1:00).
  await page.getByRole('button', { name: /^Seek to 01:30: console\.warn cart updated/ }).click();
  await waitForClock(page, 90, 96);
  assert.equal(events.length, 2, 'the seek outside what was loaded reloaded the recording');
  assert.equal(events[1]!.searchParams.get('at'), String(START + 90_000));
  // ...and that load reads its stream to the end line.
  await assert.doesNotReject(page.locator(REPLAY_STREAM_COMPLETE).waitFor({ state: 'attached', timeout: 15_000 }));

  mkdirSync(artifacts, { recursive: true });
  const shot = path.join(artifacts, 'session-page.png');
  await page.screenshot({ path: shot });
  console.log(`screenshot: ${shot}`);

  // Selecting the span seeks too (2:10); its Trace link opens the trace in Tempo in Explore.
  await page.getByRole('button', { name: /^Seek to 02:10: POST https:\/\/shop\.example\/api\/cart/ }).click();
  await waitForClock(page, 130, 136);
  await page.route('**/explore?**', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<title>Explore</title>' }));
  const [explore] = await Promise.all([
    page.waitForRequest((r: Request) => new URL(r.url()).pathname === '/explore'),
    page.getByTestId('data-testid timeline-explore').click(),
  ]);
  const url = new URL(explore.url());
  assert.equal(url.searchParams.get('orgId'), '1');
  const panes = JSON.parse(url.searchParams.get('panes') ?? '{}') as Record<string, { datasource: string; queries: Array<{ datasource: { type: string; uid: string }; queryType: string; query: string }>; range: { from: string; to: string } }>;
  const pane = Object.values(panes)[0];
  assert.ok(pane, `the Explore URL has a pane: ${url.search}`);
  assert.equal(pane.datasource, TEMPO_UID);
  assert.deepEqual(pane.queries[0]!.datasource, { type: 'tempo', uid: TEMPO_UID });
  assert.equal(pane.queries[0]!.queryType, 'traceql');
  assert.equal(pane.queries[0]!.query, TRACE_ID);
  assert.ok(Number(pane.range.from) <= START + 130_000 && Number(pane.range.to) >= START + 130_042, `the range ${pane.range.from}..${pane.range.to} covers the span`);

  assert.deepEqual(errors, [], 'no script error on the page');
  await page.close();
});

test('a session the receiver does not know shows an error state, not an empty player', async () => {
  const { page, errors } = await openPage();
  await routeReceiver(page);
  await routeDatasources(page, fixtures);
  await page.goto(`${h.server.url}/a/${PLUGIN_ID}/session/no-such-session`);
  const error = page.getByTestId('data-testid session-error');
  await error.waitFor({ timeout: 20_000 });
  assert.match(await error.innerText(), /Session no-such-session could not be loaded/);
  assert.match(await error.innerText(), /404/);
  assert.equal(await page.locator(REPLAY_IFRAME).count(), 0);
  assert.deepEqual(errors, []);
  await page.close();
});
