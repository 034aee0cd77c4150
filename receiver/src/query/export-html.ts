// The offline export of one session: a single HTML file that replays without a network.
// rrweb-player's script and stylesheet are inlined, every window's events are inlined as
// JSON (with '<' escaped, so recorded content cannot close the <script> element), and a
// Content-Security-Policy forbids the page (and the replayed DOM inside it) from making
// requests. Events also pass through protocol's ReplaySanitizer, so even a browser that
// ignores the CSP (or a file opened in a tool that strips it) finds no URL to fetch in the
// recording: the export has no asset allowlist, being offline by design. Rendered as a
// stream of chunks so a long session is never held in memory as one string.

import { ReplaySanitizer } from '@otel-replay/protocol';
import type { SessionSummary } from '../index/session-index.ts';
import type { SeqGap } from './playback-plan.ts';
import type { PlayerAssets } from './player-assets.ts';
import type { SegmentOutcome } from './segment-reader.ts';

/** No fetches of any kind; inline script and style only; images only from data:/blob:. */
export const EXPORT_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:; font-src data:; media-src data: blob:; form-action 'none'; base-uri 'none'";

export interface ExportWindow {
  windowId: string;
  firstTimestamp: number;
  lastTimestamp: number;
  eventCount: number;
  gaps: SeqGap[];
  /** The window's segments in seq order, read as the HTML is written. */
  segments: AsyncIterable<SegmentOutcome>;
}

