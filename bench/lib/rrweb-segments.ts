// Realistic replay segment bodies for benchmarks: rrweb-shaped event arrays (Meta +
// FullSnapshot with an inlined stylesheet and a masked DOM, then mouse moves, scrolls,
// clicks, inputs and DOM mutations) gzipped to a target size, the way the SDK sends them.
// Test fixtures are tiny and compress 50:1; the receiver's cost depends on real sizes
// (gunzip check, base64, framing, disk), so benchmarks need bodies like real ones.

import { gzipSync } from 'node:zlib';
import { PROTOCOL_VERSION } from '@otel-replay/protocol';
import type { SegmentMeta } from '@otel-replay/protocol';

/** A pre-built segment body and the metadata an SDK would send with it. */
export interface PooledSegment {
  /** Metadata without the ids and seq, which each simulated session fills in. */
  meta: Omit<SegmentMeta, 'sessionId' | 'windowId' | 'seq'>;
  gzip: Buffer;
  /** `gzip` in base64 (ASCII bytes), as OTLP/JSON carries bytesValue. */
  base64: Buffer;
  jsonBytes: number;
}

/** Deterministic PRNG (mulberry32): the same seed gives the same segments on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TAGS = ['div', 'div', 'div', 'span', 'span', 'a', 'li', 'ul', 'p', 'button', 'img', 'section', 'label', 'input', 'svg', 'path', 'h2', 'h3', 'nav', 'header', 'footer', 'form'];
const CLASSES = ['flex', 'grid', 'items-center', 'justify-between', 'px-4', 'py-2', 'mt-3', 'mb-6', 'text-sm', 'text-gray-700', 'font-medium', 'rounded-lg', 'shadow', 'hover:bg-gray-100', 'w-full', 'max-w-7xl', 'mx-auto', 'hidden', 'md:block', 'btn', 'btn-primary', 'card', 'card-body', 'nav-link', 'active', 'sr-only', 'truncate', 'gap-2', 'border', 'border-gray-200'];
const CSS_PROPS = ['color', 'background-color', 'margin', 'padding', 'font-size', 'line-height', 'border-radius', 'width', 'height', 'transform', 'opacity', 'box-shadow'];

function pick<T>(rand: () => number, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)]!;
}

function int(rand: () => number, max: number): number {
  return Math.floor(rand() * max);
}

function token(rand: () => number, length: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  for (let i = 0; i < length; i++) s += alphabet[int(rand, alphabet.length)];
  return s;
}

/** Masked text, as the SDK records it by default: one '*' per character. */
function masked(rand: () => number): string {
  return '*'.repeat(3 + int(rand, 40));
}

function cssValue(rand: () => number): string {
  switch (int(rand, 4)) {
    case 0: return `#${token(rand, 6)}`;
    case 1: return `${int(rand, 800)}px`;
    case 2: return `rgba(${int(rand, 256)}, ${int(rand, 256)}, ${int(rand, 256)}, 0.${int(rand, 10)})`;
    default: return `translate(${int(rand, 500)}px, ${int(rand, 500)}px)`;
  }
}

function stylesheet(rand: () => number, rules: number): string {
  let css = '';
  for (let i = 0; i < rules; i++) {
    css += `.${pick(rand, CLASSES).replace(':', '\\:')}-${token(rand, 5)}{`;
    for (let j = 0; j < 1 + int(rand, 4); j++) css += `${pick(rand, CSS_PROPS)}:${cssValue(rand)};`;
    css += '}';
  }
  return css;
}

interface Ids { next: number }

function element(rand: () => number, ids: Ids, depth: number): Record<string, unknown> {
  const tagName = pick(rand, TAGS);
  const attributes: Record<string, string> = { class: Array.from({ length: 1 + int(rand, 5) }, () => pick(rand, CLASSES)).join(' ') };
  if (tagName === 'a') attributes.href = `/${token(rand, 6)}/${token(rand, 10)}?ref=${token(rand, 8)}`;
  if (tagName === 'img') attributes.src = `https://cdn.example.test/img/${token(rand, 16)}.webp`;
  if (rand() < 0.2) attributes['data-testid'] = `${tagName}-${token(rand, 6)}`;
  const childNodes: Record<string, unknown>[] = [];
  const kids = depth > 5 ? 0 : int(rand, depth < 2 ? 6 : 4);
  for (let i = 0; i < kids; i++) childNodes.push(rand() < 0.3 ? { type: 3, textContent: masked(rand), id: ids.next++ } : element(rand, ids, depth + 1));
  return { type: 2, tagName, attributes, childNodes, id: ids.next++ };
}

type Ev = { type: number; timestamp: number; data: unknown };

