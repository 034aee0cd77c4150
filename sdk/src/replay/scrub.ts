// Attribute scrubbing and media blocking on recorded events. rrweb masks text and input
// values but never attributes, and titles, placeholders, aria-labels, alt texts and URL
// query strings carry as much personal data as text does (Grafana's own app team hit
// this). So every event is walked before it enters a segment: full snapshots, added
// nodes, attribute mutations and the Meta event's href. The same walk blocks media by
// tag (cheaper than rrweb's block selector, see privacy.ts): a blocked element keeps only
// its class and a placeholder size, as rrweb's own blocking does, and nothing recorded
// inside it or aimed at it afterwards leaves the page.

import type { RrwebEvent } from '@otel-replay/protocol';

const FULL_SNAPSHOT = 2;
const INCREMENTAL_SNAPSHOT = 3;
const META = 4;
const MUTATION_SOURCE = 0;

/** Attributes holding URLs whose query string and fragment are dropped. */
const URL_ATTRIBUTES: ReadonlySet<string> = new Set(['href', 'src', 'action', 'formaction', 'poster', 'data', 'background', 'cite', 'xlink:href', 'longdesc', 'ping']);

export interface ScrubConfig {
  /** Attribute names (lower case) whose values are masked. */
  attributes: ReadonlySet<string>;
  /** Drop credentials, query strings and fragments from URLs. */
  urlQuery: boolean;
  /** Nodes (by rrweb id) left unmasked by `unmaskSelector`. */
  isUnmasked?: (nodeId: number) => boolean;
  /** Element tags (lower case, as rrweb records them) replaced by placeholders. */
  blockTags?: ReadonlySet<string>;
  /** Ids of blocked elements and of everything recorded inside them. */
  blocked?: Set<number>;
  /** The live size of a recorded element, for its placeholder. */
  sizeOf?: (nodeId: number) => { width: number; height: number } | null;
}

/** Masks a value the way rrweb masks text: every non-space character becomes '*'. */
export function maskText(value: string): string {
  return value.replace(/\S/g, '*');
}

/** `https://u:p@host/path?q=1#x` → `https://host/path`. Data/blob URLs are left alone. */
export function scrubUrl(url: string): string {
  const trimmed = url.trim();
  if (/^(data|blob|javascript|about):/i.test(trimmed)) return url;
  let out = trimmed.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i, '$1');
  const cut = out.search(/[?#]/);
  if (cut >= 0) out = out.slice(0, cut);
  return out;
}

function scrubSrcset(value: string): string {
  return value.split(',').map((candidate) => {
    const parts = candidate.trim().split(/\s+/);
    if (parts[0]) parts[0] = scrubUrl(parts[0]);
    return parts.join(' ');
  }).join(', ');
}

/** Scrubs one attribute value; returns the value unchanged when nothing applies. */
export function scrubAttribute(name: string, value: unknown, config: ScrubConfig, nodeId: number): unknown {
  if (typeof value !== 'string' || value === '') return value;
  const lower = name.toLowerCase();
  if (config.attributes.has(lower) && !config.isUnmasked?.(nodeId)) return maskText(value);
  if (config.urlQuery) {
    if (URL_ATTRIBUTES.has(lower)) return scrubUrl(value);
    if (lower === 'srcset') return scrubSrcset(value);
  }
  return value;
}

interface SerializedNode {
  type: number;
  id: number;
  tagName?: string;
  attributes?: Record<string, unknown>;
  childNodes?: SerializedNode[];
}

/** Adds the ids of `node` and everything under it to the blocked set. */
function blockTree(node: SerializedNode | undefined, blocked: Set<number>): void {
  const stack = [node];
  while ((node = stack.pop())) {
    blocked.add(node.id);
    if (node.childNodes) stack.push(...node.childNodes);
  }
}

/** Walks the given trees (iteratively: real DOMs can be deeper than the JS stack allows). */
function scrubTrees(stack: (SerializedNode | undefined)[], config: ScrubConfig): void {
  // Indexed loops and no per-node allocation: this runs for every recorded node, mostly
  // in code the JIT has not optimized yet.
  let node: SerializedNode | undefined;
  while (stack.length) {
    if (!(node = stack.pop())) continue;
    if (config.blockTags?.has(node.tagName!)) {
      blockTree(node, config.blocked!);
      const size = config.sizeOf!(node.id);
      node.attributes = { class: node.attributes?.class, ...(size && { rr_width: `${size.width}px`, rr_height: `${size.height}px` }) };
      node.childNodes = [];
      continue;
    }
    if (node.attributes) scrubAttributes(node.attributes, config, node.id);
    const children = node.childNodes;
    if (children) for (let i = 0; i < children.length; i++) stack.push(children[i]);
  }
}

function scrubAttributes(attributes: Record<string, unknown>, config: ScrubConfig, nodeId: number): void {
  for (const name in attributes) {
    const value = attributes[name];
    const scrubbed = scrubAttribute(name, value, config, nodeId);
    if (scrubbed !== value) attributes[name] = scrubbed;
  }
}

/**
 * Scrubs an rrweb event in place (rrweb hands us fresh objects) and returns it, or null
 * when it only concerns blocked nodes.
 */
export function scrubEvent<E extends RrwebEvent>(event: E, config: ScrubConfig): E | null {
  const data = event.data as Record<string, unknown> | undefined;
  if (!data) return event;
  const blocked = config.blocked;
  if (event.type === META) {
    if (config.urlQuery && typeof data.href === 'string') data.href = scrubUrl(data.href);
  } else if (event.type === FULL_SNAPSHOT) {
    blocked?.clear();
    scrubTrees([data.node as SerializedNode | undefined], config);
  } else if (event.type === INCREMENTAL_SNAPSHOT && data.source === MUTATION_SOURCE) {
    type Change = { id: number; parentId?: number; node?: SerializedNode; attributes?: Record<string, unknown> } | null;
    if (blocked?.size) {
      // Changes inside blocked elements go; nodes added there are blocked with them.
      const outside = (key: string, parent?: boolean): void => {
        data[key] = (data[key] as Change[] | undefined)?.filter((c) => {
          if (!c || !blocked.has(parent ? c.parentId! : c.id)) return true;
          blockTree(c.node, blocked);
          return false;
        });
      };
      outside('adds', true);
      outside('removes', true);
      outside('texts');
      outside('attributes');
    }
    const adds = (data.adds ?? []) as Change[];
    const changes = (data.attributes ?? []) as Change[];
    const stack: (SerializedNode | undefined)[] = [];
    for (let i = 0; i < adds.length; i++) stack.push(adds[i]?.node);
    scrubTrees(stack, config);
    for (let i = 0; i < changes.length; i++) {
      const change = changes[i];
      if (change?.attributes) scrubAttributes(change.attributes, config, change.id);
    }
  } else if (blocked?.has(data.id as number)) {
    return null; // input, media interaction, scroll... on a blocked node
  }
  return event;
}
