// The session manager: one semconv `session.id` shared by every tab of a browser (kept
// in localStorage, synchronised through `storage` events), renewed after the idle
// timeout or the maximum duration, with `session.start` / `session.end` log events, a
// window id per tab (sessionStorage) and the deterministic sampling decision. Every
// other piece of the SDK reads the session through the SessionProvider interface only.

import type { LoggerProvider } from '@opentelemetry/api';
import { Attr, EventName } from '@otel-replay/protocol';
import { DEFAULTS } from '../config.ts';
import type { SessionOptions } from '../config.ts';
import { expiryReason, parseStoredSession } from './expiry.ts';
import type { StoredSession } from './expiry.ts';
import { randomHexId } from './ids.ts';
import { isSessionSampled } from './sampling.ts';
import type { SessionChange, SessionInfo, SessionProvider } from './session.ts';
import { memoryStore, webStore } from './storage.ts';
import type { KeyValueStore } from './storage.ts';

export const SESSION_STORAGE_KEY = 'otel-replay.session';
export const WINDOW_STORAGE_KEY = 'otel-replay.window';
/** Holds this tab's window id while a page of the tab is open, '' after pagehide (see windowId()). */
export const WINDOW_LIVE_KEY = 'otel-replay.window.live';
const SCOPE = 'otel-replay';
/** Activity is written to storage at most this often (every span and event touches the session). */
const TOUCH_WRITE_INTERVAL_MS = 1000;
/** The cached session is trusted for this long before storage is read again. */
const REREAD_INTERVAL_MS = 1000;

export interface SessionManagerConfig {
  /** Idle timeout, maximum duration and sample rate; missing fields take the defaults. */
  options?: Partial<SessionOptions>;
  /** When given, `session.start` and `session.end` events are emitted through it. */
  loggerProvider?: LoggerProvider;
  /** Where the session is shared between tabs (default: localStorage, else memory). */
  storage?: KeyValueStore;
  /** Where this tab keeps its window id (default: sessionStorage, else memory). */
  windowStorage?: KeyValueStore;
  now?: () => number;
  newId?: () => string;
}

export class SessionManager implements SessionProvider {
  readonly #options: SessionOptions;
  readonly #storage: KeyValueStore;
  readonly #windowStorage: KeyValueStore;
  readonly #now: () => number;
  readonly #newId: () => string;
  readonly #listeners = new Set<(change: SessionChange) => void>();
  #loggerProvider: LoggerProvider | undefined;
  #stored: StoredSession | null = null;
  #info: SessionInfo | null = null;
  #readAt = -Infinity;
  #writtenActivity = -Infinity;
  #windowId: string | null = null;
  #renewing = false;
  #onStorage: ((e: StorageEvent) => void) | null = null;

