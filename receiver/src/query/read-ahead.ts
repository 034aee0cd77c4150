// Ordered read-ahead: runs up to `concurrency` reads at once but yields their results in
// input order, so a streamed session keeps its order while the store's latency overlaps.
// Consumers that stop early (client gone) stop new reads; reads already in flight finish
// quietly.

export interface ReadAheadOptions {
  /** Reads in flight at most (>= 1). */
  concurrency: number;
  /** When aborted, no new read starts and the iteration ends. */
  signal?: AbortSignal;
}

type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

export async function* readAhead<T, R>(items: Iterable<T>, read: (item: T) => Promise<R>, options: ReadAheadOptions): AsyncGenerator<R, void, undefined> {
  const concurrency = Math.max(1, Math.floor(options.concurrency));
  const source = items[Symbol.iterator]();
  // Settled results only: a rejected read is held as a value, so a consumer that leaves
  // early never leaves an unhandled rejection behind.
  const inFlight: Promise<Settled<R>>[] = [];
  let exhausted = false;
  const fill = () => {
    while (!exhausted && inFlight.length < concurrency && !options.signal?.aborted) {
      const next = source.next();
      if (next.done) {
        exhausted = true;
        break;
      }
      const item = next.value;
      let p: Promise<R>;
      try {
        p = read(item);
      } catch (error) {
        p = Promise.reject(error);
      }
      inFlight.push(p.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error })));
    }
  };
  fill();
  while (inFlight.length > 0) {
    if (options.signal?.aborted) return;
    const settled = await inFlight.shift()!;
    if (options.signal?.aborted) return;
    if (!settled.ok) throw settled.error;
    fill();
    yield settled.value;
  }
}
