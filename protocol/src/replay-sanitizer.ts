// Makes rrweb events safe to replay in a viewer's browser. rrweb's Replayer already builds
// the recording in an iframe sandboxed without scripts (see docs/replay-safety.md), but a
// sandbox does not stop fetches: images, stylesheets, fonts, frames, a meta refresh or an
// SVG <use> in a recording would still make the viewer's browser reach out — to a
// tracker, or to the viewer's own Grafana with their cookies. This walks full snapshots
// and incremental events (mutations, attribute and text changes, stylesheet rules, style
// declarations, fonts, canvas images) and replaces every URL the policy refuses with an
// inert placeholder; it also drops inline event handlers and srcdoc documents. One module,
// used by the Grafana app before events reach the player and by the receiver's HTML export.
//
// A sanitizer is stateful per stream: it remembers which node ids are <style> text, so a
// later text change of a stylesheet is checked as CSS. Create one per playback load.

import { RrwebEventType } from './rrweb.ts';
import type { RrwebEvent } from './rrweb.ts';
import { safeCss } from './replay-css.ts';
import { allowedOriginSet, safeSrcset, safeUrl } from './replay-urls.ts';
import type { UrlContext, UrlPolicy } from './replay-urls.ts';

/** rrweb-snapshot's NodeType values (1.x and 2.x agree). */
const NodeType = { Document: 0, DocumentType: 1, Element: 2, Text: 3, CDATA: 4, Comment: 5 } as const;

/** rrweb's IncrementalSource values that can carry URLs or CSS. */
const Source = { Mutation: 0, StyleSheetRule: 8, CanvasMutation: 9, Font: 10, StyleDeclaration: 13, AdoptedStyleSheet: 15 } as const;

/** Attributes holding one URL, whatever the element. */
const URL_ATTRIBUTES = new Set([
  'src', 'href', 'xlink:href', 'action', 'formaction', 'data', 'poster', 'background', 'ping', 'codebase', 'archive',
  'longdesc', 'lowsrc', 'dynsrc', 'manifest', 'icon', 'profile', 'cite', 'rr_src', 'rr_dataurl',
]);
const SRCSET_ATTRIBUTES = new Set(['srcset', 'imagesrcset']);
/** SVG presentation attributes that take url() (paint servers, filters, masks, markers, cursors). */
const CSS_VALUE_ATTRIBUTES = new Set(['style', '_csstext', 'fill', 'stroke', 'filter', 'mask', 'clip-path', 'marker-start', 'marker-mid', 'marker-end', 'cursor']);
const IMAGE_TAGS = new Set(['img', 'image', 'feimage', 'picture']);
const MEDIA_TAGS = new Set(['video', 'audio', 'source', 'track']);
/** SVG animation elements: `to`/`from`/`by`/`values` become the animated attribute's value, an href among them. */
const SMIL_TAGS = new Set(['set', 'animate', 'animatemotion', 'animatetransform', 'animatecolor']);
const SMIL_VALUES = new Set(['to', 'from', 'by', 'values']);

export interface ReplaySanitizerOptions extends UrlPolicy {}

type Attrs = Record<string, unknown>;

function contextOf(tag: string, attribute: string, attrs: Attrs): UrlContext {
  if (attribute === 'rr_dataurl' || attribute === 'poster') return 'image';
  if (tag === 'input' && attribute === 'src') return String(attrs['type'] ?? '').toLowerCase() === 'image' ? 'image' : 'document';
  if (IMAGE_TAGS.has(tag) && (attribute === 'src' || attribute === 'href' || attribute === 'xlink:href')) return 'image';
  if (MEDIA_TAGS.has(tag) && attribute === 'src') return 'media';
  if (attribute === 'background') return 'image';
  return 'document';
}

function isRefresh(value: unknown): boolean {
  return typeof value === 'string' && value.trim().toLowerCase() === 'refresh';
}

/** `content` of a refresh pragma ("5; url=…") with the URL removed: the reload stays, the navigation goes. */
const REFRESH_URL = /^(\s*[\d.]*\s*[;,]?)\s*(url\s*=)?.*$/is;

