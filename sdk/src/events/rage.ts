// Rage-click detection, pure: clicks within `radiusPx` of each other, each within
// `windowMs` of the previous one, form a burst; a burst of `threshold` or more clicks is
// a rage click, reported once when the burst is over with its final count.

export interface RageClickOptions {
  threshold: number;
  windowMs: number;
  radiusPx: number;
}

export const RAGE_DEFAULTS: RageClickOptions = { threshold: 3, windowMs: 1000, radiusPx: 30 };

export interface Burst<T> {
  count: number;
  first: T;
  last: T;
  x: number;
  y: number;
  lastAt: number;
}

export class RageClickDetector<T> {
  readonly #options: RageClickOptions;
  #burst: Burst<T> | null = null;

  constructor(options: Partial<RageClickOptions> = {}) {
    this.#options = { ...RAGE_DEFAULTS, ...options };
  }

  /**
   * Adds a click at (x, y) at time `at`. Returns the burst that this click ended (a
   * click far away or too late starts a new one) when it was a rage click, else null.
   */
  add(x: number, y: number, at: number, target: T): Burst<T> | null {
    const b = this.#burst;
    if (b && at - b.lastAt <= this.#options.windowMs && Math.hypot(x - b.x, y - b.y) <= this.#options.radiusPx) {
      b.count++;
      b.lastAt = at;
      b.last = target;
      return null;
    }
    const ended = this.flush();
    this.#burst = { count: 1, first: target, last: target, x, y, lastAt: at };
    return ended;
  }

  /** Ends the current burst if it is over at `now` (or unconditionally without `now`). */
  flush(now?: number): Burst<T> | null {
    const b = this.#burst;
    if (!b) return null;
    if (now !== undefined && now - b.lastAt <= this.#options.windowMs) return null;
    this.#burst = null;
    return b.count >= this.#options.threshold ? b : null;
  }
}
