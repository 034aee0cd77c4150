// Per-key rate limits on the query API (/api/v1): who may ask (auth.ts, read or delete)
// and whether their bucket has room, decided before the route does any work. One request
// bucket per key (per tenant for keyless requests), separate from ingest's, with heavier
// requests weighing more: an events stream reads a whole window from storage and an
// export reads the whole session plus the player, while a search or a session summary is
// a couple of index queries. There is no bytes-per-second bucket here: what a read sends
// is unknown until it has been read, and it is bounded by what is stored anyway.
// /healthz, /readyz and /metrics live outside /api/v1 and are never limited.
//
// Why the defaults (20 requests/s, burst 200) never throttle the Grafana app: opening a
// Session page is the summary (1) plus the events stream (2) = 3; a seek outside what is
// loaded restarts the stream (2); the Sessions page and a dashboard panel ask one search
// per change or refresh; Loki and Tempo queries go through Grafana to them, not here. All
// viewers of one Grafana share its read token, so the bucket serves a whole team: 200 is
// about 65 session pages opened at once, and 20/s is a page opened every 150 ms, all day.

import type { FastifyRequest } from 'fastify';
import type { Access, Authenticator, Identity } from '../auth.ts';
import { roleNoun } from '../keys/key-file.ts';
import { RateLimitedError } from './rate-limiter.ts';
import type { RateLimiter } from './rate-limiter.ts';

/** How many requests' worth each kind of query costs. */
export const QUERY_COSTS = { request: 1, eventsStream: 2, export: 10 } as const;

/** The cost of a request to the route `routeUrl` (fastify's pattern, e.g. `/api/v1/sessions/:sessionId/events`). */
export function queryCost(routeUrl: string | undefined): number {
  if (routeUrl?.endsWith('/events')) return QUERY_COSTS.eventsStream;
  if (routeUrl?.endsWith('/export.html')) return QUERY_COSTS.export;
  return QUERY_COSTS.request;
}

export interface QueryGateOptions {
  auth: Pick<Authenticator, 'identify'>;
  limiter: RateLimiter;
  /** Told about each refusal (metrics). */
  onLimited?: (identity: Identity) => void;
}

export class QueryGate {
  readonly #opts: QueryGateOptions;

  constructor(opts: QueryGateOptions) {
    this.#opts = opts;
  }

  /**
   * Who the request acts as for `access` (throws AuthError: 401/403), after taking its
   * cost from the caller's bucket (throws RateLimitedError when there is no room).
   */
  admit(request: FastifyRequest, access: Exclude<Access, 'write'>): Identity {
    const identity = this.#opts.auth.identify(request, access);
    const cost = queryCost(request.routeOptions?.url);
    const decision = this.#opts.limiter.take(identity.bucket, identity.limits, 0, cost);
    if (decision.allowed) return identity;
    this.#opts.onLimited?.(identity);
    const who = identity.keyId && identity.role ? `${roleNoun(identity.role)} ${identity.keyId}` : `tenant ${identity.tenant} (requests without a token)`;
    const { requestsPerSecond, burstRequests } = identity.limits;
    throw new RateLimitedError(
      `${who} is over its query rate limit (${requestsPerSecond} requests/s, bursts of ${burstRequests}; an events stream counts as ${QUERY_COSTS.eventsStream} requests, an export as ${QUERY_COSTS.export}); retry after ${decision.retryAfterSeconds} s`,
      decision.retryAfterSeconds,
    );
  }
}
