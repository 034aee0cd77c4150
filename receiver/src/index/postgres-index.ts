// The shared session index for several receivers behind a load balancer: PostgreSQL
// through a `pg` Pool. Same schema and semantics as the SQLite index; batches travel as
// arrays through unnest() so one round trip handles any number of rows. A database that
// cannot be reached surfaces as IndexUnavailableError (HTTP 503 + Retry-After), and the
// pool reconnects on its own once the server is back.

import { createHash } from 'node:crypto';
import pg from 'pg';
import type { CustomTypesConfig, PoolClient } from 'pg';
import type { SegmentIndexRow } from '@otel-replay/protocol';
import { IndexUnavailableError, segmentKey } from './session-index.ts';
import type { PendingLegacyChunk, SessionActivity, SessionCut, SessionIndex, SessionPage, SessionQuery, SessionState, SessionSummary } from './session-index.ts';
import {
  CREATE_MIGRATIONS_TABLE, LEGACY_COLUMNS, LEGACY_WRITE_COLUMNS, MIGRATION_LOCK_KEY, SEGMENT_COLUMNS, SESSION_COLUMNS, SESSION_TEXT_COLUMNS, SESSION_WRITE_COLUMNS,
  pendingMigrations,
} from './schema.ts';
import {
  checkActivity, checkLegacyChunk, checkLegacyCutoff, checkSegmentRow, cleanText, isStorableKey, legacyFromDb, legacyToParams, mergeActivity,
  segmentActivity, segmentFromDb, segmentToParams, sessionFromDb, sessionRecordFromDb, sessionToParams,
} from './rows.ts';
import type { DbRow, SessionRecord, SqlValue } from './rows.ts';
import {
  MARK_TRUNCATED_SQL, REMAINING_SEGMENTS_SQL, SESSION_STATE_COLUMNS, TRIM_SESSION_SQL, checkCut, checkDeletion, checkExpiry, listTenantsSql, sessionStateFromDb,
  trimmedCounters, trimmedSessionFromDb,
} from './lifecycle.ts';
import { buildSessionSearch } from './search.ts';

export interface PostgresIndexOptions {
  url: string;
  maxConnections: number;
  /** Give up connecting after this long (ms), so requests fail fast while the server is down. */
  connectTimeoutMs?: number;
  /** Client-side cap on one query (ms), so a hung server does not hang requests. */
  queryTimeoutMs?: number;
  /**
   * The clock parked legacy chunks are stamped with (epoch ms); tests pin it. The
   * receiver's clock, not the server's, because sweep cutoffs come from the receiver.
   */
  now?: () => number;
}

const INT8_OID = 20;
// BIGINT columns hold epoch ms, counters and byte offsets: all far below 2^53.
const numericInt8: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as CustomTypesConfig['getTypeParser'],
};

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);
const TRANSIENT_MESSAGES = /connection terminated|connection error|not queryable|timeout exceeded when trying to connect|query read timeout|cannot use a pool after calling end|the database system is (starting up|shutting down)/i;

/**
 * True for failures that say "the database is not there right now" rather than "this
 * statement is wrong": network errors, SQLSTATE class 08 (connection exception),
 * 57P01-57P03 (admin/crash shutdown, cannot connect now), class 53 (out of
 * connections, disk or memory) and 40001/40P01 (serialization failure, deadlock).
 */
export function isUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : '';
  if (NETWORK_CODES.has(code)) return true;
  if (/^(08|53)/.test(code) || code === '57P01' || code === '57P02' || code === '57P03' || code === '40001' || code === '40P01') return true;
  return typeof e?.message === 'string' && TRANSIENT_MESSAGES.test(e.message);
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return `${u.host}${u.pathname}`;
  } catch {
    return 'the configured PostgreSQL server';
  }
}

/** Advisory lock namespaces (first int of the two-int form): tenant ingest/deletion, and jobs. */
const TENANT_LOCK_NAMESPACE = 0x6f72706c;
const JOB_LOCK_NAMESPACE = 0x6f72706a;

/** A 32-bit advisory lock key for a name; a collision only makes two names wait for each other. */
function lockKey(name: string): number {
  return createHash('sha256').update(name).digest().readInt32BE(0);
}

