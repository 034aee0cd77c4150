// The key file: write keys, read tokens and admin tokens created by `npm run keys`, stored as digests
// only (never the secret), one JSON document that receivers poll and the CLI rewrites
// atomically. Parsing is strict: a receiver keeps its previous keys rather than acting on
// a file it does not fully understand.
//
// Why a plain SHA-256 and not a salted scrypt: every secret this file describes is 32
// random bytes from the CSPRNG (256 bits), so a leaked digest cannot be reversed or
// brute-forced whatever the hash speed; a slow salted KDF only helps low-entropy
// passwords, and would cost tens of ms of CPU on every ingest request (or a cache keyed
// by the plaintext). An unsalted digest also lets a request be looked up in O(1) without
// first knowing which key it claims to be. A server-side HMAC pepper would only help if
// the pepper lived apart from this file, and would be one more secret for every receiver.

import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { isSafeId } from '@otel-replay/protocol';

/**
 * What a key may do: `write` ingests; `read` queries its tenant's sessions; `admin` queries
 * too and may also delete them (a viewer's token cannot destroy evidence).
 */
export type Role = 'write' | 'read' | 'admin';

export const ROLES: readonly Role[] = ['write', 'read', 'admin'];

/** The name a key of `role` goes by in messages: "write key", "read token", "admin token". */
export function roleNoun(role: Role): string {
  return role === 'write' ? 'write key' : role === 'read' ? 'read token' : 'admin token';
}

/**
 * Per-key override of the receiver's limits; 0 = no limit. A write key overrides
 * `rateLimit` (ingest); a read or admin token overrides `queryRateLimit` with its
 * request fields (the byte fields apply to ingest only).
 */
export interface KeyRateLimit {
  requestsPerSecond?: number;
  burstRequests?: number;
  bytesPerSecond?: number;
  burstBytes?: number;
}

export interface KeyScope {
  /** Write keys only: browser origins (scheme://host[:port]) allowed to send with this key. */
  origins?: string[];
}

export interface KeyRecord {
  /** Public name of the key (shown by `list`, used by `revoke`/`rotate`), e.g. `k_3f9a1c2b7d`. */
  id: string;
  tenant: string;
  role: Role;
  /** `sha256:<hex>` of the secret. */
  digest: string;
  label: string;
  /** ISO-8601 times. */
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  scope: KeyScope;
  rateLimit?: KeyRateLimit;
  /** Set on a key made by `rotate`: the key it replaces. */
  rotatedFrom?: string;
}

export interface KeyFile {
  version: 1;
  keys: KeyRecord[];
}

export class KeyFileError extends Error {
  override readonly name = 'KeyFileError';
}

const SECRET_PREFIX: Record<Role, string> = { write: 'orp_wk_', read: 'orp_rt_', admin: 'orp_at_' };

/** `sha256:<hex>` of a secret: what the key file and the in-memory table hold. */
export function digestOf(secret: string): string {
  return `sha256:${createHash('sha256').update(secret).digest('hex')}`;
}

/** A new secret: a prefix naming the role (so secret scanners and humans can tell) + 256 random bits. */
export function newSecret(role: Role): string {
  return SECRET_PREFIX[role] + randomBytes(32).toString('base64url');
}

export function newKeyId(taken: ReadonlySet<string>): string {
  for (;;) {
    const id = `k_${randomBytes(5).toString('hex')}`;
    if (!taken.has(id)) return id;
  }
}

function isIsoTime(v: unknown): v is string {
  return typeof v === 'string' && /^\d{4}-\d\d-\d\dT/.test(v) && Number.isFinite(Date.parse(v));
}

function isOrigin(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  try {
    const u = new URL(v);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === v;
  } catch {
    return false;
  }
}

const RATE_FIELDS = ['requestsPerSecond', 'burstRequests', 'bytesPerSecond', 'burstBytes'] as const;

