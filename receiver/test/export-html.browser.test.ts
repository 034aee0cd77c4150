// The HTML export in a real browser: saved to disk and opened from file:// with every
// network request refused, it rebuilds the recorded page in rrweb-player, and the page
// asks for nothing outside the file.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { PROTOCOL_VERSION } from '@otel-replay/protocol';
import type { Segment } from '@otel-replay/protocol';
import { launchChromium } from './helpers/chromium.ts';
import type { LaunchedBrowser } from './helpers/chromium.ts';
import { segmentsRequest } from './helpers/otlp-json.ts';
import { startReceiver } from './helpers/receiver.ts';
import type { RunningReceiver } from './helpers/receiver.ts';

let rx: RunningReceiver;
let browser: LaunchedBrowser;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'otel-replay-export-'));
before(async () => {
  rx = await startReceiver();
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await rx?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

/** A real rrweb snapshot of a small page, then a text mutation 500 ms later. */
function recordedPage(start: number): unknown[] {
  const text = (id: number, textContent: string) => ({ type: 3, textContent, id });
  const el = (id: number, tagName: string, childNodes: unknown[], attributes: Record<string, string> = {}) => ({ type: 2, tagName, attributes, childNodes, id });
  return [
    { type: 4, timestamp: start, data: { href: 'https://shop.example/cart', width: 800, height: 600 } },
    {
      type: 2,
      timestamp: start + 1,
      data: {
        node: {
          type: 0,
          id: 1,
          childNodes: [
            { type: 1, name: 'html', publicId: '', systemId: '', id: 2 },
            el(3, 'html', [
              el(4, 'head', [el(5, 'title', [text(6, 'Cart')])]),
              el(7, 'body', [el(8, 'h1', [text(9, 'Your cart')], { id: 'title' }), el(10, 'p', [text(11, 'Three items')], { id: 'count' })]),
            ]),
          ],
        },
        initialOffset: { left: 0, top: 0 },
      },
    },
    { type: 3, timestamp: start + 500, data: { source: 0, texts: [{ id: 11, value: 'Four items' }], attributes: [], removes: [], adds: [] } },
    // A recorded image pointing at the network must not be fetched by the export.
    { type: 3, timestamp: start + 600, data: { source: 0, texts: [], attributes: [], removes: [], adds: [{ parentId: 7, nextId: null, node: el(12, 'img', [], { src: 'https://tracker.example/pixel.gif' }) }] } },
  ];
}

test('the export replays the recorded page offline in Chromium and loads nothing from the network', async () => {
  const sessionId = 'export-in-browser-1';
  const start = Date.now() - 60_000;
  const events = recordedPage(start);
  const json = JSON.stringify(events);
  const segment: Segment = {
    meta: { sessionId, windowId: 'tab1', seq: 0, firstTimestamp: start, lastTimestamp: start + 600, eventCount: events.length, hasFullSnapshot: true, encoding: 'gzip-json', protocolVersion: PROTOCOL_VERSION },
    body: new Uint8Array(gzipSync(json)),
  };
  const ingest = await fetch(`${rx.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(segmentsRequest([segment])) });
  assert.equal(ingest.status, 200);

  const res = await fetch(`${rx.url}/api/v1/sessions/${sessionId}/export.html`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-disposition') ?? '', /attachment; filename="session-export-in-browser-1\.html"/);
  const file = path.join(tmp, 'export.html');
  writeFileSync(file, Buffer.from(await res.arrayBuffer()));

  const page = await browser.context.newPage();
  const outside: string[] = [];
  await page.route('**/*', async (route) => {
    const url = route.request().url();
    if (url.startsWith('file:') || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
    outside.push(url);
    return route.abort();
  });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(pathToFileURL(file).href);

  // rrweb-player rebuilds the page inside its sandboxed iframe.
  const replay = page.frameLocator('iframe').first();
  await replay.locator('#title').waitFor({ timeout: 15_000 });
  assert.equal(await replay.locator('#title').textContent(), 'Your cart');
  assert.equal(await replay.locator('#count').textContent(), 'Three items', 'the first frame is the snapshot');
  // Pressing play reaches the mutation: the replayed text changes as it did live.
  await page.locator('.rr-controller__btns button').first().click();
  await replay.locator('#count', { hasText: 'Four items' }).waitFor({ timeout: 15_000 });
  assert.deepEqual(errors, [], 'no script error in the export');
  assert.deepEqual(outside, [], 'the export asked for nothing outside the file');
  await page.screenshot({ path: path.join(tmp, 'export.png') });
  await page.close();
});