/**
 * Ingest transactions hold their tenants' lock shared (they never wait for each other);
 * a deletion holds it exclusive, so it waits for ingest in flight and ingest after it
 * sees the deleted ids. Taken first in each transaction, in key order: no deadlock.
 */
async function lockTenants(c: PoolClient, tenants: string[], mode: 'shared' | 'exclusive'): Promise<void> {
  const keys = [...new Set(tenants.map(lockKey))].sort((a, b) => a - b);
  const fn = mode === 'shared' ? 'pg_advisory_xact_lock_shared' : 'pg_advisory_xact_lock';
  for (const k of keys) await c.query(`SELECT ${fn}($1, $2)`, [TENANT_LOCK_NAMESPACE, k]);
}

function column<T>(rows: T[], pick: (r: T) => SqlValue): SqlValue[] {
  return rows.map(pick);
}

export class PostgresIndex implements SessionIndex {
  readonly #pool: pg.Pool;
  readonly #where: string;
  readonly #now: () => number;
  #closed = false;

  constructor(options: PostgresIndexOptions) {
    this.#where = redact(options.url);
    this.#now = options.now ?? Date.now;
    this.#pool = new pg.Pool({
      connectionString: options.url,
      max: options.maxConnections,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      query_timeout: options.queryTimeoutMs ?? 30_000,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      application_name: 'otel-replay-receiver',
      types: numericInt8,
    });
    // An idle client whose server went away emits 'error'; the pool drops it and opens
    // a fresh one on next use. Without a listener that error would crash the process.
    this.#pool.on('error', () => {});
  }

  #wrap(err: unknown, action: string): Error {
    if (this.#closed) return new IndexUnavailableError(`PostgreSQL index ${this.#where} is closed; ${action} refused`, { cause: err });
    if (isUnavailable(err)) {
      const msg = (err as Error)?.message || String((err as { code?: string })?.code ?? err);
      return new IndexUnavailableError(`PostgreSQL index ${this.#where}: ${action} failed (${msg}); retry later, and check that the server is up if it persists`, { cause: err });
    }
    return err instanceof Error ? err : new Error(String(err));
  }

  async #query(action: string, sql: string, params: unknown[] = []): Promise<DbRow[]> {
    if (this.#closed) throw this.#wrap(new Error('closed'), action);
    try {
      return (await this.#pool.query(sql, params)).rows as DbRow[];
    } catch (err) {
      throw this.#wrap(err, action);
    }
  }

  /** One transaction on one pooled client; a client that failed mid-way is discarded. */
  async #tx<T>(action: string, fn: (client: PoolClient) => Promise<T>): Promise<T> {
    if (this.#closed) throw this.#wrap(new Error('closed'), action);
    let client: PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (err) {
      throw this.#wrap(err, action);
    }
    // The pool listens for errors only on idle clients; this one is checked out.
    const onError = (): void => {};
    client.on('error', onError);
    let discard: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      if (isUnavailable(err)) discard = err as Error;
      else {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackErr) {
          discard = rollbackErr as Error;
        }
      }
      throw this.#wrap(err, action);
    } finally {
      client.off('error', onError);
      client.release(discard ?? false);
    }
  }

  async migrate(): Promise<void> {
    await this.#tx('migrate', async (c) => {
      // Held until COMMIT: a second receiver starting now waits, then finds nothing to do.
      await c.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
      await c.query(CREATE_MIGRATIONS_TABLE);
      const applied = (await c.query('SELECT version FROM schema_migrations')).rows.map((r: DbRow) => Number(r.version));
      for (const m of pendingMigrations(applied)) {
        for (const sql of m.statements) await c.query(sql);
        await c.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [m.version, m.name, Date.now()]);
      }
    });
  }

  async insertSegments(rows: SegmentIndexRow[]): Promise<boolean[]> {
    for (const r of rows) checkSegmentRow(r);
    if (rows.length === 0) return [];
    // A key repeated inside the batch: only its first copy is sent, later copies are
    // duplicates by definition (the first copy's bytes are the ones indexed).
    const keyOf = (r: SegmentIndexRow): string => `${r.tenant}\u0000${segmentKey(r.sessionId, r.windowId, r.seq)}`;
    const firstCopies = new Map<string, SegmentIndexRow>();
    for (const r of rows) if (!firstCopies.has(keyOf(r))) firstCopies.set(keyOf(r), r);
    const params = [...firstCopies.values()].map(segmentToParams);
    const arrays = Array.from({ length: 13 }, (_, i) => params.map((p) => p[i]));
    const types = ['text', 'text', 'text', 'bigint', 'bigint', 'bigint', 'integer', 'integer', 'text', 'text', 'bigint', 'bigint', 'bigint'];
    const unnest = types.map((t, i) => `$${i + 1}::${t}[]`).join(', ');
    return this.#tx('insert segments', async (c) => {
      await lockTenants(c, rows.map((r) => r.tenant), 'shared');
      // Rows go in key order so two receivers inserting overlapping batches wait for each
      // other instead of deadlocking; the session merge below then locks sessions in key
      // order too, and every writer takes segment locks before session locks.
      // A session deleted while its segments were on their way stays deleted.
      const inserted = await c.query(
        `INSERT INTO segments (${SEGMENT_COLUMNS})
         SELECT * FROM unnest(${unnest}) AS u(${SEGMENT_COLUMNS})
         WHERE NOT EXISTS (SELECT 1 FROM deleted_sessions d WHERE d.tenant = u.tenant AND d.session_id = u.session_id)
         ORDER BY 1, 2, 3, 4
         ON CONFLICT DO NOTHING RETURNING tenant, session_id, window_id, seq`,
        arrays,
      );
      const fresh = new Set((inserted.rows as DbRow[]).map((r) => `${String(r.tenant)}\u0000${segmentKey(String(r.session_id), String(r.window_id), Number(r.seq))}`));
      // Set.delete is true once per key: the first copy is "inserted", any later one is not.
      const flags = rows.map((r) => fresh.delete(keyOf(r)));
      // Counted in the rows' own transaction: a segment stored is a segment counted.
      await this.#mergeActivity(c, segmentActivity(rows.filter((_, i) => flags[i])));
      return flags;
    });
  }

  async existingSegments(tenant: string, keys: { sessionId: string; windowId: string; seq: number }[]): Promise<Set<string>> {
    const usable = keys.filter((k) => isStorableKey(k.sessionId) && isStorableKey(k.windowId) && Number.isSafeInteger(k.seq));
    const found = new Set<string>();
    if (usable.length === 0 || !isStorableKey(tenant)) return found;
    const rows = await this.#query(
      'look up segments',
      `SELECT s.session_id, s.window_id, s.seq FROM segments s
       JOIN unnest($2::text[], $3::text[], $4::bigint[]) AS k(session_id, window_id, seq)
         ON s.session_id = k.session_id AND s.window_id = k.window_id AND s.seq = k.seq
       WHERE s.tenant = $1`,
      [tenant, column(usable, (k) => k.sessionId), column(usable, (k) => k.windowId), column(usable, (k) => k.seq)],
    );
    for (const r of rows) found.add(segmentKey(String(r.session_id), String(r.window_id), Number(r.seq)));
    return found;
  }

  async applyActivity(deltas: SessionActivity[]): Promise<void> {
    for (const d of deltas) checkActivity(d);
    if (deltas.length === 0) return;
    await this.#tx('apply session activity', async (c) => {
      await lockTenants(c, deltas.map((d) => d.tenant), 'shared');
      await this.#mergeActivity(c, deltas);
    });
  }

  /**
   * Folds checked deltas into their sessions on a client inside a caller's #tx.
   * Sessions are created and then locked in (tenant, session) order, so two receivers
   * merging into overlapping sessions wait for each other instead of deadlocking.
   */
  async #mergeActivity(c: PoolClient, deltas: SessionActivity[]): Promise<void> {
    if (deltas.length === 0) return;
    const firstOf = new Map<string, SessionActivity>();
    for (const d of deltas) {
      const k = `${d.tenant}\u0000${d.sessionId}`;
      if (!firstOf.has(k)) firstOf.set(k, d);
    }
    const keys = [...firstOf.values()];
    const tenants = column(keys, (d) => d.tenant);
    const ids = column(keys, (d) => d.sessionId);
    // Create missing rows first so that FOR UPDATE below locks every session we touch:
    // another receiver merging into the same session then waits for our COMMIT.
    // Both statements visit keys in one order, so two receivers cannot deadlock.
    // A deleted session gets no row back, and the UPDATE below only touches rows that exist.
    await c.query(
      `INSERT INTO sessions (tenant, session_id, first_seen, last_seen)
       SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[]) AS u(tenant, session_id, first_seen, last_seen)
       WHERE NOT EXISTS (SELECT 1 FROM deleted_sessions d WHERE d.tenant = u.tenant AND d.session_id = u.session_id)
       ORDER BY 1, 2
       ON CONFLICT DO NOTHING`,
      [tenants, ids, column(keys, (d) => Math.min(d.firstSeen, d.lastSeen)), column(keys, (d) => Math.max(d.firstSeen, d.lastSeen))],
    );
    const locked = await c.query(
      `SELECT ${SESSION_COLUMNS} FROM sessions
       WHERE (tenant, session_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
       ORDER BY tenant, session_id FOR UPDATE`,
      [tenants, ids],
    );
    const current = new Map<string, SessionRecord>();
    for (const r of locked.rows as DbRow[]) current.set(`${String(r.tenant)}\u0000${String(r.session_id)}`, sessionRecordFromDb(r));
    for (const d of deltas) {
      const k = `${d.tenant}\u0000${d.sessionId}`;
      current.set(k, mergeActivity(current.get(k) ?? null, d));
    }
    const params = [...current.values()].map(sessionToParams);
    const arrays = SESSION_WRITE_COLUMNS.map((_, i) => params.map((p) => p[i]));
    const types = SESSION_WRITE_COLUMNS.map((col) => (SESSION_TEXT_COLUMNS.has(col) ? 'text' : 'bigint'));
    const unnest = types.map((t, i) => `$${i + 1}::${t}[]`).join(', ');
    const set = SESSION_WRITE_COLUMNS.slice(2).map((col) => `${col} = u.${col}`).join(', ');
    await c.query(
      `UPDATE sessions AS s SET ${set}
       FROM unnest(${unnest}) AS u(${SESSION_WRITE_COLUMNS.join(', ')})
       WHERE s.tenant = u.tenant AND s.session_id = u.session_id`,
      arrays,
    );
  }

  async searchSessions(query: SessionQuery): Promise<SessionPage> {
    const built = buildSessionSearch(query, 'postgres');
    const [totalRows, rows] = await Promise.all([
      this.#query('count sessions', built.count.sql, built.count.params),
      this.#query('search sessions', built.page.sql, built.page.params),
    ]);
    return { sessions: rows.map(sessionFromDb), total: Number(totalRows[0]?.total ?? 0) };
  }

  async getSession(tenant: string, sessionId: string): Promise<SessionSummary | null> {
    if (!isStorableKey(tenant) || !isStorableKey(sessionId)) return null;
    const rows = await this.#query('read session', `SELECT ${SESSION_COLUMNS} FROM sessions WHERE tenant = $1 AND session_id = $2`, [tenant, sessionId]);
    return rows[0] ? sessionFromDb(rows[0]) : null;
  }

  async listSegments(tenant: string, sessionId: string, windowId?: string): Promise<SegmentIndexRow[]> {
    if (!isStorableKey(tenant) || !isStorableKey(sessionId) || (windowId !== undefined && !isStorableKey(windowId))) return [];
    const rows = windowId === undefined
      ? await this.#query('list segments', `SELECT ${SEGMENT_COLUMNS} FROM segments WHERE tenant = $1 AND session_id = $2 ORDER BY window_id, seq`, [tenant, sessionId])
      : await this.#query('list segments', `SELECT ${SEGMENT_COLUMNS} FROM segments WHERE tenant = $1 AND session_id = $2 AND window_id = $3 ORDER BY seq`, [tenant, sessionId, windowId]);
    return rows.map(segmentFromDb);
  }

  async putLegacyChunk(chunk: PendingLegacyChunk): Promise<void> {
    checkLegacyChunk(chunk);
    await this.#query(
      'park legacy chunk',
      // A retry keeps the first copy, parked_at included, so its age keeps counting.
      `INSERT INTO legacy_chunks (${LEGACY_WRITE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING`,
      legacyToParams(chunk, this.#now()),
    );
  }

  async legacyChunks(tenant: string, sessionId: string, windowId: string, eventNumber: number): Promise<PendingLegacyChunk[]> {
    if (!isStorableKey(tenant) || !isStorableKey(sessionId) || !isStorableKey(windowId) || !Number.isSafeInteger(eventNumber)) return [];
    const rows = await this.#query(
      'read legacy chunks',
      `SELECT ${LEGACY_COLUMNS} FROM legacy_chunks WHERE tenant = $1 AND session_id = $2 AND window_id = $3 AND event_number = $4 ORDER BY chunk`,
      [tenant, sessionId, windowId, eventNumber],
    );
    return rows.map(legacyFromDb);
  }

  async deleteLegacyChunks(tenant: string, sessionId: string, windowId: string, eventNumber: number): Promise<void> {
    if (!isStorableKey(tenant) || !isStorableKey(sessionId) || !isStorableKey(windowId) || !Number.isSafeInteger(eventNumber)) return;
    await this.#query(
      'delete legacy chunks',
      'DELETE FROM legacy_chunks WHERE tenant = $1 AND session_id = $2 AND window_id = $3 AND event_number = $4',
      [tenant, sessionId, windowId, eventNumber],
    );
  }

  async deleteLegacyChunksOlderThan(cutoffMs: number): Promise<number> {
    checkLegacyCutoff(cutoffMs);
    const rows = await this.#query(
      'sweep stale legacy chunks',
      'WITH gone AS (DELETE FROM legacy_chunks WHERE parked_at < $1 RETURNING 1) SELECT count(*) AS removed FROM gone',
      [cutoffMs],
    );
    return Number(rows[0]?.removed ?? 0);
  }

  async sessionStates(tenant: string, sessionIds: string[]): Promise<Map<string, SessionState>> {
    const ids = [...new Set(sessionIds)].filter(isStorableKey);
    const out = new Map<string, SessionState>();
    if (ids.length === 0 || !isStorableKey(tenant)) return out;
    const rows = await this.#query(
      'read session states',
      `SELECT k.session_id, ${SESSION_STATE_COLUMNS.map((c) => `s.${c}`).join(', ')}, d.session_id IS NOT NULL AS deleted
       FROM unnest($2::text[]) AS k(session_id)
       LEFT JOIN sessions s ON s.tenant = $1 AND s.session_id = k.session_id
       LEFT JOIN deleted_sessions d ON d.tenant = $1 AND d.session_id = k.session_id
       WHERE s.session_id IS NOT NULL OR d.session_id IS NOT NULL`,
      [tenant, ids],
    );
    for (const r of rows) {
      out.set(String(r.session_id), r.deleted ? { firstSeen: 0, replayBytes: 0, truncatedAt: null, deleted: true } : sessionStateFromDb(r));
    }
    return out;
  }

  async markTruncated(cuts: SessionCut[]): Promise<void> {
    for (const c of cuts) checkCut(c);
    if (cuts.length === 0) return;
    const sorted = [...cuts].sort((a, b) => (a.tenant < b.tenant ? -1 : a.tenant > b.tenant ? 1 : a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0));
    await this.#tx('mark sessions truncated', async (c) => {
      await lockTenants(c, sorted.map((x) => x.tenant), 'shared');
      for (const cut of sorted) {
        const deleted = await c.query('SELECT 1 FROM deleted_sessions WHERE tenant = $1 AND session_id = $2', [cut.tenant, cut.sessionId]);
        if (deleted.rowCount === 0) await c.query(MARK_TRUNCATED_SQL, [cut.tenant, cut.sessionId, cut.at, cut.at, cut.at, cut.reason]);
      }
    });
  }

  /** Removes these sessions' rows and remembers them as deleted, inside a caller's #tx. */
  async #forget(c: PoolClient, tenant: string, ids: string[], deletedAt: number): Promise<void> {
    if (ids.length === 0) return;
    await c.query('DELETE FROM segments WHERE tenant = $1 AND session_id = ANY($2::text[])', [tenant, ids]);
    await c.query('DELETE FROM legacy_chunks WHERE tenant = $1 AND session_id = ANY($2::text[])', [tenant, ids]);
    await c.query(
      `INSERT INTO deleted_sessions (tenant, session_id, deleted_at) SELECT $1, id, $3 FROM unnest($2::text[]) AS id ORDER BY id ON CONFLICT DO NOTHING`,
      [tenant, ids, deletedAt],
    );
  }

  async deleteSessions(tenant: string, sessionIds: string[], deletedAt: number): Promise<string[]> {
    checkDeletion(tenant, deletedAt);
    const ids = [...new Set(sessionIds)].filter(isStorableKey);
    if (ids.length === 0) return [];
    return this.#tx('delete sessions', async (c) => {
      // Waits for this tenant's ingest transactions in flight; later ones see the deletion.
      await lockTenants(c, [tenant], 'exclusive');
      const gone = (await c.query('DELETE FROM sessions WHERE tenant = $1 AND session_id = ANY($2::text[]) RETURNING session_id', [tenant, ids])).rows.map((r: DbRow) => String(r.session_id));
      await this.#forget(c, tenant, gone, deletedAt);
      return gone;
    });
  }

  async deleteUserSessions(tenant: string, userId: string, deletedAt: number): Promise<string[]> {
    checkDeletion(tenant, deletedAt);
    const stored = cleanText(userId);
    if (stored === null) return [];
    return this.#tx('delete sessions of a user', async (c) => {
      await lockTenants(c, [tenant], 'exclusive');
      const gone = (await c.query('DELETE FROM sessions WHERE tenant = $1 AND user_id = $2 RETURNING session_id', [tenant, stored])).rows.map((r: DbRow) => String(r.session_id));
      await this.#forget(c, tenant, gone, deletedAt);
      return gone;
    });
  }

  async listTenants(): Promise<string[]> {
    const [a, b] = await Promise.all([this.#query('list tenants', listTenantsSql('sessions')), this.#query('list tenants', listTenantsSql('deleted_sessions'))]);
    return [...new Set([...a, ...b].map((r) => String(r.tenant)))].sort();
  }

  async expireSessions(tenant: string, cutoffMs: number, limit: number): Promise<number> {
    checkExpiry(cutoffMs, limit);
    if (!isStorableKey(tenant)) return 0;
    return this.#tx('expire sessions', async (c) => {
      const gone = (await c.query(
        `DELETE FROM sessions WHERE tenant = $1 AND session_id IN (SELECT session_id FROM sessions WHERE tenant = $1 AND last_seen < $2 ORDER BY session_id LIMIT $3)
         RETURNING session_id`,
        [tenant, cutoffMs, limit],
      )).rows.map((r: DbRow) => String(r.session_id));
      if (gone.length > 0) {
        await c.query('DELETE FROM segments WHERE tenant = $1 AND session_id = ANY($2::text[])', [tenant, gone]);
        await c.query('DELETE FROM legacy_chunks WHERE tenant = $1 AND session_id = ANY($2::text[])', [tenant, gone]);
      }
      return gone.length;
    });
  }

  /**
   * Removes old segment rows and, in the same transaction, recounts the sessions that keep
   * living without them. Locks are taken like a deletion's (tenant lock, then sessions in
   * key order, then their rows), but the tenant lock only shared: ingest goes on. The
   * remaining rows are counted after the session locks are held, so an insert that
   * committed meanwhile is in the count, and one still in flight adds itself on top of it.
   */
  async expireSegments(tenant: string, cutoffMs: number, limit: number): Promise<number> {
    checkExpiry(cutoffMs, limit);
    if (!isStorableKey(tenant)) return 0;
    return this.#tx('expire segments', async (c) => {
      await lockTenants(c, [tenant], 'shared');
      const victims = (await c.query('SELECT session_id, window_id, seq FROM segments WHERE tenant = $1 AND received_at < $2 LIMIT $3', [tenant, cutoffMs, limit])).rows as DbRow[];
      if (victims.length === 0) return 0;
      const ids = [...new Set(victims.map((v) => String(v.session_id)))].sort();
      const current = new Map<string, DbRow>();
      for (const r of (await c.query(
        'SELECT session_id, first_seen, last_seen, trimmed_first_seen FROM sessions WHERE tenant = $1 AND session_id = ANY($2::text[]) ORDER BY session_id FOR UPDATE',
        [tenant, ids],
      )).rows as DbRow[]) current.set(String(r.session_id), r);
      const gone = (await c.query(
        `DELETE FROM segments s USING unnest($2::text[], $3::text[], $4::bigint[]) AS v(session_id, window_id, seq)
         WHERE s.tenant = $1 AND s.session_id = v.session_id AND s.window_id = v.window_id AND s.seq = v.seq AND s.received_at < $5
         RETURNING s.session_id, s.byte_length`,
        [tenant, column(victims, (v) => String(v.session_id)), column(victims, (v) => String(v.window_id)), column(victims, (v) => Number(v.seq)), cutoffMs],
      )).rows as DbRow[];
      const removedBytes = new Map<string, number>();
      for (const g of gone) removedBytes.set(String(g.session_id), (removedBytes.get(String(g.session_id)) ?? 0) + Number(g.byte_length));
      const live = [...removedBytes.keys()].filter((id) => current.has(id)).sort();
      if (live.length > 0) {
        const remaining = new Map<string, DbRow>();
        for (const r of (await c.query(
          `SELECT session_id, ${REMAINING_SEGMENTS_SQL} FROM segments WHERE tenant = $1 AND session_id = ANY($2::text[]) GROUP BY session_id`,
          [tenant, live],
        )).rows as DbRow[]) remaining.set(String(r.session_id), r);
        for (const id of live) {
          const n = trimmedCounters(trimmedSessionFromDb(current.get(id)!), remaining.get(id), removedBytes.get(id)!, cutoffMs);
          await c.query(TRIM_SESSION_SQL, [tenant, id, n.segments, n.replayBytes, n.firstSeen, n.trimmedBytes, n.trimmedFirstSeen]);
        }
      }
      return gone.length;
    });
  }

  async expireDeletedSessions(tenant: string, cutoffMs: number): Promise<number> {
    checkExpiry(cutoffMs, 1);
    if (!isStorableKey(tenant)) return 0;
    const rows = await this.#query(
      'forget deleted sessions',
      'WITH gone AS (DELETE FROM deleted_sessions WHERE tenant = $1 AND deleted_at < $2 RETURNING 1) SELECT count(*) AS removed FROM gone',
      [tenant, cutoffMs],
    );
    return Number(rows[0]?.removed ?? 0);
  }

  async runExclusive<T>(name: string, job: () => Promise<T>): Promise<{ ran: true; result: T } | { ran: false }> {
    if (this.#closed) throw this.#wrap(new Error('closed'), `run ${name}`);
    let client: PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (err) {
      throw this.#wrap(err, `run ${name}`);
    }
    const onError = (): void => {};
    client.on('error', onError);
    // A session-level lock on its own connection: if this process dies, the server ends
    // the session and the lock with it, so a crashed receiver never blocks the others.
    const key = lockKey(`job:${name}`);
    let broken: Error | undefined;
    try {
      const got = await client.query('SELECT pg_try_advisory_lock($1, $2) AS ok', [JOB_LOCK_NAMESPACE, key]);
      if (!got.rows[0]?.ok) return { ran: false };
      try {
        return { ran: true, result: await job() };
      } finally {
        await client.query('SELECT pg_advisory_unlock($1, $2)', [JOB_LOCK_NAMESPACE, key]).catch((err: Error) => {
          broken = err;
        });
      }
    } catch (err) {
      if (isUnavailable(err)) broken = err as Error;
      throw this.#wrap(err, `run ${name}`);
    } finally {
      client.off('error', onError);
      // A connection whose unlock failed is closed, which releases the lock server-side.
      client.release(broken ?? false);
    }
  }

  async ping(): Promise<void> {
    await this.#query('ping', 'SELECT 1');
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }
}