/** Checks one record; the message names the key and the field so the file can be fixed by hand. */
function checkRecord(raw: unknown, i: number, file: string): KeyRecord {
  const where = `${file} entry ${i}`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new KeyFileError(`${where} is not an object`);
  const r = raw as Record<string, unknown>;
  const name = typeof r.id === 'string' ? `${where} (${r.id})` : where;
  const fail = (what: string): never => {
    throw new KeyFileError(`${name}: ${what}`);
  };
  if (typeof r.id !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(r.id)) fail('id must be 1-64 characters of [A-Za-z0-9_-]');
  if (!isSafeId(r.tenant)) fail('tenant must be a safe id ([A-Za-z0-9._:-], at most 128 characters)');
  if (!(ROLES as readonly unknown[]).includes(r.role)) fail('role must be write, read or admin');
  if (typeof r.digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(r.digest)) fail('digest must be sha256:<64 hex digits>');
  if (r.label !== undefined && typeof r.label !== 'string') fail('label must be a string');
  if (!isIsoTime(r.createdAt)) fail('createdAt must be an ISO-8601 time');
  for (const field of ['expiresAt', 'revokedAt'] as const) {
    if (r[field] !== undefined && r[field] !== null && !isIsoTime(r[field])) fail(`${field} must be an ISO-8601 time or null`);
  }
  const scope = (r.scope ?? {}) as Record<string, unknown>;
  if (typeof scope !== 'object' || scope === null || Array.isArray(scope)) fail('scope must be an object');
  for (const k of Object.keys(scope)) if (k !== 'origins') fail(`scope.${k} is not a known scope (known: origins)`);
  if (scope.origins !== undefined) {
    if (!Array.isArray(scope.origins) || !scope.origins.every(isOrigin)) fail('scope.origins must be a list of origins like https://shop.example');
    if (r.role !== 'write') fail('scope.origins applies to write keys only');
  }
  if (r.rateLimit !== undefined) {
    const rl = r.rateLimit as Record<string, unknown>;
    if (typeof rl !== 'object' || rl === null || Array.isArray(rl)) fail('rateLimit must be an object');
    for (const [k, v] of Object.entries(rl)) {
      if (!(RATE_FIELDS as readonly string[]).includes(k)) fail(`rateLimit.${k} is not known (known: ${RATE_FIELDS.join(', ')})`);
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(`rateLimit.${k} must be a number >= 0`);
    }
  }
  if (r.rotatedFrom !== undefined && typeof r.rotatedFrom !== 'string') fail('rotatedFrom must be a key id');
  const record: KeyRecord = {
    id: r.id as string,
    tenant: r.tenant as string,
    role: r.role as Role,
    digest: r.digest as string,
    label: (r.label as string | undefined) ?? '',
    createdAt: r.createdAt as string,
    expiresAt: (r.expiresAt as string | null | undefined) ?? null,
    revokedAt: (r.revokedAt as string | null | undefined) ?? null,
    scope: scope.origins ? { origins: [...(scope.origins as string[])] } : {},
  };
  if (r.rateLimit !== undefined) record.rateLimit = { ...(r.rateLimit as KeyRateLimit) };
  if (r.rotatedFrom !== undefined) record.rotatedFrom = r.rotatedFrom as string;
  return record;
}

/** Parses and checks a key file's text; throws KeyFileError naming what is wrong. */
export function parseKeyFile(text: string, file = 'key file'): KeyFile {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new KeyFileError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new KeyFileError(`${file} must hold an object { "version": 1, "keys": [...] }`);
  const d = doc as Record<string, unknown>;
  if (d.version !== 1) throw new KeyFileError(`${file} has version ${JSON.stringify(d.version)}; this receiver reads version 1`);
  if (!Array.isArray(d.keys)) throw new KeyFileError(`${file} must have a "keys" list`);
  const keys = d.keys.map((k, i) => checkRecord(k, i, file));
  const ids = new Set<string>();
  const digests = new Set<string>();
  for (const k of keys) {
    if (ids.has(k.id)) throw new KeyFileError(`${file} lists key id ${k.id} twice`);
    if (digests.has(k.digest)) throw new KeyFileError(`${file} lists the same secret twice (key ${k.id})`);
    ids.add(k.id);
    digests.add(k.digest);
  }
  return { version: 1, keys };
}

/** Reads a key file; a file that does not exist is an empty one (no keys created yet). */
export function readKeyFile(file: string): KeyFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, keys: [] };
    throw new KeyFileError(`cannot read key file ${file}: ${(err as Error).message}`);
  }
  return parseKeyFile(text, `key file ${file}`);
}

/**
 * Replaces the key file atomically (temp file, fsync, rename): a receiver polling it sees
 * the old or the new document, never half of one.
 */
export function writeKeyFile(file: string, doc: KeyFile): void {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(doc, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

const LOCK_STALE_MS = 30_000;

/**
 * Runs `change` on the current key file under an exclusive lock file, then writes the
 * result: two CLI runs at once never lose each other's key.
 */
export function updateKeyFile<T>(file: string, change: (doc: KeyFile) => T, options: { lockWaitMs?: number } = {}): T {
  const lock = `${file}.lock`;
  mkdirSync(path.dirname(file), { recursive: true });
  const deadline = Date.now() + (options.lockWaitMs ?? 5000);
  let fd: number;
  for (;;) {
    try {
      fd = openSync(lock, 'wx', 0o600);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new KeyFileError(`cannot lock key file ${file} (${lock}): ${(err as Error).message}`);
      // A lock left by a killed process is taken over once clearly stale.
      try {
        if (Date.now() - statSync(lock).mtimeMs > LOCK_STALE_MS) rmSync(lock, { force: true });
      } catch { /* removed meanwhile */ }
      if (Date.now() > deadline) throw new KeyFileError(`key file ${file} is locked by another process (${lock}); retry, or remove the lock file if no keys command is running`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    }
  }
  try {
    const doc = readKeyFile(file);
    const result = change(doc);
    writeKeyFile(file, doc);
    return result;
  } finally {
    closeSync(fd);
    rmSync(lock, { force: true });
  }
}

/** Why a key cannot be used at `now`, or null when it can. */
export function unusableReason(k: Pick<KeyRecord, 'revokedAt' | 'expiresAt'>, now: number): string | null {
  if (k.revokedAt !== null && Date.parse(k.revokedAt) <= now) return `was revoked at ${k.revokedAt}`;
  if (k.expiresAt !== null && Date.parse(k.expiresAt) <= now) return `expired at ${k.expiresAt}`;
  return null;
}

/** The default key file location: next to the index in the data directory. */
export function defaultKeyFile(dataDir: string): string {
  return path.join(dataDir, 'keys.json');
}
