// A tiny key/value store over Web Storage that never throws: storage can be missing,
// disabled (privacy modes, sandboxed iframes) or full, and the SDK must keep working in
// memory then — the session is just not shared with other tabs.

export interface KeyValueStore {
  get(key: string): string | null;
  set(key: string, value: string): void;
  /** True when values really reach Web Storage (and so other tabs). */
  readonly persistent: boolean;
}

export function memoryStore(): KeyValueStore {
  const map = new Map<string, string>();
  return { get: (k) => map.get(k) ?? null, set: (k, v) => void map.set(k, v), persistent: false };
}

/** `kind` is read lazily: touching `window.localStorage` itself can throw (SecurityError). */
export function webStore(kind: 'localStorage' | 'sessionStorage'): KeyValueStore {
  let storage: Storage | null = null;
  try {
    storage = (globalThis as unknown as Record<string, Storage | undefined>)[kind] ?? null;
    if (storage) {
      const probe = '__otel_replay_probe__';
      storage.setItem(probe, '1');
      storage.removeItem(probe);
    }
  } catch {
    storage = null;
  }
  if (!storage) return memoryStore();
  const fallback = memoryStore();
  const s = storage;
  return {
    persistent: true,
    get(key) {
      try {
        return s.getItem(key) ?? fallback.get(key);
      } catch {
        return fallback.get(key);
      }
    },
    set(key, value) {
      fallback.set(key, value);
      try {
        s.setItem(key, value);
      } catch {
        // Quota or access error: the in-memory copy keeps this tab consistent.
      }
    },
  };
}
