// Unsent upload bodies kept in IndexedDB, so a recording survives a page that dies
// before its upload succeeded (offline, receiver down, a body too big for keepalive at
// page hide) and is sent on the next load. Bounded in bytes (oldest dropped first) and
// in age (a stale recording is not worth sending).

export interface PersistedRequest {
  id: number;
  /** The OTLP/JSON request body, exactly as it would have been posted. */
  body: string;
  bytes: number;
  createdAt: number;
}

export interface RequestStore {
  /** Stores a body; resolves to its id, or null when it could not be kept. */
  put(body: string): Promise<number | null>;
  remove(id: number): Promise<void>;
  /** Takes (reads and deletes) every stored body younger than `maxAgeMs`; older ones are discarded. */
  takeAll(maxAgeMs: number): Promise<PersistedRequest[]>;
}

/**
 * Which stored entries to evict so that `incoming` bytes fit in `maxBytes`, oldest first;
 * `accept` is false when the incoming body alone is larger than the budget.
 */
export function planEviction(entries: readonly { id: number; bytes: number; createdAt: number }[], incoming: number, maxBytes: number): { accept: boolean; evict: number[] } {
  if (incoming > maxBytes) return { accept: false, evict: [] };
  let total = entries.reduce((sum, e) => sum + e.bytes, 0);
  const evict: number[] = [];
  const oldestFirst = [...entries].sort((a, b) => a.createdAt - b.createdAt || a.id - b.id);
  for (const e of oldestFirst) {
    if (total + incoming <= maxBytes) break;
    evict.push(e.id);
    total -= e.bytes;
  }
  return { accept: true, evict };
}

/** An in-memory store with the same rules, for runtimes without IndexedDB and for tests. */
export function memoryRequestStore(maxBytes: number, now: () => number = Date.now): RequestStore & { entries: PersistedRequest[] } {
  let nextId = 1;
  const store = {
    entries: [] as PersistedRequest[],
    async put(body: string) {
      const bytes = body.length;
      const plan = planEviction(store.entries, bytes, maxBytes);
      if (!plan.accept) return null;
      store.entries = store.entries.filter((e) => !plan.evict.includes(e.id));
      const id = nextId++;
      store.entries.push({ id, body, bytes, createdAt: now() });
      return id;
    },
    async remove(id: number) {
      store.entries = store.entries.filter((e) => e.id !== id);
    },
    async takeAll(maxAgeMs: number) {
      const fresh = store.entries.filter((e) => now() - e.createdAt <= maxAgeMs);
      store.entries = [];
      return fresh;
    },
  };
  return store;
}

const DB_VERSION = 1;
const STORE = 'requests';

function promised<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

/**
 * IndexedDB-backed store (database `dbName`, one object store). Every operation fails
 * soft: a browser without IndexedDB, private mode or a full disk only means nothing is kept.
 */
export function indexedDbRequestStore(dbName: string, maxBytes: number): RequestStore {
  let opening: Promise<IDBDatabase | null> | null = null;
  const open = (): Promise<IDBDatabase | null> => {
    opening ??= new Promise((resolve) => {
      try {
        if (typeof indexedDB === 'undefined') return resolve(null);
        const req = indexedDB.open(dbName, DB_VERSION);
        req.onupgradeneeded = () => {
          if (!req.result.objectStoreNames.contains(STORE)) req.result.createObjectStore(STORE, { keyPath: 'id', autoIncrement: true });
        };
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => resolve(null);
        req.onblocked = () => resolve(null);
      } catch {
        resolve(null);
      }
    });
    return opening;
  };
  return {
    async put(body) {
      const db = await open();
      if (!db) return null;
      try {
        const tx = db.transaction(STORE, 'readwrite');
        const store = tx.objectStore(STORE);
        const meta = (await promised(store.getAll())) as PersistedRequest[];
        const plan = planEviction(meta, body.length, maxBytes);
        if (!plan.accept) return null;
        for (const id of plan.evict) store.delete(id);
        const id = (await promised(store.add({ body, bytes: body.length, createdAt: Date.now() }))) as number;
        await done(tx);
        return id;
      } catch {
        return null;
      }
    },
    async remove(id) {
      const db = await open();
      if (!db) return;
      try {
        const tx = db.transaction(STORE, 'readwrite');
        tx.objectStore(STORE).delete(id);
        await done(tx);
      } catch {
        // Left behind, it is sent again on the next load; the receiver drops the duplicate.
      }
    },
    async takeAll(maxAgeMs) {
      const db = await open();
      if (!db) return [];
      try {
        const tx = db.transaction(STORE, 'readwrite');
        const store = tx.objectStore(STORE);
        const all = (await promised(store.getAll())) as PersistedRequest[];
        store.clear();
        await done(tx);
        const now = Date.now();
        return all.filter((e) => now - e.createdAt <= maxAgeMs);
      } catch {
        return [];
      }
    },
  };
}
