// When to retry an upload and how long to wait: the OTLP rules (429/502/503/504 and
// dropped connections are retryable, Retry-After is seconds or an HTTP-date) with capped
// exponential backoff and jitter, so a busy receiver is not hammered by every open tab.

export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

export interface BackoffOptions {
  initialDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is cut short: the tab may be gone long before. */
  maxRetryAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialDelayMs: 1000, maxDelayMs: 30_000, maxRetryAfterMs: 300_000 };

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status);
}

/** Milliseconds to wait from a Retry-After value, or null when absent or unreadable. */
export function parseRetryAfter(header: string | null | undefined, now: number): number | null {
  if (header == null) return null;
  const value = header.trim();
  if (value === '') return null;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  // An HTTP-date must name a weekday or month; bare numbers with signs etc. are refused above.
  if (!/[a-z]/i.test(value)) return null;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now);
}

/** Full-jitter-ish backoff: attempt 0 waits about initialDelayMs, doubling up to maxDelayMs (±20%). */
export function backoffDelay(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const base = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** Math.max(0, Math.min(attempt, 30)));
  const jitter = 0.8 + 0.4 * random();
  return Math.round(Math.min(options.maxDelayMs, base * jitter));
}

/** The delay before retry number `attempt` (0-based): Retry-After when the server gave one. */
export function retryDelay(attempt: number, retryAfter: string | null | undefined, now: number, options: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const asked = parseRetryAfter(retryAfter, now);
  if (asked !== null) return Math.min(asked, options.maxRetryAfterMs);
  return backoffDelay(attempt, options, random);
}
