// Who is calling: maps an ingest write key, a query read token or an admin token to its
// tenant, key id and rate limits, and decides whether it may do what the request asks
// (ingest, read, delete). Keys come from the config file (`auth.tenants`) and from the key file
// the `keys` CLI maintains (reloaded while running, see keys/key-file-watcher.ts). Both
// are looked up by their SHA-256, so the table in memory holds no usable secret and
// lookups do not leak key prefixes through timing.
//
// The tenant is decided here and nowhere else: a client's own X-Scope-OrgID header is
// never read, so with auth on only the key chooses where data lands and what is read.
//
// Roles and what they may do: a write key ingests and nothing else; a read token reads;
// an admin token reads and deletes. Deletion never works without an admin token, even
// with auth optional where keyless requests may read the default tenant: reading is
// harmless to the evidence, deleting is not, and one stray `curl -X DELETE` against an
// open receiver should not erase anything. `auth.allowKeylessDeletion` opts out of that
// for a single-user setup that wants it.

import type { FastifyRequest } from 'fastify';
import type { ReceiverConfig } from './config.ts';
import { digestOf, roleNoun, unusableReason } from './keys/key-file.ts';
import type { KeyFile, KeyRateLimit, Role } from './keys/key-file.ts';
import type { RateLimits } from './limits/rate-limiter.ts';

export type { Role };

/** What a request asks to do: ingest (write), query (read) or delete sessions. */
export type Access = 'write' | 'read' | 'delete';

export class AuthError extends Error {
  override readonly name = 'AuthError';
  /** 401 for a missing or unusable credential; 403 for a good key used outside its scope or its role (a read token deleting). */
  readonly statusCode: 401 | 403;

  constructor(message: string, statusCode: 401 | 403 = 401) {
    super(message);
    this.statusCode = statusCode;
  }
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

/** Who a request acts as. */
export interface Identity {
  tenant: string;
  /** Key id (key file) or `config:<digest prefix>`; null for a keyless request when auth is optional. */
  keyId: string | null;
  /** The key's role; null for a keyless request. */
  role: Role | null;
  /** Rate-limit bucket: the key, or the tenant for keyless requests. */
  bucket: string;
  /** Ingest limits for `write`, query limits for `read` and `delete`. */
  limits: RateLimits;
}

interface Credential {
  keyId: string;
  tenant: string;
  role: Role;
  label: string;
  revokedAt: string | null;
  expiresAt: string | null;
  /** Write keys scoped to browser origins; null = any origin. */
  origins: ReadonlySet<string> | null;
  /** Ingest limits for a write key, query limits for a read or admin token. */
  limits: RateLimits;
}

export const NO_RATE_LIMIT: RateLimits = { requestsPerSecond: 0, burstRequests: 0, bytesPerSecond: 0, burstBytes: 0 };

function withOverride(base: RateLimits, o: KeyRateLimit | undefined): RateLimits {
  return o ? { ...base, ...o } : base;
}

/** A read or admin token's own limits: only the request fields apply to the query API. */
function withQueryOverride(base: RateLimits, o: KeyRateLimit | undefined): RateLimits {
  if (!o) return base;
  const out = { ...base };
  if (o.requestsPerSecond !== undefined) out.requestsPerSecond = o.requestsPerSecond;
  if (o.burstRequests !== undefined) out.burstRequests = o.burstRequests;
  return out;
}

/** Which roles may do what. */
const ALLOWED: Record<Access, ReadonlySet<Role>> = {
  write: new Set(['write']),
  read: new Set(['read', 'admin']),
  delete: new Set(['admin']),
};

/** The credential a request doing `access` should carry, for messages. */
function wanted(access: Access): string {
  return access === 'write' ? 'write key' : access === 'read' ? 'read token' : 'admin token';
}

const VERB: Record<Access, string> = { write: 'ingest', read: 'query', delete: 'delete' };

export class Authenticator {
  private readonly fromConfig = new Map<string, Credential>();
  private fromFile = new Map<string, Credential>();
  private readonly required: boolean;
  private readonly defaultTenant: string;
  private readonly allowKeylessDeletion: boolean;
  private readonly limits: RateLimits;
  private readonly queryLimits: RateLimits;
  private readonly now: () => number;

