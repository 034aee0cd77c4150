// Sequence numbers per (session, window). The window id survives reloads of a tab, so
// the counter must too (docs/protocol.md §2.3: a window id is never reused with a
// restarted counter, or the receiver would drop the new segments as duplicates): it lives
// in sessionStorage, with an in-memory fallback when storage is unavailable.

export class SeqStore {
  readonly #key: string;
  #memory: { s: string; n: number } | null = null;

  constructor(windowId: string) {
    this.#key = `otel-replay.seq.${windowId}`;
  }

  /** The next sequence number for `sessionId` (0 for a session not seen in this window). */
  next(sessionId: string): number {
    const state = this.#read();
    const n = state && state.s === sessionId ? state.n : 0;
    this.#write({ s: sessionId, n: n + 1 });
    return n;
  }

  #read(): { s: string; n: number } | null {
    try {
      const raw = globalThis.sessionStorage?.getItem(this.#key);
      if (raw) {
        const parsed = JSON.parse(raw) as { s?: unknown; n?: unknown };
        if (typeof parsed.s === 'string' && typeof parsed.n === 'number' && Number.isInteger(parsed.n) && parsed.n >= 0) {
          // Memory may be ahead if a write to storage failed; never go back.
          if (this.#memory && this.#memory.s === parsed.s && this.#memory.n > parsed.n) return this.#memory;
          return { s: parsed.s, n: parsed.n };
        }
      }
    } catch {
      // storage disabled or corrupt: memory below
    }
    return this.#memory;
  }

  #write(state: { s: string; n: number }): void {
    this.#memory = state;
    try {
      globalThis.sessionStorage?.setItem(this.#key, JSON.stringify(state));
    } catch {
      // quota or privacy mode: the in-memory counter still keeps this page consistent
    }
  }
}