export interface ExportInput {
  session: SessionSummary;
  windows: ExportWindow[];
  player: PlayerAssets;
  generatedAt: number;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON that is safe inside <script type="application/json">: no '<' at all. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min ${String(s).padStart(2, '0')} s`;
  if (m > 0) return `${m} min ${String(s).padStart(2, '0')} s`;
  return `${s} s`;
}

function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : 'unknown';
}

const PAGE_CSS = `
body { font-family: system-ui, sans-serif; margin: 0; background: #f4f5f5; color: #1d1f24; }
header { padding: 12px 20px; background: #1d1f24; color: #fff; }
header h1 { font-size: 18px; margin: 0 0 6px; }
header dl { display: flex; flex-wrap: wrap; gap: 4px 20px; margin: 0; font-size: 13px; }
header dt { opacity: .7; } header dd { margin: 0 0 0 4px; }
main { padding: 16px 20px; }
#orp-player { margin: 12px 0; }
#orp-status { font-weight: 600; }
.orp-problems { font-size: 13px; } .orp-problems h2 { font-size: 15px; margin: 12px 0 4px; }
.orp-problems li { color: #a3271e; }
code { font-family: ui-monospace, monospace; }
`;

const BOOT_SCRIPT = `
(function () {
  var meta = JSON.parse(document.getElementById('orp-meta').textContent);
  var target = document.getElementById('orp-player');
  var status = document.getElementById('orp-status');
  var picker = document.getElementById('orp-window-picker');
  var current = null;
  function show(i) {
    var w = meta.windows[i];
    if (current && current.$destroy) current.$destroy();
    current = null;
    target.textContent = '';
    var events = JSON.parse(document.getElementById(w.dataId).textContent);
    if (events.length < 2) { status.textContent = w.label + ' has ' + events.length + ' event(s): nothing to replay.'; return; }
    status.textContent = '';
    var lib = window.rrwebPlayer;
    var Player = lib && (lib.Player || lib.default || lib);
    if (typeof Player !== 'function') { status.textContent = 'The inlined rrweb-player did not load.'; return; }
    current = new Player({ target: target, props: { events: events, width: Math.min(1200, document.body.clientWidth - 40), height: 640, autoPlay: false, showController: true } });
  }
  if (picker) picker.addEventListener('change', function () { show(Number(picker.value)); });
  if (meta.windows.length > 0) show(0); else status.textContent = 'This session has no replay recorded.';
})();
`;

function windowLabel(index: number, w: ExportWindow): string {
  return `Tab ${index + 1} (${w.windowId}), from ${iso(w.firstTimestamp)}`;
}

function headerHtml(input: ExportInput): string {
  const s = input.session;
  const rows: [string, string][] = [
    ['User', s.userId ?? 'anonymous'],
    ['Started', iso(s.firstSeen)],
    ['Duration', formatDuration(s.durationMs)],
  ];
  if (s.service) rows.push(['Service', s.service]);
  // Shown as text, never as a link: the export must not point anywhere.
  if (s.entryUrl) rows.push(['Entry URL', s.entryUrl]);
  if (s.browser) rows.push(['Browser', [s.browser, s.os].filter(Boolean).join(' on ')]);
  rows.push(['Exported', iso(input.generatedAt)]);
  return `<header><h1>Session <code>${escapeHtml(s.sessionId)}</code></h1><dl>${rows
    .map(([k, v]) => `<div><dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd></div>`)
    .join('')}</dl></header>`;
}

function gapsHtml(windows: ExportWindow[]): string {
  const items: string[] = [];
  windows.forEach((w, i) => {
    for (const g of w.gaps) {
      const seqs = g.fromSeq === g.toSeq ? `segment ${g.fromSeq}` : `segments ${g.fromSeq}–${g.toSeq}`;
      items.push(`<li>Tab ${i + 1} (${escapeHtml(w.windowId)}): ${seqs} never arrived; replay jumps over them.</li>`);
    }
  });
  if (items.length === 0) return '';
  return `<section class="orp-problems" id="orp-gaps"><h2>Gaps in the recording</h2><ul>${items.join('')}</ul></section>`;
}

/** Yields the HTML document in chunks, reading each window's segments as it goes. */
export async function* renderExportHtml(input: ExportInput): AsyncGenerator<string, void, undefined> {
  const { session, windows, player } = input;
  const title = `Session ${session.sessionId} — otel-replay`;
  yield `<!doctype html>\n<html lang="en"><head><meta charset="utf-8">` +
    `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(EXPORT_CSP)}">` +
    `<meta name="referrer" content="no-referrer">` +
    `<meta name="generator" content="otel-replay (rrweb-player ${escapeHtml(player.version)})">` +
    `<title>${escapeHtml(title)}</title>\n<style>${player.css}</style>\n<style>${PAGE_CSS}</style></head><body>`;
  yield headerHtml(input);
  const picker =
    windows.length > 1
      ? `<label>Tab <select id="orp-window-picker">${windows.map((w, i) => `<option value="${i}">${escapeHtml(windowLabel(i, w))} — ${w.eventCount} events</option>`).join('')}</select></label>`
      : '';
  yield `<main>${picker}<p id="orp-status"></p><div id="orp-player"></div>${gapsHtml(windows)}`;
  yield `\n<script>${player.js}</script>\n`;

  const damaged: string[] = [];
  const meta: { windows: { windowId: string; dataId: string; label: string }[] } = { windows: [] };
  for (let i = 0; i < windows.length; i++) {
    const w = windows[i]!;
    const dataId = `orp-events-${i}`;
    meta.windows.push({ windowId: w.windowId, dataId, label: windowLabel(i, w) });
    yield `<script type="application/json" id="${dataId}">[`;
    let first = true;
    const sanitizer = new ReplaySanitizer();
    for await (const outcome of w.segments) {
      if (!outcome.ok) {
        damaged.push(`<li>Tab ${i + 1} (${escapeHtml(w.windowId)}): ${escapeHtml(outcome.reason)}</li>`);
        continue;
      }
      if (outcome.events.length === 0) continue;
      const json = jsonForScript(sanitizer.sanitize(outcome.events));
      yield (first ? '' : ',') + json.slice(1, -1);
      first = false;
    }
    yield `]</script>\n`;
  }
  if (damaged.length > 0) {
    yield `<section class="orp-problems" id="orp-damaged"><h2>Damaged segments (not replayed)</h2><ul>${damaged.join('')}</ul></section>`;
  }
  yield `</main><script type="application/json" id="orp-meta">${jsonForScript(meta)}</script>\n<script>${BOOT_SCRIPT}</script></body></html>\n`;
}
