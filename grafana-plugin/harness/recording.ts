// Generated rrweb recordings for the harness test and the playback bench: a real rrweb
// FullSnapshot of a small checkout page, then every second a text mutation of its clock
// ("elapsed MM:SS") and a mouse move (so the player's skip-inactivity never fast-forwards),
// with a new Meta + FullSnapshot every `snapshotEveryMs` as the SDK takes them (5 minutes by
// default). The clock makes the replayed DOM say which moment is on screen.

import { gzipSync } from 'node:zlib';
import { segmentMetaOf } from '@otel-replay/protocol';
import type { Segment } from '@otel-replay/protocol';
import { segmentsRequest } from '../../receiver/test/helpers/otlp-json.ts';

export interface RecordingPlan {
  sessionId: string;
  windowId?: string;
  /** Epoch ms of the first event. */
  start: number;
  durationMs: number;
  /** A full snapshot every this many ms (the SDK's checkout interval). */
  snapshotEveryMs?: number;
  /** Recorded time per segment (the SDK flushes every few seconds). */
  segmentMs?: number;
  /** Rows in the page's item list: makes the snapshot the size of a small real page. */
  items?: number;
}

type Ev = { type: number; timestamp: number; data: unknown };

export const TITLE_TEXT = 'Checkout — order 4711';
const CLOCK_TEXT_ID = 12;
const BODY_ID = 8;

export function clockText(elapsedMs: number): string {
  const s = Math.floor(elapsedMs / 1000);
  return `elapsed ${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** Seconds since the start that a clock text shows, or NaN when it is not one. */
export function clockSeconds(text: string | null | undefined): number {
  const m = /^elapsed (\d+):(\d\d)$/.exec(text ?? '');
  return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
}

function fullSnapshot(t: number, elapsedMs: number, items: number): Ev[] {
  const text = (id: number, textContent: string) => ({ type: 3, textContent, id });
  const el = (id: number, tagName: string, childNodes: unknown[], attributes: Record<string, string> = {}) => ({ type: 2, tagName, attributes, childNodes, id });
  const rows = Array.from({ length: items }, (_, i) => el(100 + 2 * i, 'li', [text(101 + 2 * i, `Item ${i + 1} — ${(9.5 + i).toFixed(2)} EUR`)], { class: 'row' }));
  const css = 'body{font-family:sans-serif;background:#fff;color:#222;margin:24px}#clock{font-size:32px;font-weight:bold;color:#0a58ca}.row{padding:2px 0;border-bottom:1px solid #eee}';
  return [
    { type: 4, timestamp: t, data: { href: 'https://shop.example/checkout', width: 1024, height: 576 } },
    {
      type: 2,
      timestamp: t,
      data: {
        node: {
          type: 0,
          id: 1,
          childNodes: [
            { type: 1, name: 'html', publicId: '', systemId: '', id: 2 },
            el(3, 'html', [
              el(4, 'head', [el(5, 'title', [text(6, 'Checkout')]), el(7, 'style', [text(13, css)])]),
              el(BODY_ID, 'body', [
                el(9, 'h1', [text(10, TITLE_TEXT)], { id: 'title' }),
                el(11, 'p', [text(CLOCK_TEXT_ID, clockText(elapsedMs))], { id: 'clock' }),
                el(14, 'ul', rows, { id: 'items' }),
              ]),
            ]),
          ],
        },
        initialOffset: { left: 0, top: 0 },
      },
    },
  ];
}

/** The recording as the SDK would send it: gzip-json segments, seq from 0, one window. */
export function recordingSegments(plan: RecordingPlan): Segment[] {
  const snapshotEvery = plan.snapshotEveryMs ?? 5 * 60_000;
  const segmentMs = plan.segmentMs ?? 10_000;
  const items = plan.items ?? 40;
  const segments: Segment[] = [];
  const end = plan.start + plan.durationMs;
  for (let from = plan.start; from < end; from += segmentMs) {
    const until = Math.min(end, from + segmentMs);
    const events: Ev[] = [];
    const full = (from - plan.start) % snapshotEvery === 0;
    if (full) events.push(...fullSnapshot(from, from - plan.start, items));
    for (let t = plan.start + Math.ceil((from - plan.start) / 1000) * 1000; t < until; t += 1000) {
      // A snapshot taken at this tick already shows its clock.
      if (!(full && t === from)) events.push({ type: 3, timestamp: t, data: { source: 0, texts: [{ id: CLOCK_TEXT_ID, value: clockText(t - plan.start) }], attributes: [], removes: [], adds: [] } });
      events.push({ type: 3, timestamp: t + 500, data: { source: 1, positions: [{ x: 100 + ((t / 1000) % 300), y: 200, id: BODY_ID, timeOffset: 0 }] } });
    }
    if (events.length === 0) continue;
    const json = JSON.stringify(events);
    segments.push({
      meta: segmentMetaOf(events, { sessionId: plan.sessionId, windowId: plan.windowId ?? 'tab-1', seq: segments.length }, 'gzip-json'),
      body: new Uint8Array(gzipSync(json)),
    });
  }
  return segments;
}

/** Posts the segments to the receiver's /v1/logs as OTLP/JSON, `batch` per request. */
export async function ingestRecording(receiverUrl: string, segments: Segment[], batch = 60): Promise<void> {
  for (let i = 0; i < segments.length; i += batch) {
    const res = await fetch(`${receiverUrl}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(segmentsRequest(segments.slice(i, i + batch))),
    });
    const text = await res.text();
    if (res.status !== 200 || /rejected/i.test(text)) {
      throw new Error(`the receiver did not accept segments ${i}..${Math.min(segments.length, i + batch) - 1} of ${segments[0]?.meta.sessionId}: ${res.status} ${text.slice(0, 300)}`);
    }
  }
}
