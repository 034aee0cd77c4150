// A hostile recording replayed by the receiver's HTML export in real Chromium. Three runs
// of the same file: as exported (CSP + sanitized events), with the CSP removed (the
// sanitizer alone must hold), and a control with the CSP removed and the raw hostile events
// put back — scripts still must not run (rrweb's sandboxed iframe, checked in the real
// browser rather than assumed), while the trap server now sees requests, which proves the
// test can see a leak and that the sanitizer is what stops it.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { jsonForScript } from '../src/query/export-html.ts';
import { launchChromium } from './helpers/chromium.ts';
import type { LaunchedBrowser } from './helpers/chromium.ts';
import { HOSTILE_DONE, HOSTILE_TITLE, hostileEvents, hostileSegment, startTrap } from './helpers/hostile-recording.ts';
import type { Trap } from './helpers/hostile-recording.ts';
import { segmentsRequest } from './helpers/otlp-json.ts';
import { startReceiver } from './helpers/receiver.ts';
import type { RunningReceiver } from './helpers/receiver.ts';

const SESSION = 'hostile-export-1';
const START = Date.now() - 60_000;

let rx: RunningReceiver;
let browser: LaunchedBrowser;
let trap: Trap;
let exported = '';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'otel-replay-hostile-'));

before(async () => {
  trap = await startTrap();
  rx = await startReceiver();
  browser = await launchChromium();
  const ingest = await fetch(`${rx.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(segmentsRequest([hostileSegment(SESSION, START, trap.origin)])) });
  assert.equal(ingest.status, 200);
  const res = await fetch(`${rx.url}/api/v1/sessions/${SESSION}/export.html`);
  assert.equal(res.status, 200);
  exported = await res.text();
});

after(async () => {
  await browser?.close();
  await rx?.stop();
  await trap?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const CSP_META = /<meta http-equiv="Content-Security-Policy" content="[^"]*">/;

interface Outcome {
  outside: string[];
  dialogs: string[];
  pwned: unknown;
  sandbox: string | null;
  title: string | null;
}

/** Opens `html` from file://, plays it to the end, and reports what left the page and what ran. */
async function replay(name: string, html: string, waitForEnd: boolean): Promise<Outcome> {
  const file = path.join(tmp, `${name}.html`);
  writeFileSync(file, html);
  const page = await browser.context.newPage();
  const outside: string[] = [];
  // Observed, not blocked: a request that would leave must reach the trap to be counted there too.
  page.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith('file:') && !url.startsWith('data:') && !url.startsWith('blob:') && url !== 'about:blank' && !url.startsWith('about:')) outside.push(url);
  });
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await page.goto(pathToFileURL(file).href);
  const frame = page.frameLocator('.replayer-wrapper iframe').first();
  await frame.locator('#title').waitFor({ timeout: 15_000 });
  const title = await frame.locator('#title').textContent();
  const sandbox = await page.locator('.replayer-wrapper iframe').first().getAttribute('sandbox');
  await page.locator('.rr-controller__btns button').first().click();
  if (waitForEnd) await frame.locator('#status', { hasText: HOSTILE_DONE }).waitFor({ timeout: 15_000 });
  else await page.waitForTimeout(2500);
  // Time for late fetches (the meta refresh waits 1 s; fonts load lazily).
  await page.waitForTimeout(1500);
  const pwned = await page.evaluate('window.__pwned');
  await page.close();
  return { outside, dialogs, pwned, sandbox, title };
}

test('the exported hostile recording replays, runs no script and reaches no other origin', async () => {
  assert.ok(!exported.includes(trap.origin), 'no trap URL is left anywhere in the export file');
  const hitsBefore = trap.hits.length;
  const r = await replay('as-exported', exported, true);
  assert.equal(r.title, HOSTILE_TITLE, 'the recording was rebuilt');
  assert.equal(r.sandbox, 'allow-same-origin', 'rrweb replays in an iframe sandboxed without allow-scripts');
  assert.equal(r.pwned, undefined, 'no recorded script, handler or javascript: URL ran');
  assert.deepEqual(r.dialogs, []);
  assert.deepEqual(r.outside, [], 'the page requested nothing outside the file');
  assert.deepEqual(trap.hits.slice(hitsBefore), [], 'the trap server saw nothing');
});

test('without the CSP the sanitized events alone reach no other origin', async () => {
  const noCsp = exported.replace(CSP_META, '');
  assert.notEqual(noCsp, exported, 'the CSP meta was removed');
  const hitsBefore = trap.hits.length;
  const r = await replay('no-csp', noCsp, true);
  assert.equal(r.title, HOSTILE_TITLE);
  assert.equal(r.pwned, undefined);
  assert.deepEqual(r.dialogs, []);
  assert.deepEqual(r.outside, []);
  assert.deepEqual(trap.hits.slice(hitsBefore), []);
});

test('control: the raw hostile events without CSP do reach out, but still run no script (the sandbox holds)', async () => {
  const raw = exported
    .replace(CSP_META, '')
    .replace(/(<script type="application\/json" id="orp-events-0">)[\s\S]*?(<\/script>)/, (_m, open: string, close: string) => `${open}${jsonForScript(hostileEvents(START, trap.origin))}${close}`);
  assert.ok(raw.includes(trap.origin), 'the raw events were put back');
  const hitsBefore = trap.hits.length;
  // The meta refresh may navigate the replay frame away before the last event: do not wait for it.
  const r = await replay('control', raw, false);
  assert.equal(r.sandbox, 'allow-same-origin');
  assert.equal(r.pwned, undefined, 'rrweb 2.x neutralises scripts and handlers even in unsanitized events');
  assert.deepEqual(r.dialogs, []);
  const hits = trap.hits.slice(hitsBefore);
  console.log(`control: the trap saw ${hits.length} requests: ${[...new Set(hits)].sort().join(" ")}`);
  assert.ok(hits.length >= 5, `without the sanitizer the trap is reached (${hits.length} requests: ${hits.join(' ')}), so the tests above would see a leak`);
  assert.ok(r.outside.length >= hits.length);
});