export class ReplaySanitizer {
  private readonly allowed: ReadonlySet<string>;
  /** Text nodes under <style>: their text is CSS. */
  private readonly styleTexts = new Set<number>();
  /** Text nodes known not to be CSS. */
  private readonly plainTexts = new Set<number>();
  private readonly styleElements = new Set<number>();
  /** Tag names of elements seen, for attribute changes that arrive later. */
  private readonly tags = new Map<number, string>();

  constructor(options: ReplaySanitizerOptions = {}) {
    this.allowed = allowedOriginSet(options.allowedOrigins);
  }

  /** Sanitizes events in place (they are the caller's freshly parsed copies) and returns them. */
  sanitize<E extends RrwebEvent>(events: E[]): E[] {
    for (const e of events) this.event(e);
    return events;
  }

  private event(e: RrwebEvent): void {
    const data = e.data as Record<string, unknown> | undefined;
    if (!data || typeof data !== 'object') return;
    if (e.type === RrwebEventType.FullSnapshot) {
      this.node(data['node'], undefined);
      return;
    }
    if (e.type !== RrwebEventType.IncrementalSnapshot) return;
    switch (data['source']) {
      case Source.Mutation:
        this.mutation(data);
        break;
      case Source.StyleSheetRule:
        for (const add of arr(data['adds'])) if (isObj(add) && typeof add['rule'] === 'string') add['rule'] = this.css(add['rule']);
        if (typeof data['replace'] === 'string') data['replace'] = this.css(data['replace']);
        if (typeof data['replaceSync'] === 'string') data['replaceSync'] = this.css(data['replaceSync']);
        break;
      case Source.StyleDeclaration: {
        const set = data['set'];
        if (isObj(set) && typeof set['value'] === 'string') set['value'] = this.css(set['value']);
        break;
      }
      case Source.AdoptedStyleSheet:
        for (const style of arr(data['styles'])) {
          if (!isObj(style)) continue;
          for (const rule of arr(style['rules'])) if (isObj(rule) && typeof rule['rule'] === 'string') rule['rule'] = this.css(rule['rule']);
        }
        break;
      case Source.Font:
        // A font given by URL is fetched by the Replayer (FontFace); one given as bytes is not.
        if (data['buffer'] !== true && typeof data['fontSource'] === 'string') data['fontSource'] = this.fontSource(data['fontSource']);
        break;
      case Source.CanvasMutation:
        this.canvasArgs(data, 0);
        break;
    }
  }

  private css(text: string): string {
    return safeCss(text, this.allowed);
  }

