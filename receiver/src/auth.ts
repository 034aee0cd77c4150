// Who is calling: maps an ingest write key or a query read token to its tenant, key id
// and rate limits. Keys come from the config file (`auth.tenants`) and from the key file
// the `keys` CLI maintains (reloaded while running, see keys/key-file-watcher.ts). Both
// are looked up by their SHA-256, so the table in memory holds no usable secret and
// lookups do not leak key prefixes through timing.
//
// The tenant is decided here and nowhere else: a client's own X-Scope-OrgID header is
// never read, so with auth on only the key chooses where data lands and what is read.

import type { FastifyRequest } from 'fastify';
import type { ReceiverConfig } from './config.ts';
import { digestOf, unusableReason } from './keys/key-file.ts';
import type { KeyFile, KeyRateLimit, Role } from './keys/key-file.ts';
import type { RateLimits } from './limits/rate-limiter.ts';

export type { Role };

export class AuthError extends Error {
  override readonly name = 'AuthError';
  /** 401 for a missing or unusable credential; 403 for a good key used outside its scope. */
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
  /** Rate-limit bucket: the key, or the tenant for keyless requests. */
  bucket: string;
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
  limits: RateLimits;
}

export const NO_RATE_LIMIT: RateLimits = { requestsPerSecond: 0, burstRequests: 0, bytesPerSecond: 0, burstBytes: 0 };

function withOverride(base: RateLimits, o: KeyRateLimit | undefined): RateLimits {
  return o ? { ...base, ...o } : base;
}

function roleNoun(role: Role): string {
  return role === 'write' ? 'write key' : 'read token';
}

export class Authenticator {
  private readonly fromConfig = new Map<string, Credential>();
  private fromFile = new Map<string, Credential>();
  private readonly required: boolean;
  private readonly defaultTenant: string;
  private readonly limits: RateLimits;
  private readonly now: () => number;

  constructor(auth: ReceiverConfig['auth'], options: { rateLimit?: RateLimits; now?: () => number } = {}) {
    this.required = auth.required;
    this.defaultTenant = auth.defaultTenant;
    this.limits = options.rateLimit ?? NO_RATE_LIMIT;
    this.now = options.now ?? Date.now;
    for (const t of auth.tenants) {
      for (const [role, secrets] of [['write', t.writeKeys], ['read', t.readTokens]] as const) {
        for (const secret of secrets) {
          const digest = digestOf(secret);
          const keyId = `config:${digest.slice(7, 19)}`;
          this.fromConfig.set(digest, { keyId, tenant: t.id, role, label: `auth.tenants ${t.id}`, revokedAt: null, expiresAt: null, origins: null, limits: this.limits });
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
        limits: withOverride(this.limits, k.rateLimit),
      });
    }
    this.fromFile = next;
  }

  /** Keys known, by source (usable or not). */
  keyCounts(): { config: number; file: number } {
    return { config: this.fromConfig.size, file: this.fromFile.size };
  }

  /**
   * Who a request acts as in `role`. Without a credential: the default tenant when auth is
   * optional, else 401. A credential that is unknown, revoked, expired or of the other
   * role is always refused, even when auth is optional, so a typo never lands data in the
   * wrong tenant.
   */
  identify(request: FastifyRequest, role: Role): Identity {
    const secret = credentialOf(request);
    if (secret === null) {
      if (this.required) throw new AuthError(`missing ${roleNoun(role)}: send Authorization: Bearer <${roleNoun(role)}>`);
      return { tenant: this.defaultTenant, keyId: null, bucket: `tenant:${this.defaultTenant}`, limits: this.limits };
    }
    const digest = digestOf(secret);
    const found = this.fromFile.get(digest) ?? this.fromConfig.get(digest);
    if (!found) throw new AuthError(`unknown ${roleNoun(role)}: check the secret, or create one with \`npm run keys -- create --tenant <tenant> --role ${role}\``);
    if (found.role !== role) throw new AuthError(`a ${found.role} credential cannot be used to ${role === 'write' ? 'ingest' : 'query'}; use a ${roleNoun(role)}`);
    const unusable = unusableReason(found, this.now());
    if (unusable) throw new AuthError(`${roleNoun(role)} ${found.keyId}${found.label ? ` (${found.label})` : ''} ${unusable}; use its replacement`);
    if (found.origins) {
      const origin = request.headers.origin;
      if (typeof origin !== 'string' || !found.origins.has(origin)) {
        throw new AuthError(`write key ${found.keyId} may not be used ${typeof origin === 'string' ? `from origin ${origin.slice(0, 100)}` : 'without an Origin header'}; its scope allows ${[...found.origins].join(', ')}`, 403);
      }
    }
    return { tenant: found.tenant, keyId: found.keyId, bucket: found.keyId, limits: found.limits };
  }

  /** The tenant a request acts for in `role` (see identify). */
  tenantOf(request: FastifyRequest, role: Role): string {
    return this.identify(request, role).tenant;
  }
}
