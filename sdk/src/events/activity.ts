// User activity keeps the session alive: pointer, key, scroll and visibility changes
// touch the session (the manager rate-limits its storage writes).

import type { SessionProvider } from '../session/session.ts';
import type { EventCollector } from './emit.ts';

const EVENTS = ['pointerdown', 'keydown', 'scroll', 'touchstart'] as const;
const MIN_INTERVAL_MS = 1000;

export class ActivityTracker implements EventCollector {
  readonly #session: SessionProvider;
  #last = -Infinity;
  #listening = false;

  constructor(session: SessionProvider) {
    this.#session = session;
  }

  readonly #onActivity = (): void => {
    const now = Date.now();
    if (now - this.#last < MIN_INTERVAL_MS) return;
    this.#last = now;
    try {
      this.#session.touch();
    } catch {
      // never break input handling
    }
  };

  readonly #onVisibility = (): void => {
    if (document.visibilityState === 'visible') this.#onActivity();
  };

  start(): void {
    if (this.#listening || typeof document === 'undefined') return;
    this.#listening = true;
    for (const type of EVENTS) addEventListener(type, this.#onActivity, { capture: true, passive: true });
    document.addEventListener('visibilitychange', this.#onVisibility);
  }

  stop(): void {
    if (!this.#listening) return;
    this.#listening = false;
    for (const type of EVENTS) removeEventListener(type, this.#onActivity, { capture: true });
    document.removeEventListener('visibilitychange', this.#onVisibility);
  }
}
