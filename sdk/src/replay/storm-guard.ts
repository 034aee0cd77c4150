// Mutation-storm guard: a page that rewrites one node hundreds of times a second (a
// ticker, a runaway animation) or adds tens of thousands of nodes at once would flood the
// recording and the main thread. Like PostHog's MutationRateLimiter, each node has a
// budget per second for its text and attribute changes (here a counter per node in
// one-second windows); changes over it are dropped, as are whole batches over the cap.
// Adds and removes are only held to the batch cap: a table re-rendered under one parent
// is a normal page, and dropping a structural change would break every later mutation
// that refers to the nodes it added. Dropped changes leave stale values in the replay,
// so the caller takes a fresh full snapshot once the storm has calmed or, if it never
// calms, every `maxDirtyMs` (`shouldResnapshot`). It runs for every mutation on the main
// thread, so the per-change work is one map lookup and update, and nothing is allocated
// while nothing is dropped.

import type { RrwebEvent } from '@otel-replay/protocol';

const INCREMENTAL_SNAPSHOT = 3;
const MUTATION_SOURCE = 0;

export interface StormGuardOptions {
  maxMutationsPerNodePerSecond: number;
  maxMutationsPerBatch: number;
  /** How long without a dropped mutation counts as calm. */
  calmMs?: number;
  /** Longest a storm goes unrepaired: then a full snapshot even though it goes on. */
  maxDirtyMs?: number;
  now?: () => number;
}

export interface StormReport {
  reason: 'node-rate' | 'batch-size';
  /** Mutations dropped from this event. */
  dropped: number;
  nodeIds: number[];
}

/** Texts and attributes name the node they change; only the batch cap counts adds and removes. */
type Mutation = { id?: number };

interface MutationData {
  source: number;
  adds?: Mutation[];
  removes?: Mutation[];
  texts?: Mutation[];
  attributes?: Mutation[];
}

export class StormGuard {
  readonly #perNode: number;
  readonly #perBatch: number;
  readonly #calmMs: number;
  readonly #maxDirtyMs: number;
  readonly #now: () => number;
  /** Node id → its mutations in the current window. Read by the memory-bound test. */
  private counts = new Map<number, number>();
  #windowStart = -Infinity;
  #lastDropAt = 0;
  #dirtySince = 0;
  #dirty = false;
  /** Mutations dropped since the last full snapshot. */
  droppedSinceSnapshot = 0;

  constructor(options: StormGuardOptions) {
    this.#perNode = Math.max(1, options.maxMutationsPerNodePerSecond);
    this.#perBatch = Math.max(1, options.maxMutationsPerBatch);
    this.#calmMs = options.calmMs ?? 1000;
    this.#maxDirtyMs = options.maxDirtyMs ?? 10_000;
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
    const lists = [data.adds ?? [], data.removes ?? [], data.texts ?? [], data.attributes ?? []];
    const now = this.#now();
    const total = lists[0]!.length + lists[1]!.length + lists[2]!.length + lists[3]!.length;
    if (total > this.#perBatch) {
      this.#markDropped(now, total);
      return { event: null, report: { reason: 'batch-size', dropped: total, nodeIds: [] } };
    }
    // A new window every second; a page adding more nodes than that in one just starts
    // a new one early (forgetting counts only lets more through), which bounds memory.
    const counts = this.counts;
    if (now - this.#windowStart >= 1000 || counts.size >= 10_000) {
      counts.clear();
      this.#windowStart = now;
    }
    const perNode = this.#perNode;
    let throttled: Set<number> | null = null;
    // Copies of the lists are made only from the first dropped change on.
    let kept: Mutation[][] | null = null;
    for (let l = 2; l < 4; l++) {
      const list = lists[l]!;
      for (let i = 0; i < list.length; i++) {
        const m = list[i]!;
        const id = m.id!;
        const n = counts.get(id) ?? 0;
        if (n < perNode) {
          counts.set(id, n + 1);
          kept?.[l]!.push(m);
        } else {
          (throttled ??= new Set()).add(id);
          kept ??= lists.map((x, k) => (k < l ? x : k === l ? x.slice(0, i) : []));
        }
      }
    }
    if (!kept) return { event, report: null };
    const dropped = total - kept[0]!.length - kept[1]!.length - kept[2]!.length - kept[3]!.length;
    this.#markDropped(now, dropped);
    const report: StormReport = { reason: 'node-rate', dropped, nodeIds: [...throttled!].slice(0, 20) };
    if (dropped === total) return { event: null, report };
    return { event: { ...event, data: { ...data, adds: kept[0], removes: kept[1], texts: kept[2], attributes: kept[3] } }, report };
  }

  /** True once mutations were dropped and none has been for `calmMs`, or the storm has lasted `maxDirtyMs`: time for a full snapshot. */
  shouldResnapshot(): boolean {
    const now = this.#now();
    return this.#dirty && (now - this.#lastDropAt >= this.#calmMs || now - this.#dirtySince >= this.#maxDirtyMs);
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
    if (!this.#dirty) this.#dirtySince = now;
    this.#dirty = true;
    this.#lastDropAt = now;
    this.droppedSinceSnapshot += count;
  }
}