function incremental(rand: () => number, ids: Ids, timestamp: number): Ev {
  const r = rand();
  const id = 1 + int(rand, Math.max(2, ids.next));
  if (r < 0.35) {
    const positions = Array.from({ length: 5 + int(rand, 20) }, (_, i) => ({ x: int(rand, 1440), y: int(rand, 900), id, timeOffset: -i * int(rand, 50) }));
    return { type: 3, timestamp, data: { source: 1, positions } };
  }
  if (r < 0.5) return { type: 3, timestamp, data: { source: 3, id, x: 0, y: int(rand, 8000) } };
  if (r < 0.6) return { type: 3, timestamp, data: { source: 2, type: int(rand, 10), id, x: int(rand, 1440), y: int(rand, 900), pointerType: 0 } };
  if (r < 0.65) return { type: 3, timestamp, data: { source: 5, text: masked(rand), isChecked: false, id } };
  const adds = Array.from({ length: int(rand, 4) }, () => ({ parentId: id, nextId: null, node: element(rand, ids, 4) }));
  const attributes = Array.from({ length: int(rand, 4) }, () => ({ id: 1 + int(rand, ids.next), attributes: { style: `${pick(rand, CSS_PROPS)}: ${cssValue(rand)};`, class: pick(rand, CLASSES) } }));
  const texts = Array.from({ length: int(rand, 3) }, () => ({ id: 1 + int(rand, ids.next), value: masked(rand) }));
  const removes = Array.from({ length: int(rand, 2) }, () => ({ parentId: id, id: 1 + int(rand, ids.next) }));
  return { type: 3, timestamp, data: { source: 0, texts, attributes, removes, adds } };
}

/** Builds events until their gzip reaches `targetBytes` (within a few percent). */
function buildSegment(rand: () => number, start: number, full: boolean, targetBytes: number): PooledSegment {
  const ids: Ids = { next: 1 };
  const events: Ev[] = [];
  let t = start;
  if (full) {
    events.push({ type: 4, timestamp: t, data: { href: `https://shop.example.test/${token(rand, 8)}`, width: 1440, height: 900 } });
    const head = { type: 2, tagName: 'head', attributes: {}, childNodes: [{ type: 2, tagName: 'style', attributes: { _cssText: stylesheet(rand, 120) }, childNodes: [], id: ids.next++ }], id: ids.next++ };
    const body = { type: 2, tagName: 'body', attributes: { class: 'antialiased' }, childNodes: Array.from({ length: 6 }, () => element(rand, ids, 0)), id: ids.next++ };
    const html = { type: 2, tagName: 'html', attributes: { lang: 'en' }, childNodes: [head, body], id: ids.next++ };
    events.push({ type: 2, timestamp: t + 5, data: { node: { type: 0, childNodes: [{ type: 1, name: 'html', publicId: '', systemId: '', id: ids.next++ }, html], id: ids.next++ }, initialOffset: { left: 0, top: 0 } } });
  } else {
    ids.next = 400 + int(rand, 400);
  }
  let gz = gzipSync(JSON.stringify(events));
  let more = 200;
  for (let round = 0; round < 12 && gz.length < targetBytes * 0.97; round++) {
    for (let i = 0; i < more; i++) {
      t += 20 + int(rand, 120);
      events.push(incremental(rand, ids, t));
    }
    const json = JSON.stringify(events);
    gz = gzipSync(json);
    // Scale the next batch by how far off we still are, so a few rounds reach the target.
    const perEvent = gz.length / events.length;
    more = Math.max(10, Math.ceil((targetBytes - gz.length) / perEvent));
  }
  const json = JSON.stringify(events);
  return {
    meta: {
      firstTimestamp: events[0]!.timestamp,
      lastTimestamp: events[events.length - 1]!.timestamp,
      eventCount: events.length,
      hasFullSnapshot: full,
      encoding: 'gzip-json',
      protocolVersion: PROTOCOL_VERSION,
    },
    gzip: gz,
    base64: Buffer.from(gz.toString('base64'), 'latin1'),
    jsonBytes: Buffer.byteLength(json),
  };
}

/**
 * `count` segments, the first quarter starting with a full snapshot (~36 KB compressed),
 * the rest incremental (20–32 KB compressed). Deterministic for a given seed.
 */
export function segmentPool(count: number, seed = 1): PooledSegment[] {
  const rand = prng(seed);
  const pool: PooledSegment[] = [];
  const start = Date.UTC(2025, 0, 1);
  for (let i = 0; i < count; i++) {
    const full = i < Math.max(1, Math.ceil(count / 4));
    const target = full ? 36 * 1024 : (20 + int(rand, 12)) * 1024;
    pool.push(buildSegment(rand, start + i * 5000, full, target));
  }
  return pool;
}