  /** FontFace sources are CSS `src` values ("url(…) format(…)") or a bare URL. */
  private fontSource(source: string): string {
    return /^\s*(url|local)\s*\(/i.test(source) || source.includes('(') ? this.css(source) : safeUrl(source, 'css', this.allowed);
  }

  /** Canvas commands can draw recorded images: { rr_type: 'HTMLImageElement', src }. */
  private canvasArgs(value: unknown, depth: number): void {
    if (depth > 32) return;
    if (Array.isArray(value)) {
      for (const v of value) this.canvasArgs(v, depth + 1);
    } else if (isObj(value)) {
      if (value['rr_type'] === 'HTMLImageElement' && typeof value['src'] === 'string') value['src'] = safeUrl(value['src'], 'image', this.allowed);
      for (const v of Object.values(value)) if (typeof v === 'object') this.canvasArgs(v, depth + 1);
    }
  }

  private mutation(data: Record<string, unknown>): void {
    for (const add of arr(data['adds'])) {
      if (!isObj(add)) continue;
      const parentId = typeof add['parentId'] === 'number' ? add['parentId'] : undefined;
      this.node(add['node'], parentId !== undefined && this.styleElements.has(parentId) ? 'style' : undefined);
    }
    for (const change of arr(data['attributes'])) {
      if (!isObj(change) || !isObj(change['attributes'])) continue;
      const id = typeof change['id'] === 'number' ? change['id'] : -1;
      this.attributes(this.tags.get(id) ?? '', change['attributes'], true);
    }
    for (const text of arr(data['texts'])) {
      if (!isObj(text) || typeof text['value'] !== 'string') continue;
      const id = typeof text['id'] === 'number' ? text['id'] : -1;
      // A text node never seen in this stream may be stylesheet text: check it as CSS.
      if (!this.plainTexts.has(id)) text['value'] = this.css(text['value']);
    }
  }

  /** Walks a serialized node tree (iteratively: recorded trees can be deeper than the stack). */
  private node(root: unknown, rootParentTag: string | undefined): void {
    const stack: Array<[unknown, string | undefined]> = [[root, rootParentTag]];
    while (stack.length > 0) {
      const [n, parentTag] = stack.pop()!;
      if (!isObj(n)) continue;
      const id = typeof n['id'] === 'number' ? n['id'] : undefined;
      let tag: string | undefined;
      if (n['type'] === NodeType.Element) {
        tag = String(n['tagName'] ?? '').toLowerCase();
        if (id !== undefined) {
          this.tags.set(id, tag);
          if (tag === 'style') this.styleElements.add(id);
        }
        if (isObj(n['attributes'])) this.attributes(tag, n['attributes'], false);
      } else if (n['type'] === NodeType.Text) {
        const isStyle = n['isStyle'] === true || parentTag === 'style';
        if (typeof n['textContent'] === 'string' && isStyle) n['textContent'] = this.css(n['textContent']);
        if (id !== undefined) (isStyle ? this.styleTexts : this.plainTexts).add(id);
        if (id !== undefined && isStyle) this.plainTexts.delete(id);
      }
      for (const child of arr(n['childNodes'])) stack.push([child, tag]);
    }
  }

  /**
   * Attribute values of one element. `isChange`: an attribute mutation, where a value may
   * be null (removed) and `style` may be an object of property changes.
   */
  private attributes(tag: string, attrs: Attrs, isChange: boolean): void {
    for (const key of Object.keys(attrs)) {
      const name = key.toLowerCase();
      const value = attrs[key];
      // Inline handlers cannot run in a sandbox without allow-scripts; dropping them keeps it so if the sandbox ever changes.
      if (name.startsWith('on') || name.startsWith('_on')) {
        delete attrs[key];
        continue;
      }
      if (name === 'srcdoc') {
        delete attrs[key];
        continue;
      }
      if (name === 'http-equiv' && isRefresh(value)) {
        attrs[key] = 'x-otel-replay-blocked-refresh';
        continue;
      }
      if (isChange && name === 'style' && isObj(value)) {
        for (const [prop, v] of Object.entries(value)) {
          if (typeof v === 'string') value[prop] = this.css(v);
          else if (Array.isArray(v) && typeof v[0] === 'string') v[0] = this.css(v[0]);
        }
        continue;
      }
      if (typeof value !== 'string') continue;
      if (SMIL_TAGS.has(tag) && SMIL_VALUES.has(name) && /href/i.test(String(attrs['attributeName'] ?? attrs['attributename'] ?? ''))) {
        attrs[key] = value.split(';').map((v) => safeUrl(v, 'document', this.allowed)).join(';');
      } else if (URL_ATTRIBUTES.has(name)) {
        attrs[key] = safeUrl(value, contextOf(tag, name, attrs), this.allowed);
      } else if (SRCSET_ATTRIBUTES.has(name)) {
        attrs[key] = safeSrcset(value, this.allowed);
      } else if (name === 'content' && (tag === 'meta' || (tag === '' && /url\s*=/i.test(value)))) {
        if (tag === '' || isRefresh(attrs['http-equiv']) || /url\s*=/i.test(value)) attrs[key] = value.replace(REFRESH_URL, '$1');
      } else if (CSS_VALUE_ATTRIBUTES.has(name) || /url\s*\(|\\/i.test(value)) {
        attrs[key] = this.css(value);
      }
    }
  }
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** One-shot form: a fresh sanitizer over one list of events. */
export function sanitizeReplayEvents<E extends RrwebEvent>(events: E[], options: ReplaySanitizerOptions = {}): E[] {
  return new ReplaySanitizer(options).sanitize(events);
}
