// How the forwarder reacts to an upstream answer: which statuses are worth retrying
// (OTLP: 429/502/503/504, plus 408 and lost connections), how long to wait (exponential
// backoff with jitter, or the server's Retry-After), and when to give up on a payload.

export type Outcome = 'delivered' | 'retry' | 'retry-limited' | 'permanent';

/** Retries of a "server error" that OTLP does not call transient (500, 501, ...) before dropping. */
export const SERVER_ERROR_ATTEMPTS = 5;

export function classifyStatus(status: number): Outcome {
  if (status >= 200 && status < 300) return 'delivered';
  if (status === 408 || status === 429 || status === 502 || status === 503 || status === 504) return 'retry';
  // OTLP says other 5xx must not be retried; a few tries cover a proxy's passing hiccup
  // while a payload that always breaks the upstream still cannot block the queue.
  if (status >= 500) return 'retry-limited';
  return 'permanent';
}

/**
 * Retry-After as milliseconds: delta-seconds or an HTTP-date. null when absent or
 * unparseable; 0 for a date in the past.
 */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (value == null) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  if (!/[a-z]/i.test(v)) return null;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now);
}

/**
 * Delay before retry number `attempt` (0 for the first retry): exponential from
 * `initialDelayMs`, with jitter in [50%, 100%] so receivers recovering from an outage
 * are not hit in lockstep; Retry-After wins when given (but not below `initialDelayMs`).
 * Always capped by `maxDelayMs`.
 */
export function retryDelayMs(
  attempt: number,
  retry: { initialDelayMs: number; maxDelayMs: number },
  retryAfterMs: number | null,
  random: () => number = Math.random,
): number {
  // initialDelayMs is the floor: "Retry-After: 0" from a struggling upstream must not turn into a busy loop.
  if (retryAfterMs !== null) return Math.min(retry.maxDelayMs, Math.max(retry.initialDelayMs, retryAfterMs));
  const base = Math.min(retry.maxDelayMs, retry.initialDelayMs * 2 ** Math.min(attempt, 30));
  return Math.round(base * (0.5 + 0.5 * random()));
}
