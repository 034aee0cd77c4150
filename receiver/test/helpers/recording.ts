// Builds realistic replay segments for tests: rrweb-shaped events (Meta, FullSnapshot,
// incremental mutations) gzipped the way the SDK sends them.

import { gzipSync } from 'node:zlib';
import { segmentMetaOf } from '@otel-replay/protocol';
import type { RrwebEvent, Segment } from '@otel-replay/protocol';

export type { RrwebEvent };

/** `count` events starting at `start` ms; the first two are Meta + FullSnapshot when `full`. */
export function rrwebEvents(start: number, count: number, full: boolean, label = 'x'): RrwebEvent[] {
  const events: RrwebEvent[] = [];
  for (let i = 0; i < count; i++) {
    const timestamp = start + i * 100;
    if (full && i === 0) events.push({ type: 4, timestamp, data: { href: 'http://127.0.0.1/page', width: 1280, height: 720 } });
    else if (full && i === 1) events.push({ type: 2, timestamp, data: { node: { type: 0, childNodes: [{ type: 2, tagName: 'html', attributes: {}, childNodes: [], id: 2 }], id: 1 }, initialOffset: { left: 0, top: 0 } } });
    else events.push({ type: 3, timestamp, data: { source: 0, texts: [{ id: 2, value: `${label}-${i}` }], attributes: [], removes: [], adds: [] } });
  }
  return events;
}

export function makeSegment(opts: { sessionId: string; windowId?: string; seq: number; start: number; count?: number; full?: boolean; encoding?: 'gzip-json' | 'json'; label?: string }): { segment: Segment; events: RrwebEvent[]; json: string } {
  const count = opts.count ?? 10;
  const full = opts.full ?? opts.seq === 0;
  const events = rrwebEvents(opts.start, count, full, opts.label);
  const json = JSON.stringify(events);
  const encoding = opts.encoding ?? 'gzip-json';
  const meta = segmentMetaOf(events, { sessionId: opts.sessionId, windowId: opts.windowId ?? 'w1', seq: opts.seq }, encoding);
  const body = encoding === 'gzip-json' ? new Uint8Array(gzipSync(json)) : new TextEncoder().encode(json);
  return { segment: { meta, body }, events, json };
}
