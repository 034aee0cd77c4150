// Keeps blocked shadow hosts out of the recording after the first snapshot. rrweb leaves a
// blocked element's subtree and shadow root out of snapshots, but its block check stops at
// shadow boundaries (Element.closest does), so later changes, input, clicks and scrolls
// inside the shadow root of a blocked host would still be recorded. `blockSelector` on a
// custom element's host is how an app keeps a component's shadow DOM out (rrweb has no
// switch for shadow DOM), so this closes that gap on the events.

import type { RrwebEvent } from '@otel-replay/protocol';
import { matches } from './privacy.ts';

const INCREMENTAL_SNAPSHOT = 3;
const MUTATION_SOURCE = 0;

/** True when `node` is inside the shadow root of an element that `selector` blocks (at any depth). */
export function inBlockedShadow(node: Node | null | undefined, selector: string): boolean {
  // A ShadowRoot is the only document fragment with a host (an <a> element's `host` is a string).
  for (let root = node?.getRootNode(); root?.nodeType === 11 && (root as ShadowRoot).host; root = (root as ShadowRoot).host.getRootNode()) {
    if (matches((root as ShadowRoot).host, selector)) return true;
  }
  return false;
}

/**
 * Drops from an incremental event what happens inside blocked shadow roots: mutations'
 * adds, texts and attributes, and any other event aimed at such a node or at no recorded
 * node at all (id -1, which no player can use either). Returns null when
 * nothing of the event is left. `nodeOf` maps an rrweb node id to the live node.
 */
export function dropBlockedShadow(event: RrwebEvent, selector: string, nodeOf: (id: number) => Node | null | undefined): RrwebEvent | null {
  if (event.type !== INCREMENTAL_SNAPSHOT) return event;
  const data = event.data as Record<string, unknown>;
  // rrweb aims events at nodes it never serialized (inside a blocked shadow root) with id -1.
  const blocked = (id: unknown): boolean => typeof id === 'number' && (id < 0 || inBlockedShadow(nodeOf(id), selector));
  if (data.source !== MUTATION_SOURCE) return blocked(data.id) ? null : event;
  for (const key of ['adds', 'texts', 'attributes']) data[key] = (data[key] as { id?: number; node?: { id: number } }[]).filter((m) => !blocked(m.id ?? m.node?.id));
  // A widget ticking inside a blocked host would otherwise leave a stream of empty mutations.
  return ['adds', 'removes', 'texts', 'attributes'].some((key) => (data[key] as unknown[]).length) ? event : null;
}
