import assert from 'node:assert/strict';
import { test } from 'node:test';
import vm from 'node:vm';
import type { RrwebEvent, SegmentIndexRow } from '@otel-replay/protocol';
import type { SessionSummary } from '../index/session-index.ts';
import { EXPORT_CSP, escapeHtml, formatDuration, jsonForScript, renderExportHtml } from './export-html.ts';
import type { ExportWindow } from './export-html.ts';
import { playerAssets, prepareInline } from './player-assets.ts';
import type { SegmentOutcome } from './segment-reader.ts';

const HOSTILE = '</script><script>alert(1)</script><!-- <b>';

function session(over: Partial<SessionSummary> = {}): SessionSummary {
  return {
    tenant: 't', sessionId: 'sess-1', service: 'shop', userId: 'u<img src=x onerror=alert(1)>', firstSeen: Date.UTC(2024, 4, 1, 10, 0, 0), lastSeen: Date.UTC(2024, 4, 1, 11, 2, 3),
    durationMs: 3_723_000, entryUrl: 'https://shop.example/cart?a=1&b=2', urls: [], browser: 'Firefox', os: 'Linux', device: 'desktop', userAgent: null,
    pageViews: 1, clicks: 0, errors: 0, rageClicks: 0, deadClicks: 0, networkFailures: 0, consoleErrors: 0, spans: 0, segments: 3, replayBytes: 100, hasReplay: true, ...over,
  };
}

function row(windowId: string, seq: number): SegmentIndexRow {
  return { tenant: 't', sessionId: 'sess-1', windowId, seq, firstTimestamp: seq, lastTimestamp: seq, eventCount: 1, hasFullSnapshot: seq === 0, encoding: 'gzip-json', objectKey: 'k', offset: 0, length: 1, receivedAt: 0 };
}

async function* outcomes(list: SegmentOutcome[]): AsyncGenerator<SegmentOutcome> {
  for (const o of list) yield o;
}

function win(windowId: string, list: SegmentOutcome[], gaps: ExportWindow['gaps'] = []): ExportWindow {
  return { windowId, firstTimestamp: 1000, lastTimestamp: 2000, eventCount: 3, gaps, segments: outcomes(list) };
}

async function render(windows: ExportWindow[], s = session()): Promise<string> {
  let html = '';
  for await (const chunk of renderExportHtml({ session: s, windows, player: await playerAssets(), generatedAt: Date.UTC(2024, 5, 1) })) html += chunk;
  return html;
}

/** The markup the export itself generated: inlined libraries and data taken out. */
async function ownMarkup(html: string): Promise<string> {
  const assets = await playerAssets();
  return html.replace(assets.js, '').replace(assets.css, '').replace(/<script type="application\/json"[^>]*>[\s\S]*?<\/script>/g, '<script type="application/json"></script>');
}

/** A good outcome as the segment reader returns it (events plus their stored JSON). */
function good(r: SegmentIndexRow, events: RrwebEvent[]): SegmentOutcome & { ok: true } {
  return { ok: true, row: r, events, json: JSON.stringify(events) };
}

function dataOf(html: string, id: string): unknown {
  const m = new RegExp(`<script type="application/json" id="${id}">([\\s\\S]*?)</script>`).exec(html);
  assert.ok(m, `no data script ${id}`);
  return JSON.parse(m[1]!);
}

test('the export inlines the player and every window\'s events, and escapes recorded text', async () => {
  const w1 = [
    good(row('w1', 0), [{ type: 4, timestamp: 1, data: { href: 'https://shop.example/' } }, { type: 2, timestamp: 2, data: { text: HOSTILE } }]),
    good(row('w1', 1), []),
    good(row('w1', 2), [{ type: 3, timestamp: 3, data: {} }]),
  ];
  const html = await render([win('w1', w1)]);
  const assets = await playerAssets();
  assert.ok(html.includes(`<script>${assets.js}</script>`), 'player script inlined');
  assert.ok(html.includes(`<style>${assets.css}</style>`), 'player stylesheet inlined');
  assert.deepEqual(dataOf(html, 'orp-events-0'), [...w1[0]!.events, ...w1[2]!.events]);
  assert.ok(!html.includes(HOSTILE), 'recorded markup appears only escaped');
  assert.equal(html.split('</script>').length - 1, html.split('<script').length - 1, 'every script element closes exactly once');
  assert.deepEqual(dataOf(html, 'orp-meta'), { windows: [{ windowId: 'w1', dataId: 'orp-events-0', label: 'Tab 1 (w1), from 1970-01-01T00:00:01.000Z' }] });
  assert.ok(!html.includes('<select'), 'no picker for one window');
});

