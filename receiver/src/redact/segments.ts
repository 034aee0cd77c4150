// Applies `segment.text` redaction rules to the recorded text of replay segments: text
// nodes, attribute values and input values in full snapshots and incremental mutations,
// input events, and the page URL of meta events. Costly by nature — the segment is inflated,
// parsed, walked, re-serialized and re-compressed (about the cost of ingesting it again) —
// so it runs only when segment rules exist. Stylesheet text (<style> nodes, _cssText) is
// left alone: it is not what users type, and rewriting it would break the replayed layout.

import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import type { Segment } from '@otel-replay/protocol';
import type { RedactionRules } from './rules.ts';

const gunzipAsync = promisify(gunzip);
const gzipAsync = promisify(gzip);

const ELEMENT = 2;
const TEXT = 3;
const FULL_SNAPSHOT = 2;
const INCREMENTAL = 3;
const META = 4;
const MUTATION = 0;
const INPUT = 5;
const CSS_ATTRIBUTES = new Set(['_cssText', 'style']);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

class TextRewriter {
  changed = false;
  private readonly rules: RedactionRules;
  constructor(rules: RedactionRules) {
    this.rules = rules;
  }

  text(value: string): string {
    const out = this.rules.apply('segment.text', value);
    if (out !== value) this.changed = true;
    return out;
  }

  attributes(attrs: Obj): void {
    for (const [k, v] of Object.entries(attrs)) if (typeof v === 'string' && !CSS_ATTRIBUTES.has(k)) attrs[k] = this.text(v);
  }

  /** Walks a serialized node tree without recursion (recorded trees can be very deep). */
  node(root: unknown): void {
    const stack = [root];
    while (stack.length) {
      const n = stack.pop();
      if (!isObj(n)) continue;
      if (n['type'] === ELEMENT && isObj(n['attributes'])) this.attributes(n['attributes']);
      if (n['type'] === TEXT && typeof n['textContent'] === 'string' && n['isStyle'] !== true) n['textContent'] = this.text(n['textContent']);
      for (const c of arr(n['childNodes'])) stack.push(c);
    }
  }

  event(e: unknown): void {
    if (!isObj(e) || !isObj(e['data'])) return;
    const data = e['data'];
    if (e['type'] === FULL_SNAPSHOT) this.node(data['node']);
    else if (e['type'] === META && typeof data['href'] === 'string') data['href'] = this.text(data['href']);
    else if (e['type'] === INCREMENTAL && data['source'] === MUTATION) {
      for (const t of arr(data['texts'])) if (isObj(t) && typeof t['value'] === 'string') t['value'] = this.text(t['value']);
      for (const a of arr(data['attributes'])) if (isObj(a) && isObj(a['attributes'])) this.attributes(a['attributes']);
      for (const add of arr(data['adds'])) if (isObj(add)) this.node(add['node']);
    } else if (e['type'] === INCREMENTAL && data['source'] === INPUT && typeof data['text'] === 'string') {
      data['text'] = this.text(data['text']);
    }
  }
}

/**
 * Rewrites each segment's body in place when a rule changed its text (same encoding; the
 * metadata — seq, timestamps, event count — is unchanged). Segments reaching here were
 * already checked to inflate to a JSON array; one that does not parse is left as it is.
 */
export async function redactSegments(rules: RedactionRules, segments: Segment[]): Promise<void> {
  await Promise.all(segments.map(async (segment) => {
    const gz = segment.meta.encoding === 'gzip-json';
    const text = gz ? (await gunzipAsync(segment.body)).toString('utf8') : Buffer.from(segment.body).toString('utf8');
    let events: unknown;
    try {
      events = JSON.parse(text);
    } catch {
      return;
    }
    const rewriter = new TextRewriter(rules);
    for (const e of arr(events)) rewriter.event(e);
    if (!rewriter.changed) return;
    const json = Buffer.from(JSON.stringify(events), 'utf8');
    segment.body = gz ? new Uint8Array(await gzipAsync(json)) : new Uint8Array(json);
  }));
}