  /** `rateLimit` applies to ingest, `queryRateLimit` to the query API (both default to none). */
  constructor(auth: ReceiverConfig['auth'], options: { rateLimit?: RateLimits; queryRateLimit?: RateLimits; now?: () => number } = {}) {
    this.required = auth.required;
    this.defaultTenant = auth.defaultTenant;
    this.allowKeylessDeletion = auth.allowKeylessDeletion ?? false;
    this.limits = options.rateLimit ?? NO_RATE_LIMIT;
    this.queryLimits = options.queryRateLimit ?? NO_RATE_LIMIT;
    this.now = options.now ?? Date.now;
    for (const t of auth.tenants) {
      for (const [role, secrets] of [['write', t.writeKeys], ['read', t.readTokens], ['admin', t.adminTokens ?? []]] as const) {
        for (const secret of secrets) {
          const digest = digestOf(secret);
          const keyId = `config:${digest.slice(7, 19)}`;
          const limits = role === 'write' ? this.limits : this.queryLimits;
          this.fromConfig.set(digest, { keyId, tenant: t.id, role, label: `auth.tenants ${t.id}`, revokedAt: null, expiresAt: null, origins: null, limits });
        }
      }
    }
  }

  /** Replaces the keys that came from the key file (all at once: a request sees the old set or the new). */
  useKeyFile(doc: KeyFile): void {
    const next = new Map<string, Credential>();
    for (const k of doc.keys) {
      next.set(k.digest, {
        keyId: k.id,
        tenant: k.tenant,
        role: k.role,
        label: k.label,
        revokedAt: k.revokedAt,
        expiresAt: k.expiresAt,
        origins: k.scope.origins && k.scope.origins.length > 0 ? new Set(k.scope.origins) : null,
        limits: k.role === 'write' ? withOverride(this.limits, k.rateLimit) : withQueryOverride(this.queryLimits, k.rateLimit),
      });
    }
    this.fromFile = next;
  }

  /** Keys known, by source (usable or not). */
  keyCounts(): { config: number; file: number } {
    return { config: this.fromConfig.size, file: this.fromFile.size };
  }

  /**
   * Who a request acts as when it asks for `access`. Without a credential: the default
   * tenant when auth is optional (deletion only with `allowKeylessDeletion`), else 401.
   * A credential that is unknown, revoked, expired or of a role that cannot do `access`
   * is always refused, even when auth is optional, so a typo never lands data in the
   * wrong tenant. A read token asking to delete gets 403: it is a good credential of the
   * query API without that permission; a write key there gets 401 as on every query route.
   */
  identify(request: FastifyRequest, access: Access): Identity {
    const secret = credentialOf(request);
    const noun = wanted(access);
    if (secret === null) {
      if (this.required) throw new AuthError(`missing ${noun}: send Authorization: Bearer <${noun}>`);
      if (access === 'delete' && !this.allowKeylessDeletion) {
        throw new AuthError(`missing admin token: deleting sessions needs one even while auth is optional; create it with \`npm run keys -- create --tenant ${this.defaultTenant} --role admin\` (or set auth.allowKeylessDeletion: true on a receiver nobody else can reach)`);
      }
      return { tenant: this.defaultTenant, keyId: null, role: null, bucket: `tenant:${this.defaultTenant}`, limits: access === 'write' ? this.limits : this.queryLimits };
    }
    const digest = digestOf(secret);
    const found = this.fromFile.get(digest) ?? this.fromConfig.get(digest);
    if (!found) throw new AuthError(`unknown ${noun}: check the secret, or create one with \`npm run keys -- create --tenant <tenant> --role ${access === 'delete' ? 'admin' : access}\``);
    const name = `${roleNoun(found.role)} ${found.keyId}${found.label ? ` (${found.label})` : ''}`;
    if (!ALLOWED[access].has(found.role)) {
      if (access === 'delete' && found.role === 'read') {
        throw new AuthError(`${name} cannot delete; use an admin token (npm run keys -- create --tenant ${found.tenant} --role admin)`, 403);
      }
      const an = (word: string) => (word.startsWith('a') ? `an ${word}` : `a ${word}`);
      throw new AuthError(`${an(found.role)} credential cannot be used to ${VERB[access]}; use ${an(noun)}`);
    }
    const unusable = unusableReason(found, this.now());
    if (unusable) throw new AuthError(`${name} ${unusable}; use its replacement`);
    if (found.origins) {
      const origin = request.headers.origin;
      if (typeof origin !== 'string' || !found.origins.has(origin)) {
        throw new AuthError(`write key ${found.keyId} may not be used ${typeof origin === 'string' ? `from origin ${origin.slice(0, 100)}` : 'without an Origin header'}; its scope allows ${[...found.origins].join(', ')}`, 403);
      }
    }
    return { tenant: found.tenant, keyId: found.keyId, role: found.role, bucket: found.keyId, limits: found.limits };
  }

  /** The tenant a request acts for when it asks for `access` (see identify). */
  tenantOf(request: FastifyRequest, access: Access): string {
    return this.identify(request, access).tenant;
  }
}