test('the header names the session, user, start and duration, escaped; the page makes no requests', async () => {
  const html = await render([win('w1', [])]);
  assert.match(html, /<title>Session sess-1 — otel-replay<\/title>/);
  assert.ok(html.includes('u&#60;img src=x onerror=alert(1)&#62;'));
  assert.ok(html.includes('2024-05-01T10:00:00.000Z'));
  assert.ok(html.includes('1 h 02 min 03 s'));
  assert.ok(html.includes(`<meta http-equiv="Content-Security-Policy" content="${escapeHtml(EXPORT_CSP)}">`));
  assert.match(EXPORT_CSP, /default-src 'none'/);
  const own = await ownMarkup(html);
  assert.ok(!/<link\b/i.test(own), 'no <link> elements');
  assert.ok(!/<(script|img|iframe|link|a|source|video|audio|object|embed)\b[^>]*\b(src|href|data)\s*=/i.test(own), 'no element loads or links anything');
  assert.ok(!/\b(src|href)\s*=\s*["']?https?:/i.test(own), 'no http(s) src/href anywhere in the generated markup');
  // The entry URL is shown as text only.
  assert.ok(own.includes('https://shop.example/cart?a=1&#38;b=2'));
});

test('several windows get a picker; gaps and damaged segments are listed', async () => {
  const damaged: SegmentOutcome = { ok: false, row: row('w2', 4), reason: 'segment 4 of window w2: gzip data is corrupt <x>' };
  const html = await render([
    win('w1', [good(row('w1', 0), [{ type: 4, timestamp: 1 }])], [{ fromSeq: 2, toSeq: 5 }]),
    win('w2', [damaged, good(row('w2', 5), [{ type: 3, timestamp: 9 }])], [{ fromSeq: 7, toSeq: 7 }]),
  ]);
  assert.match(html, /<select id="orp-window-picker"><option value="0">Tab 1 \(w1\)[^<]*<\/option><option value="1">Tab 2 \(w2\)/);
  assert.ok(html.includes('Tab 1 (w1): segments 2–5 never arrived'));
  assert.ok(html.includes('Tab 2 (w2): segment 7 never arrived'));
  assert.ok(html.includes('Tab 2 (w2): segment 4 of window w2: gzip data is corrupt &#60;x&#62;'));
  assert.deepEqual(dataOf(html, 'orp-events-1'), [{ type: 3, timestamp: 9 }]);
  assert.deepEqual(dataOf(html, 'orp-events-0'), [{ type: 4, timestamp: 1 }]);
});

test('every inline script of the export is valid JavaScript', async () => {
  const html = await render([win('w1', [])]);
  const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
  assert.equal(scripts.length, 2);
  for (const s of scripts) new vm.Script(s);
});

test('in a page, the inlined bundle defines rrwebPlayer.Player and the boot script plays the chosen window', async () => {
  const html = await render([
    win('w1', [good(row('w1', 0), [{ type: 4, timestamp: 1 }, { type: 2, timestamp: 2, data: { t: HOSTILE } }])]),
    win('w2', [good(row('w2', 0), [{ type: 4, timestamp: 5 }, { type: 2, timestamp: 6 }, { type: 3, timestamp: 7 }])]),
  ]);
  const [bundle, boot] = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
  const page = vm.createContext({}) as Record<string, unknown>;
  page.window = page;
  vm.runInContext(bundle!, page);
  const lib = page.rrwebPlayer as { Player?: unknown };
  assert.equal(typeof lib.Player, 'function');

  // A stand-in DOM holding the export's elements, and a stand-in player recording what it was given.
  const scripts = new Map([...html.matchAll(/<script type="application\/json" id="([^"]+)">([\s\S]*?)<\/script>/g)].map((m) => [m[1]!, m[2]!]));
  const listeners: Record<string, () => void> = {};
  const elements: Record<string, Record<string, unknown>> = {
    'orp-player': { textContent: '' },
    'orp-status': { textContent: '' },
    'orp-window-picker': { value: '0', addEventListener: (type: string, fn: () => void) => (listeners[type] = fn) },
  };
  const played: { events: unknown[] }[] = [];
  const fakePage: Record<string, unknown> = {
    document: { body: { clientWidth: 1000 }, getElementById: (id: string) => elements[id] ?? (scripts.has(id) ? { textContent: scripts.get(id) } : null) },
    rrwebPlayer: { Player: function Player(this: unknown, opts: { props: { events: unknown[] } }) { played.push(opts.props); } },
  };
  fakePage.window = fakePage;
  vm.runInContext(boot!, vm.createContext(fakePage));
  assert.equal(played.length, 1);
  // Parsed in the other realm: compare as JSON.
  assert.deepEqual(JSON.parse(JSON.stringify(played[0]!.events)), [{ type: 4, timestamp: 1 }, { type: 2, timestamp: 2, data: { t: HOSTILE } }]);
  elements['orp-window-picker']!.value = '1';
  listeners.change!();
  assert.equal(played.length, 2);
  assert.equal(played[1]!.events.length, 3);
});

test('helpers: JSON for scripts has no "<", durations read naturally, unsafe libraries are refused', () => {
  const json = jsonForScript({ a: HOSTILE });
  assert.ok(!json.includes('<'));
  assert.deepEqual(JSON.parse(json), { a: HOSTILE });
  assert.equal(formatDuration(0), '0 s');
  assert.equal(formatDuration(61_000), '1 min 01 s');
  assert.throws(() => prepareInline('script', 'var a = "</SCRIPT>";', 'x.js'), /cannot be inlined/);
  assert.throws(() => prepareInline('style', 'a{} </style>', 'x.css'), /cannot be inlined/);
  assert.equal(prepareInline('script', 'var a=1;\n//# sourceMappingURL=x.map', 'x.js'), 'var a=1;\n');
});
