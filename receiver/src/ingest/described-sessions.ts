// Remembers which session descriptions (service, user, browser, OS, device, user agent)
// this receiver has already written, so a request that only carries replay segments of a
// known session does not cost an index upsert: its segment counts and times are written
// with the segment rows (SessionIndex.insertSegments), and its description is the same
// as last time. Bounded; forgetting an entry only costs one redundant upsert.

import type { SessionActivity } from '../index/session-index.ts';

const DEFAULT_MAX_ENTRIES = 50_000;

function key(d: SessionActivity): string {
  return `${d.tenant}\u0000${d.sessionId}`;
}

function description(d: SessionActivity): string {
  return JSON.stringify([d.service, d.userId, d.browser, d.os, d.device, d.userAgent]);
}

/** True when the delta adds nothing but a description and seen times. */
function describesOnly(d: SessionActivity): boolean {
  return d.entryUrl === null && d.urls.length === 0 && d.pageViews === 0 && d.clicks === 0 && d.errors === 0
    && d.rageClicks === 0 && d.deadClicks === 0 && d.networkFailures === 0 && d.consoleErrors === 0
    && d.spans === 0 && d.segments === 0 && d.replayBytes === 0;
}

export class DescribedSessions {
  readonly #written = new Map<string, string>();
  readonly #maxEntries: number;

  constructor(maxEntries = DEFAULT_MAX_ENTRIES) {
    this.#maxEntries = maxEntries;
  }

  /** The deltas that still need writing. */
  needed(deltas: SessionActivity[]): SessionActivity[] {
    return deltas.filter((d) => !describesOnly(d) || this.#written.get(key(d)) !== description(d));
  }

  /** Records deltas the index has accepted. */
  remember(deltas: SessionActivity[]): void {
    for (const d of deltas) {
      const k = key(d);
      this.#written.delete(k);
      this.#written.set(k, description(d));
      if (this.#written.size > this.#maxEntries) this.#written.delete(this.#written.keys().next().value!);
    }
  }
}
