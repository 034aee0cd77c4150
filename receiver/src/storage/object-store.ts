// Where segment objects live. One interface, two backends chosen by configuration:
// the filesystem (embedded default, like Loki's and Tempo's `filesystem` mode) and any
// S3-compatible store. Nothing above this file knows which one is in use.

export interface ObjectStore {
  /** Human-readable name for logs and /readyz ("filesystem:/data/objects", "s3:bucket"). */
  readonly description: string;
  /**
   * Writes a whole object durably: when the promise resolves the bytes survive a crash
   * of this process (fsync for the filesystem; a completed PUT for S3). Keys are
   * '/'-separated relative paths made by protocol's objectKey().
   */
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** Reads `length` bytes at `offset`. Rejects with ObjectNotFoundError if the key is unknown. */
  getRange(key: string, offset: number, length: number): Promise<Uint8Array>;
  /** Reads a whole object (recovery, export, tests). */
  get(key: string): Promise<Uint8Array>;
  /** Removes an object; resolves also when it did not exist. */
  delete(key: string): Promise<void>;
  /** Lists keys under a prefix (used by recovery and tests, never on the hot path). */
  list(prefix: string): Promise<string[]>;
  /**
   * The names one level below a prefix that ends with '/' (or is ''), like S3's
   * CommonPrefixes with Delimiter '/': "t1/segments/v1/" → ["2025-01-31", ...]. Lets
   * retention find a tenant's days without listing every object. Optional: without it,
   * callers derive the names from list().
   */
  listChildren?(prefix: string): Promise<string[]>;
  /** Resolves when the store is reachable and writable enough to accept work (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export class ObjectNotFoundError extends Error {
  override readonly name = 'ObjectNotFoundError';
}

/** The store could not be reached or refused the write: callers answer 503 + Retry-After. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}
