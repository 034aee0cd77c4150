// Per-key rate limits (ingest, and the query API through query-limits.ts): two token
// buckets per key (requests and bytes as sent),
// refilled continuously. O(1) per request: one Map lookup and a few arithmetic steps, no
// timers. A refused request costs nothing and is told exactly when it would fit
// (Retry-After), from the bucket that is short.

/** A request refused by its key's bucket: answered 429 with Retry-After (ingest and the query API alike). */
export class RateLimitedError extends Error {
  override readonly name = 'RateLimitedError';
  readonly statusCode = 429;
  readonly retryAfterSeconds: number;

  constructor(message: string, retryAfterSeconds: number) {
    super(message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export interface RateLimits {
  /** Sustained rate; 0 = no limit on requests. */
  requestsPerSecond: number;
  /** Requests allowed at once after a quiet period; 0 = one second's worth. */
  burstRequests: number;
  /** Sustained rate of body bytes as sent (compressed); 0 = no limit on bytes. */
  bytesPerSecond: number;
  /** 0 = one second's worth. */
  burstBytes: number;
}

export interface RateDecision {
  allowed: boolean;
  /** Whole seconds until the request would be allowed (>= 1 when refused, 0 when allowed). */
  retryAfterSeconds: number;
  /** The bucket that refused it. */
  limit: 'requests' | 'bytes' | null;
}

interface Buckets {
  requests: number;
  bytes: number;
  at: number;
}

const ALLOWED: RateDecision = { allowed: true, retryAfterSeconds: 0, limit: null };

export function isUnlimited(l: RateLimits): boolean {
  return l.requestsPerSecond <= 0 && l.bytesPerSecond <= 0;
}

/**
 * Tokens needed for `cost`: a request larger than the whole burst is let through when the
 * bucket is full (and leaves it in debt), or it could never pass at all.
 */
function shortfall(tokens: number, cost: number, burst: number): number {
  const need = Math.min(cost, burst);
  return tokens >= need ? 0 : need - tokens;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Buckets>();
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  /**
   * Takes one request of `bytes` from bucket `id` under `limits`, counted as `requests`
   * requests (a heavier request weighs more). Nothing is taken when refused, so a client
   * retrying too early does not dig itself deeper.
   */
  take(id: string, limits: RateLimits, bytes: number, requests = 1): RateDecision {
    if (isUnlimited(limits)) return ALLOWED;
    const now = this.now();
    // No burst given (e.g. a key overriding only the rate): one second's worth.
    const reqBurst = Math.max(1, limits.burstRequests > 0 ? limits.burstRequests : limits.requestsPerSecond);
    const byteBurst = Math.max(1, limits.burstBytes > 0 ? limits.burstBytes : limits.bytesPerSecond);
    let b = this.buckets.get(id);
    if (!b) {
      b = { requests: reqBurst, bytes: byteBurst, at: now };
      this.buckets.set(id, b);
    } else {
      const elapsed = Math.max(0, now - b.at) / 1000;
      b.at = now;
      if (limits.requestsPerSecond > 0) b.requests = Math.min(reqBurst, b.requests + elapsed * limits.requestsPerSecond);
      if (limits.bytesPerSecond > 0) b.bytes = Math.min(byteBurst, b.bytes + elapsed * limits.bytesPerSecond);
    }
    const reqShort = limits.requestsPerSecond > 0 ? shortfall(b.requests, requests, reqBurst) : 0;
    const byteShort = limits.bytesPerSecond > 0 ? shortfall(b.bytes, bytes, byteBurst) : 0;
    if (reqShort > 0 || byteShort > 0) {
      const reqWait = reqShort > 0 ? reqShort / limits.requestsPerSecond : 0;
      const byteWait = byteShort > 0 ? byteShort / limits.bytesPerSecond : 0;
      return {
        allowed: false,
        retryAfterSeconds: Math.max(1, Math.ceil(Math.max(reqWait, byteWait))),
        limit: reqWait >= byteWait ? 'requests' : 'bytes',
      };
    }
    if (limits.requestsPerSecond > 0) b.requests -= requests;
    if (limits.bytesPerSecond > 0) b.bytes -= bytes;
    return ALLOWED;
  }

  /**
   * Charges bytes learned only after the body was read (a chunked request has no
   * Content-Length to check up front): never refuses, may leave the bucket in debt so
   * the key's next requests wait.
   */
  charge(id: string, limits: RateLimits, bytes: number): void {
    if (limits.bytesPerSecond <= 0) return;
    const b = this.buckets.get(id);
    if (b) b.bytes -= bytes;
  }

  /** Buckets held (one per key or tenant that sent since start). */
  size(): number {
    return this.buckets.size;
  }
}
