// Group commit for session activity: the deltas of every request that reaches this point
// while the previous index write is running (or in the same event-loop turn) go to the
// index in one transaction, and each request is answered once the transaction holding
// its delta has committed — so "acknowledged" still means "in the index". Without it
// every request paid its own durable commit (an fsync, synchronous on the main thread
// with SQLite), and a few hundred browsers sending events and spans kept the event loop
// blocked on the disk: acknowledgements fell seconds behind while the CPU sat idle.

import type { SessionActivity } from '../index/session-index.ts';
import { IndexUnavailableError } from '../index/session-index.ts';

export type ActivityWriter = (deltas: SessionActivity[]) => Promise<void>;

interface Waiter {
  deltas: SessionActivity[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class ActivityBatcher {
  readonly #write: ActivityWriter;
  #pending: Waiter[] = [];
  #scheduled = false;
  #writing = false;

  /** `write` must apply every delta it is given in one transaction (SessionIndex.applyActivity does). */
  constructor(write: ActivityWriter) {
    this.#write = write;
  }

  /** Resolves once `deltas` are committed together with whatever else was waiting; rejects with the index's error. */
  apply(deltas: SessionActivity[]): Promise<void> {
    if (deltas.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ deltas, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#writing || this.#pending.length === 0) return;
    this.#scheduled = true;
    // One turn later, so the requests decoded in this turn share the transaction.
    setImmediate(() => {
      this.#scheduled = false;
      void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    this.#writing = true;
    try {
      await this.#commit(batch);
    } finally {
      this.#writing = false;
      this.#schedule();
    }
  }

  async #commit(batch: Waiter[]): Promise<void> {
    try {
      await this.#write(batch.flatMap((w) => w.deltas));
      for (const w of batch) w.resolve();
      return;
    } catch (err) {
      // The database is away: nobody's delta can be written now; every request gets its 503.
      if (batch.length === 1 || err instanceof IndexUnavailableError) {
        for (const w of batch) w.reject(err);
        return;
      }
    }
    // Anything else may be one request's bad delta: write each request alone, so it fails alone.
    for (const w of batch) {
      try {
        await this.#write(w.deltas);
        w.resolve();
      } catch (err) {
        w.reject(err);
      }
    }
  }
}
