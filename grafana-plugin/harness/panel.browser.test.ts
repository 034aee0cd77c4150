// The built dashboard panel (dist/panels/replay/module.js, loaded as Grafana's AMD loader
// would) in real Chromium, replaying a session from a real receiver. The panel fetches the
// player as a lazy chunk: it must find that chunk where the build puts it (dist/'s root,
// not the panel's own directory, which is where the scaffold's public path points for a
// nested plugin), say so while it loads, and when the chunk cannot be fetched show a clear
// error whose Retry really fetches it again.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page, Request, Response } from 'playwright-core';
import { startHarness } from './fixture.ts';
import type { Harness } from './fixture.ts';
import { REPLAY_IFRAME } from './probe.ts';
import { TITLE_TEXT, recordingSegments } from './recording.ts';
import { PANEL_MODULE, PANEL_PAGE, PLUGIN_ID } from './server.ts';

const SESSION = 'panel-session-1';
const START = Date.now() - 3600_000;
const PLUGIN_BASE = `/public/plugins/${PLUGIN_ID}/`;
/** A lazy chunk: `<id>.js?_cache=<hash>` (output.chunkFilename), wherever it is asked for. */
const isChunk = (url: URL) => /\/\d+\.js$/.test(url.pathname) && url.searchParams.has('_cache');

let h: Harness;

before(async () => {
  h = await startHarness({ segments: recordingSegments({ sessionId: SESSION, start: START, durationMs: 60_000, snapshotEveryMs: 30_000 }), jsonData: {} });
});

after(async () => {
  await h?.close();
});

async function openPanel(): Promise<{ page: Page; errors: string[]; chunks: Array<{ url: URL; status: number }> }> {
  const page = await h.browser.context.newPage();
  await page.setViewportSize({ width: 1000, height: 700 });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const chunks: Array<{ url: URL; status: number }> = [];
  page.on('response', (r: Response) => {
    const url = new URL(r.url());
    if (isChunk(url)) chunks.push({ url, status: r.status() });
  });
  return { page, errors, chunks };
}

const panelUrl = () => `${h.server.url}${PANEL_PAGE}?mode=replay&var-session=${SESSION}`;

test('the panel fetches the player chunk from the app root and replays the session', async () => {
  const { page, errors, chunks } = await openPanel();
  const scripts: string[] = [];
  page.on('request', (r: Request) => {
    if (r.resourceType() === 'script') scripts.push(new URL(r.url()).pathname);
  });
  await page.goto(panelUrl());
  const replay = page.frameLocator(REPLAY_IFRAME);
  await replay.locator('#title').waitFor({ timeout: 20_000 });
  assert.equal(await replay.locator('#title').textContent(), TITLE_TEXT, 'the first frame is the recorded page');

  assert.ok(scripts.includes(`${PLUGIN_BASE}${PANEL_MODULE}`), `the panel module was loaded: ${scripts.join(', ')}`);
  assert.ok(!scripts.includes(`${PLUGIN_BASE}module.js`), 'a dashboard panel does not need the app module');
  assert.ok(chunks.length > 0, 'the player came in a lazy chunk');
  for (const c of chunks) {
    assert.equal(c.url.pathname.replace(/\d+\.js$/, ''), PLUGIN_BASE, `chunk ${c.url.pathname} is fetched from the app root`);
    assert.equal(c.status, 200, `chunk ${c.url.pathname} answered ${c.status}`);
  }
  assert.deepEqual(errors, [], 'no script error on the page');
  await page.close();
});

test('a player chunk that cannot be fetched shows an error, and Retry fetches it again', async () => {
  const { page, errors } = await openPanel();
  let failing = true;
  let refused = 0;
  await page.route(
    (url) => isChunk(url),
    async (route) => {
      if (failing) {
        refused++;
        await route.abort('connectionfailed');
        return;
      }
      await route.continue();
    }
  );
  await page.goto(panelUrl());
  const error = page.getByTestId('data-testid replay-load-error');
  await error.waitFor({ timeout: 20_000 });
  const text = await error.innerText();
  assert.match(text, /The replay player could not be loaded/);
  assert.match(text, /Check the connection to Grafana, then retry/);
  assert.ok(refused > 0, 'the chunk was asked for');
  assert.equal(await page.locator(REPLAY_IFRAME).count(), 0);

  failing = false;
  await error.getByRole('button', { name: /Retry/ }).click();
  const replay = page.frameLocator(REPLAY_IFRAME);
  await replay.locator('#title').waitFor({ timeout: 20_000 });
  assert.equal(await replay.locator('#title').textContent(), TITLE_TEXT);
  assert.equal(await error.count(), 0, 'the error is gone once the player is there');
  assert.deepEqual(errors, [], 'no uncaught script error: the failure is shown, not thrown');
  await page.close();
});
