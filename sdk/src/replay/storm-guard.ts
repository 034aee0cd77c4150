// Mutation-storm guard: a page that rewrites one node hundreds of times a second (a
// ticker, a runaway animation) or adds tens of thousands of nodes at once would flood the
// recording and the main thread. Like PostHog's MutationRateLimiter, each node gets a
// token bucket; mutations of a node out of tokens are dropped, as are whole batches over
// the cap. The replay is then inconsistent, so the caller takes a fresh full snapshot once
// the storm has calmed (`shouldResnapshot`).

import type { RrwebEvent } from '@otel-replay/protocol';

const INCREMENTAL_SNAPSHOT = 3;
const MUTATION_SOURCE = 0;

export interface StormGuardOptions {
  maxMutationsPerNodePerSecond: number;
  maxMutationsPerBatch: number;
  /** How long without a dropped mutation counts as calm. */
  calmMs?: number;
  now?: () => number;
}

export interface StormReport {
  reason: 'node-rate' | 'batch-size';
  /** Mutations dropped from this event. */
  dropped: number;
  nodeIds: number[];
}

interface Bucket {
  tokens: number;
  at: number;
}

interface MutationData {
  source: number;
  adds?: { parentId: number }[];
  removes?: { parentId: number }[];
  texts?: { id: number }[];
  attributes?: { id: number }[];
}

export class StormGuard {
  readonly #perNode: number;
  readonly #perBatch: number;
  readonly #calmMs: number;
  readonly #now: () => number;
  /** Read by the memory-bound test. */
  private buckets = new Map<number, Bucket>();
  #lastDropAt = 0;
  #dirty = false;
  /** Mutations dropped since the last full snapshot. */
  droppedSinceSnapshot = 0;

  constructor(options: StormGuardOptions) {
    this.#perNode = Math.max(1, options.maxMutationsPerNodePerSecond);
    this.#perBatch = Math.max(1, options.maxMutationsPerBatch);
    this.#calmMs = options.calmMs ?? 1000;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Returns the event to record (possibly with some mutations removed), or null to drop
   * it, and a report when something was dropped. Non-mutation events pass untouched.
   */
  filter(event: RrwebEvent): { event: RrwebEvent | null; report: StormReport | null } {
    if (event.type !== INCREMENTAL_SNAPSHOT) return { event, report: null };
    const data = event.data as MutationData | undefined;
    if (!data || data.source !== MUTATION_SOURCE) return { event, report: null };
    const adds = data.adds ?? [];
    const removes = data.removes ?? [];
    const texts = data.texts ?? [];
    const attributes = data.attributes ?? [];
    const now = this.#now();
    const total = adds.length + removes.length + texts.length + attributes.length;
    if (total > this.#perBatch) {
      this.#markDropped(now, total);
      return { event: null, report: { reason: 'batch-size', dropped: total, nodeIds: [] } };
    }
    const throttled = new Set<number>();
    const keep = (id: number): boolean => {
      if (throttled.has(id)) return false;
      if (this.#take(id, now)) return true;
      throttled.add(id);
      return false;
    };
    const keptAdds = adds.filter((m) => keep(m.parentId));
    const keptRemoves = removes.filter((m) => keep(m.parentId));
    const keptTexts = texts.filter((m) => keep(m.id));
    const keptAttributes = attributes.filter((m) => keep(m.id));
    const kept = keptAdds.length + keptRemoves.length + keptTexts.length + keptAttributes.length;
    if (kept === total) return { event, report: null };
    const dropped = total - kept;
    this.#markDropped(now, dropped);
    const report: StormReport = { reason: 'node-rate', dropped, nodeIds: [...throttled].slice(0, 20) };
    if (kept === 0) return { event: null, report };
    return { event: { ...event, data: { ...data, adds: keptAdds, removes: keptRemoves, texts: keptTexts, attributes: keptAttributes } }, report };
  }

  /** True once mutations were dropped and none has been for `calmMs`: time for a full snapshot. */
  shouldResnapshot(): boolean {
    return this.#dirty && this.#now() - this.#lastDropAt >= this.#calmMs;
  }

  /** Whether a storm is in progress or waiting to be repaired by a full snapshot. */
  isDirty(): boolean {
    return this.#dirty;
  }

  /** Called when a full snapshot was taken: the replay is consistent again. */
  snapshotTaken(): void {
    this.#dirty = false;
    this.droppedSinceSnapshot = 0;
  }

  #markDropped(now: number, count: number): void {
    this.#dirty = true;
    this.#lastDropAt = now;
    this.droppedSinceSnapshot += count;
  }

  #take(id: number, now: number): boolean {
    let bucket = this.buckets.get(id);
    if (!bucket) {
      if (this.buckets.size >= 10_000) this.#forgetFullBuckets(now);
      bucket = { tokens: this.#perNode, at: now };
      this.buckets.set(id, bucket);
    } else {
      bucket.tokens = Math.min(this.#perNode, bucket.tokens + ((now - bucket.at) / 1000) * this.#perNode);
      bucket.at = now;
    }
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Buckets that have refilled carry no state worth keeping; bounds memory on huge pages. */
  #forgetFullBuckets(now: number): void {
    for (const [id, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.#perNode >= this.#perNode) this.buckets.delete(id);
    }
    if (this.buckets.size >= 10_000) this.buckets.clear();
  }
}
