// A hostile recording in the Grafana app's player, in real Chromium: the built plugin's
// Session page replays a recording full of scripts, inline handlers, javascript: URLs and
// every kind of external asset (receiver/test/helpers/hostile-recording.ts), served by a
// real receiver through the harness's plugin-proxy path. The page must run none of it, must
// replay inside rrweb's sandboxed iframe, and must send no request to any origin but its
// own — checked both from the browser's side (every request the page makes) and from the
// trap server's side (what actually arrived).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { HOSTILE_DONE, HOSTILE_TITLE, hostileSegment, startTrap } from '../../receiver/test/helpers/hostile-recording.ts';
import type { Trap } from '../../receiver/test/helpers/hostile-recording.ts';
import { startHarness } from './fixture.ts';
import type { Harness } from './fixture.ts';
import { REPLAY_IFRAME } from './probe.ts';
import { PLUGIN_ID } from './server.ts';

const SESSION = 'hostile-session-1';
const START = Date.now() - 3600_000;

let h: Harness;
let trap: Trap;

before(async () => {
  trap = await startTrap();
  // No Loki/Tempo configured: the page's only traffic is its own origin (bundle, plugin, proxy).
  h = await startHarness({ segments: [hostileSegment(SESSION, START, trap.origin)], jsonData: {} });
});

after(async () => {
  await h?.close();
  await trap?.close();
});

test('the Session page replays a hostile recording without running it or reaching any other origin', async () => {
  const page = await h.browser.context.newPage();
  await page.setViewportSize({ width: 1400, height: 900 });
  const own = new URL(h.server.url).origin;
  const outside: string[] = [];
  page.on('request', (r) => {
    const url = r.url();
    if (url.startsWith('data:') || url.startsWith('blob:') || url.startsWith('about:')) return;
    if (new URL(url).origin !== own) outside.push(url);
  });
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));

  await page.goto(`${h.server.url}/a/${PLUGIN_ID}/session/${SESSION}?t=${START}`);
  const replay = page.frameLocator(REPLAY_IFRAME);
  await replay.locator('#title').waitFor({ timeout: 20_000 });
  assert.equal(await replay.locator('#title').textContent(), HOSTILE_TITLE, 'the recording was rebuilt');
  assert.equal(await page.locator(REPLAY_IFRAME).first().getAttribute('sandbox'), 'allow-same-origin', 'rrweb-player replays in an iframe sandboxed without allow-scripts');
  // The player plays from the start: every incremental event (late images, rules, a font) is applied.
  await replay.locator('#status', { hasText: HOSTILE_DONE }).waitFor({ timeout: 20_000 });
  await page.waitForTimeout(1500);

  assert.equal(await page.evaluate('window.__pwned'), undefined, 'no recorded script, handler or javascript: URL ran');
  assert.deepEqual(dialogs, [], 'no dialog opened');
  assert.deepEqual(outside, [], 'the page sent no request to another origin');
  assert.deepEqual(trap.hits, [], 'the trap server saw nothing');
  // The fragment link stays usable; the javascript: link does not.
  assert.equal(await replay.locator('#fragment-link').getAttribute('href'), '#title');
  assert.equal(await replay.locator('#js-link').getAttribute('href'), 'about:blank');
  // rrweb's Replayer calls play() on the recorded autoplay media and leaves the promise
  // unhandled; Chromium refuses (autoplay policy, and the source is now inert). Anything else is a failure.
  const mediaRefusals = /^play\(\) failed because the user didn't interact|^Failed to load because no supported source was found/;
  assert.deepEqual(errors.filter((m) => !mediaRefusals.test(m)), [], 'no other script error on the page');
  await page.close();
});