  constructor(config: SessionManagerConfig = {}) {
    this.#options = { ...DEFAULTS.session, ...config.options };
    this.#storage = config.storage ?? webStore('localStorage');
    this.#windowStorage = config.windowStorage ?? webStore('sessionStorage');
    this.#now = config.now ?? Date.now;
    this.#newId = config.newId ?? randomHexId;
    this.#loggerProvider = config.loggerProvider;
    if (this.#storage.persistent && typeof addEventListener === 'function') {
      this.#onStorage = (e) => {
        if (e.key === SESSION_STORAGE_KEY) this.#sync(parseStoredSession(e.newValue));
      };
      addEventListener('storage', this.#onStorage);
    }
    if (typeof addEventListener === 'function') {
      // Claim the window id now: a tab duplicated from this one before the recorder asks
      // for it must already find the claim.
      this.windowId();
      addEventListener('pagehide', () => this.#windowStorage.set(WINDOW_LIVE_KEY, ''));
      // Back from the back/forward cache: the tab's next page released the claim.
      addEventListener('pageshow', () => this.#windowStorage.set(WINDOW_LIVE_KEY, this.#windowId!));
    }
  }

  /** Emit `session.start` / `session.end` through this provider from now on. */
  setLoggerProvider(loggerProvider: LoggerProvider): void {
    this.#loggerProvider = loggerProvider;
  }

  current(): SessionInfo {
    const now = this.#now();
    if (!this.#stored || now - this.#readAt >= REREAD_INTERVAL_MS) this.#sync(parseStoredSession(this.#storage.get(SESSION_STORAGE_KEY)), now);
    const stored = this.#stored;
    if (stored && this.#info && !this.#renewing) {
      const reason = expiryReason(stored, now, this.#options);
      if (reason) {
        // Another tab may have been active (or renewed) since our last read.
        this.#sync(parseStoredSession(this.#storage.get(SESSION_STORAGE_KEY)), now);
        const fresh = this.#stored!;
        const stillExpired = expiryReason(fresh, now, this.#options);
        if (stillExpired) this.#renew(now, stillExpired);
      }
    } else if (!this.#info) {
      this.#renew(now, null);
    }
    return this.#info!;
  }

  /**
   * The tab's id, kept in sessionStorage so reloads and navigations of the tab keep it.
   * Browsers copy sessionStorage into a duplicated tab (and into a window.open() popup),
   * and two live tabs with one window id would send the same sequence numbers, which the
   * receiver drops as duplicates. So a page marks the id live until its pagehide; a page
   * that finds it still marked was copied from a tab that is still open, and takes a new id.
   */
  windowId(): string {
    if (this.#windowId) return this.#windowId;
    const store = this.#windowStorage;
    let id = store.get(WINDOW_STORAGE_KEY);
    if (!id || !/^[0-9a-f]{16,32}$/.test(id) || store.get(WINDOW_LIVE_KEY) === id) {
      id = this.#newId().slice(0, 16);
      store.set(WINDOW_STORAGE_KEY, id);
    }
    store.set(WINDOW_LIVE_KEY, id);
    return (this.#windowId = id);
  }

  touch(): void {
    const now = this.#now();
    this.current();
    const stored = this.#stored!;
    stored.lastActivity = now;
    if (now - this.#writtenActivity >= TOUCH_WRITE_INTERVAL_MS) {
      this.#writtenActivity = now;
      this.#storage.set(SESSION_STORAGE_KEY, JSON.stringify(stored));
    }
  }

  onChange(listener: (change: SessionChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Ends the current session now (e.g. on logout); the next call to current() starts a new one. */
  endSession(): void {
    if (!this.#info || !this.#stored) return;
    const now = this.#now();
    this.#renew(now, 'stopped');
  }

  /** Detaches from the page (the storage listener); the session itself stays for other tabs. */
  shutdown(): void {
    if (this.#onStorage) removeEventListener('storage', this.#onStorage);
    this.#onStorage = null;
    this.#listeners.clear();
  }

  /** Adopts what storage says (another tab's renewal or activity). */
  #sync(stored: StoredSession | null, now = this.#now()): void {
    this.#readAt = now;
    if (!stored) return;
    if (this.#stored && stored.id === this.#stored.id) {
      this.#stored.lastActivity = Math.max(this.#stored.lastActivity, stored.lastActivity);
      return;
    }
    const old = this.#info;
    const oldStored = this.#stored;
    this.#stored = { ...stored };
    this.#info = this.#toInfo(stored);
    if (old) {
      const reason = oldStored ? expiryReason(oldStored, now, this.#options) ?? 'idle' : 'idle';
      this.#notify({ type: 'end', session: old, reason });
      this.#notify({ type: 'start', session: this.#info });
    }
  }

  #renew(now: number, reason: 'idle' | 'max-duration' | 'stopped' | null): void {
    this.#renewing = true;
    try {
      const old = this.#info;
      const stored: StoredSession = { id: this.#newId(), previousId: old?.id ?? null, startedAt: now, lastActivity: now };
      this.#stored = stored;
      this.#info = this.#toInfo(stored);
      this.#readAt = now;
      this.#writtenActivity = now;
      this.#storage.set(SESSION_STORAGE_KEY, JSON.stringify(stored));
      if (old && reason) {
        this.#emit(EventName.sessionEnd, { [Attr.sessionId]: old.id });
        this.#notify({ type: 'end', session: old, reason });
      }
      const startAttrs: Record<string, string> = { [Attr.sessionId]: stored.id };
      if (stored.previousId) startAttrs[Attr.previousSessionId] = stored.previousId;
      this.#emit(EventName.sessionStart, startAttrs);
      this.#notify({ type: 'start', session: this.#info });
    } finally {
      this.#renewing = false;
    }
  }

  #toInfo(stored: StoredSession): SessionInfo {
    return Object.freeze({
      id: stored.id,
      previousId: stored.previousId,
      startedAt: stored.startedAt,
      sampled: isSessionSampled(stored.id, this.#options.sampleRate),
    });
  }

  #emit(eventName: string, attributes: Record<string, string>): void {
    try {
      this.#loggerProvider?.getLogger(SCOPE).emit({ eventName, attributes });
    } catch {
      // Telemetry about the session must never break the session itself.
    }
  }

  #notify(change: SessionChange): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(change);
      } catch {
        // One faulty listener must not stop the others from hearing about the change.
      }
    }
  }
}

export { memoryStore, webStore };
export type { KeyValueStore };
