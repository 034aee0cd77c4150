// Who is calling: maps an ingest write key or a query read token to its tenant.
// Keys are looked up by their SHA-256, so the table in memory holds no usable secret
// and lookups do not leak key prefixes through timing.

import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { ReceiverConfig } from './config.ts';

export type Role = 'write' | 'read';

export class AuthError extends Error {
  override readonly name = 'AuthError';
  readonly statusCode = 401;
}

function digest(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** The credential a request carries: `Authorization: Bearer <secret>` or `X-Otel-Replay-Key`. */
export function credentialOf(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (m) return m[1]!;
  }
  const key = request.headers['x-otel-replay-key'];
  if (typeof key === 'string' && key.length > 0) return key;
  return null;
}

export class Authenticator {
  private readonly byDigest = new Map<string, { tenant: string; role: Role }>();
  private readonly required: boolean;
  private readonly defaultTenant: string;

  constructor(auth: ReceiverConfig['auth']) {
    this.required = auth.required;
    this.defaultTenant = auth.defaultTenant;
    for (const t of auth.tenants) {
      for (const k of t.writeKeys) this.byDigest.set(digest(k), { tenant: t.id, role: 'write' });
      for (const k of t.readTokens) this.byDigest.set(digest(k), { tenant: t.id, role: 'read' });
    }
  }

  /**
   * The tenant a request acts for in `role`. Without a credential: the default tenant
   * when auth is optional, else 401. A credential that is unknown or of the other role
   * is always refused, even when auth is optional, so a typo never lands data in the
   * wrong tenant.
   */
  tenantOf(request: FastifyRequest, role: Role): string {
    const secret = credentialOf(request);
    if (secret === null) {
      if (this.required) throw new AuthError(role === 'write' ? 'missing write key: send Authorization: Bearer <write key>' : 'missing read token: send Authorization: Bearer <read token>');
      return this.defaultTenant;
    }
    const found = this.byDigest.get(digest(secret));
    if (!found) throw new AuthError(`unknown ${role === 'write' ? 'write key' : 'read token'}`);
    if (found.role !== role) throw new AuthError(`a ${found.role} credential cannot be used to ${role === 'write' ? 'ingest' : 'query'}`);
    return found.tenant;
  }
}
