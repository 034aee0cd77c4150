// Deleting recordings on request (a user's right to erasure, a support clean-up):
// `DELETE /api/v1/sessions/:sessionId` and `DELETE /api/v1/users/:userId/sessions`.
// The index forgets the sessions in one transaction, so every query endpoint answers 404
// at once, on every receiver sharing the index, and anything still arriving for them is
// dropped. The bytes inside shared storage objects go when retention removes the object.
// Only an admin token may delete (auth.ts): a read token is refused with 403, a keyless
// request with 401 unless `auth.allowKeylessDeletion` is set.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SessionDeletion } from '@otel-replay/protocol';
import type { SessionIndex } from '../index/session-index.ts';
import { MAX_STORED_CHARS } from '../index/rows.ts';
import { QueryParamError, pathId } from './params.ts';

export interface DeleteDeps {
  index: Pick<SessionIndex, 'deleteSessions' | 'deleteUserSessions'>;
  /** The tenant whose admin token the request carries; throws (401/403, or 429 over its rate limit) otherwise. */
  tenantOf(request: FastifyRequest): string;
  /** Told how many sessions each request deleted (metrics). */
  onDeleted?: (count: number) => void;
  now?: () => number;
}

/** A user id as the SDK's identify() sent it: any text, but not empty, NUL or absurdly long. */
function pathUserId(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.includes('\u0000') || value.length > MAX_STORED_CHARS) {
    throw new QueryParamError('user id', `user id must be 1..${MAX_STORED_CHARS} characters without NUL (URL-encoded in the path), as sent to identify()`);
  }
  return value;
}

export async function deleteRoutes(app: FastifyInstance, deps: DeleteDeps): Promise<void> {
  const now = deps.now ?? Date.now;
  const tenants = new WeakMap<FastifyRequest, string>();
  // Authentication first: a caller without a credential learns nothing about its ids.
  app.addHook('onRequest', async (request) => {
    tenants.set(request, deps.tenantOf(request));
  });
  const tenantOf = (request: FastifyRequest): string => tenants.get(request) ?? deps.tenantOf(request);

  app.delete<{ Params: { sessionId: string } }>('/sessions/:sessionId', async (request, reply) => {
    const tenant = tenantOf(request);
    const sessionId = pathId('session id', request.params.sessionId);
    const gone = await deps.index.deleteSessions(tenant, [sessionId], now());
    deps.onDeleted?.(gone.length);
    if (gone.length === 0) return reply.code(404).send({ error: `session ${sessionId} not found; it may be deleted already, outside retention or belong to another tenant` });
    request.log.info({ tenant, sessionIds: gone }, 'deleted session on request');
    const result: SessionDeletion = { deleted: gone.length, sessionIds: gone };
    return result;
  });

  app.delete<{ Params: { userId: string } }>('/users/:userId/sessions', async (request) => {
    const tenant = tenantOf(request);
    const userId = pathUserId(request.params.userId);
    const gone = await deps.index.deleteUserSessions(tenant, userId, now());
    deps.onDeleted?.(gone.length);
    // The user id itself is personal data: the log keeps only what was removed.
    request.log.info({ tenant, sessionIds: gone }, "deleted a user's sessions on request");
    const result: SessionDeletion = { deleted: gone.length, sessionIds: gone };
    return result;
  });
}
