// The embedded session index: one SQLite file through Node's built-in node:sqlite.
// WAL with synchronous=FULL so a committed transaction survives power loss
// (acknowledged means durable); calls are synchronous underneath, which is fine because
// each one is a few microseconds of local work and no two can interleave in one process.

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { StatementSync } from 'node:sqlite';
import type { SegmentIndexRow } from '@otel-replay/protocol';
import { IndexUnavailableError, segmentKey } from './session-index.ts';
import type { PendingLegacyChunk, SessionActivity, SessionCut, SessionIndex, SessionPage, SessionQuery, SessionState, SessionSummary } from './session-index.ts';
import { CREATE_MIGRATIONS_TABLE, LEGACY_COLUMNS, LEGACY_WRITE_COLUMNS, SEGMENT_COLUMNS, SESSION_COLUMNS, SESSION_WRITE_COLUMNS, pendingMigrations } from './schema.ts';
import {
  checkActivity, checkLegacyChunk, checkLegacyCutoff, checkSegmentRow, cleanText, isStorableKey, legacyFromDb, legacyToParams, mergeActivity,
  segmentActivity, segmentFromDb, segmentToParams, sessionFromDb, sessionRecordFromDb, sessionToParams,
} from './rows.ts';
import {
  MARK_TRUNCATED_SQL, REMAINING_SEGMENTS_SQL, SESSION_STATE_COLUMNS, TRIM_SESSION_SQL, checkCut, checkDeletion, checkExpiry, listTenantsSql, sessionStateFromDb,
  trimmedCounters, trimmedSessionFromDb,
} from './lifecycle.ts';
import type { DbRow, SessionRecord } from './rows.ts';
import { buildSessionSearch } from './search.ts';

export interface SqliteIndexOptions {
  /** File path, or ':memory:' for a throwaway index. */
  path: string;
  /** How long a writer waits for another process's lock before giving up (ms). */
  busyTimeoutMs?: number;
  /** The clock parked legacy chunks are stamped with (epoch ms); tests pin it. */
  now?: () => number;
}

// SQLite result codes (primary code = extended code & 0xff) that mean "try again later"
// or "the disk needs an operator" rather than "this request is wrong".
const UNAVAILABLE_CODES = new Set([5 /* BUSY */, 6 /* LOCKED */, 10 /* IOERR */, 13 /* FULL */, 14 /* CANTOPEN */]);
const MAX_CACHED_SEARCHES = 256;

export class SqliteIndex implements SessionIndex {
  readonly #file: string;
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  readonly #now: () => number;
  #closed = false;

  constructor(options: SqliteIndexOptions) {
    this.#file = options.path;
    this.#now = options.now ?? Date.now;
    if (options.path !== ':memory:') mkdirSync(path.dirname(path.resolve(options.path)), { recursive: true });
    try {
      this.#db = new DatabaseSync(options.path);
      this.#db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
      this.#db.exec('PRAGMA journal_mode = WAL');
      this.#db.exec('PRAGMA synchronous = FULL');
    } catch (err) {
      throw this.#wrap(err, 'open');
    }
  }

  /** Prepared once per SQL text and reused; search shapes are bounded by the whitelist. */
  #stmt(sql: string): StatementSync {
    let s = this.#statements.get(sql);
    if (!s) {
      if (this.#statements.size >= MAX_CACHED_SEARCHES * 2) this.#statements.clear();
      s = this.#db.prepare(sql);
      this.#statements.set(sql, s);
    }
    return s;
  }

  #wrap(err: unknown, action: string): Error {
    const e = err as { errcode?: number; message?: string };
    if (typeof e?.errcode === 'number' && UNAVAILABLE_CODES.has(e.errcode & 0xff)) {
      return new IndexUnavailableError(`SQLite index ${this.#file}: ${action} failed (${e.message}); retry later, and check the disk if it persists`, { cause: err });
    }
    return err instanceof Error ? err : new Error(String(err));
  }

  /** Runs `fn` as one write transaction; IMMEDIATE takes the writer lock up front. */
  #write<T>(action: string, fn: () => T): T {
    if (this.#closed) throw new IndexUnavailableError(`SQLite index ${this.#file} is closed; ${action} refused`);
    try {
      this.#db.exec('BEGIN IMMEDIATE');
    } catch (err) {
      throw this.#wrap(err, action);
    }
    try {
      const result = fn();
      this.#db.exec('COMMIT');
      return result;
    } catch (err) {
      try {
        this.#db.exec('ROLLBACK');
      } catch {
        // The transaction was already rolled back by SQLite itself.
      }
      throw this.#wrap(err, action);
    }
  }

  #read<T>(action: string, fn: () => T): T {
    if (this.#closed) throw new IndexUnavailableError(`SQLite index ${this.#file} is closed; ${action} refused`);
    try {
      return fn();
    } catch (err) {
      throw this.#wrap(err, action);
    }
  }

  async migrate(): Promise<void> {
    this.#write('migrate', () => {
      this.#db.exec(CREATE_MIGRATIONS_TABLE);
      const applied = (this.#db.prepare('SELECT version FROM schema_migrations').all() as DbRow[]).map((r) => Number(r.version));
      for (const m of pendingMigrations(applied)) {
        for (const sql of m.statements) this.#db.exec(sql);
        this.#db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
      }
    });
    this.#statements.clear();
  }

  async insertSegments(rows: SegmentIndexRow[]): Promise<boolean[]> {
    for (const r of rows) checkSegmentRow(r);
    if (rows.length === 0) return [];
    return this.#write('insert segments', () => {
      const insert = this.#stmt(`INSERT INTO segments (${SEGMENT_COLUMNS}) VALUES (${'?, '.repeat(12)}?) ON CONFLICT DO NOTHING`);
      // A session deleted while its segments were on their way stays deleted.
      const deleted = new Map<string, boolean>();
      const isDeleted = (r: SegmentIndexRow): boolean => {
        const k = `${r.tenant}\u0000${r.sessionId}`;
        let d = deleted.get(k);
        if (d === undefined) deleted.set(k, (d = this.#isDeleted(r.tenant, r.sessionId)));
        return d;
      };
      const flags = rows.map((r) => !isDeleted(r) && Number(insert.run(...segmentToParams(r)).changes) === 1);
      // Counted in the rows' own transaction: a segment stored is a segment counted.
      this.#mergeActivity(segmentActivity(rows.filter((_, i) => flags[i])));
      return flags;
    });
  }

  async existingSegments(tenant: string, keys: { sessionId: string; windowId: string; seq: number }[]): Promise<Set<string>> {
    return this.#read('look up segments', () => {
      const found = new Set<string>();
      const lookup = this.#stmt('SELECT 1 AS hit FROM segments WHERE tenant = ? AND session_id = ? AND window_id = ? AND seq = ?');
      for (const k of keys) {
        if (lookup.get(tenant, k.sessionId, k.windowId, k.seq)) found.add(segmentKey(k.sessionId, k.windowId, k.seq));
      }
      return found;
    });
  }

  async applyActivity(deltas: SessionActivity[]): Promise<void> {
    for (const d of deltas) checkActivity(d);
    if (deltas.length === 0) return;
    this.#write('apply session activity', () => this.#mergeActivity(deltas));
  }

  /** Folds checked deltas into their sessions; runs inside a caller's #write transaction. */
  #mergeActivity(deltas: SessionActivity[]): void {
    const select = this.#stmt(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE tenant = ? AND session_id = ?`);
    const upsert = this.#stmt(upsertSessionSql());
    for (const d of deltas) {
      const row = select.get(d.tenant, d.sessionId) as DbRow | undefined;
      // Activity of a deleted session (a late span, a retried request) must not recreate it.
      if (!row && this.#isDeleted(d.tenant, d.sessionId)) continue;
      const existing: SessionRecord | null = row ? sessionRecordFromDb(row) : null;
      upsert.run(...sessionToParams(mergeActivity(existing, d)));
    }
  }

  async searchSessions(query: SessionQuery): Promise<SessionPage> {
    const built = buildSessionSearch(query, 'sqlite');
    return this.#read('search sessions', () => {
      const totalRow = this.#stmt(built.count.sql).get(...built.count.params) as DbRow;
      const rows = this.#stmt(built.page.sql).all(...built.page.params) as DbRow[];
      return { sessions: rows.map(sessionFromDb), total: Number(totalRow.total) };
    });
  }

  async getSession(tenant: string, sessionId: string): Promise<SessionSummary | null> {
    return this.#read('read session', () => {
      const row = this.#stmt(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE tenant = ? AND session_id = ?`).get(tenant, sessionId) as DbRow | undefined;
      return row ? sessionFromDb(row) : null;
    });
  }

  async listSegments(tenant: string, sessionId: string, windowId?: string): Promise<SegmentIndexRow[]> {
    return this.#read('list segments', () => {
      const rows = windowId === undefined
        ? this.#stmt(`SELECT ${SEGMENT_COLUMNS} FROM segments WHERE tenant = ? AND session_id = ? ORDER BY window_id, seq`).all(tenant, sessionId)
        : this.#stmt(`SELECT ${SEGMENT_COLUMNS} FROM segments WHERE tenant = ? AND session_id = ? AND window_id = ? ORDER BY seq`).all(tenant, sessionId, windowId);
      return (rows as DbRow[]).map(segmentFromDb);
    });
  }

  async putLegacyChunk(chunk: PendingLegacyChunk): Promise<void> {
    checkLegacyChunk(chunk);
    this.#write('park legacy chunk', () => {
      // A retry keeps the first copy, parked_at included, so its age keeps counting.
      this.#stmt(`INSERT INTO legacy_chunks (${LEGACY_WRITE_COLUMNS}) VALUES (${'?, '.repeat(9)}?) ON CONFLICT DO NOTHING`)
        .run(...legacyToParams(chunk, this.#now()));
    });
  }

  async legacyChunks(tenant: string, sessionId: string, windowId: string, eventNumber: number): Promise<PendingLegacyChunk[]> {
    if (!isStorableKey(sessionId) || !isStorableKey(windowId) || !Number.isSafeInteger(eventNumber)) return [];
    return this.#read('read legacy chunks', () => {
      const rows = this.#stmt(`SELECT ${LEGACY_COLUMNS} FROM legacy_chunks WHERE tenant = ? AND session_id = ? AND window_id = ? AND event_number = ? ORDER BY chunk`)
        .all(tenant, sessionId, windowId, eventNumber) as DbRow[];
      return rows.map(legacyFromDb);
    });
  }

  async deleteLegacyChunks(tenant: string, sessionId: string, windowId: string, eventNumber: number): Promise<void> {
    if (!Number.isSafeInteger(eventNumber)) return;
    this.#write('delete legacy chunks', () => {
      this.#stmt('DELETE FROM legacy_chunks WHERE tenant = ? AND session_id = ? AND window_id = ? AND event_number = ?').run(tenant, sessionId, windowId, eventNumber);
    });
  }

  async deleteLegacyChunksOlderThan(cutoffMs: number): Promise<number> {
    checkLegacyCutoff(cutoffMs);
    return this.#write('sweep stale legacy chunks', () =>
      Number(this.#stmt('DELETE FROM legacy_chunks WHERE parked_at < ?').run(cutoffMs).changes));
  }

  #isDeleted(tenant: string, sessionId: string): boolean {
    return this.#stmt('SELECT 1 AS hit FROM deleted_sessions WHERE tenant = ? AND session_id = ?').get(tenant, sessionId) !== undefined;
  }

  async sessionStates(tenant: string, sessionIds: string[]): Promise<Map<string, SessionState>> {
    return this.#read('read session states', () => {
      const out = new Map<string, SessionState>();
      const select = this.#stmt(`SELECT ${SESSION_STATE_COLUMNS.join(', ')} FROM sessions WHERE tenant = ? AND session_id = ?`);
      for (const id of new Set(sessionIds)) {
        if (!isStorableKey(id)) continue;
        if (this.#isDeleted(tenant, id)) {
          out.set(id, { firstSeen: 0, replayBytes: 0, truncatedAt: null, deleted: true });
          continue;
        }
        const row = select.get(tenant, id) as DbRow | undefined;
        if (row) out.set(id, sessionStateFromDb(row));
      }
      return out;
    });
  }

  async markTruncated(cuts: SessionCut[]): Promise<void> {
    for (const c of cuts) checkCut(c);
    if (cuts.length === 0) return;
    this.#write('mark sessions truncated', () => {
      const upsert = this.#stmt(MARK_TRUNCATED_SQL.replace(/\$\d/g, '?'));
      for (const c of cuts) if (!this.#isDeleted(c.tenant, c.sessionId)) upsert.run(c.tenant, c.sessionId, c.at, c.at, c.at, c.reason);
    });
  }

  /** Removes the rows of these sessions; runs inside a caller's #write transaction. */
  #removeSessions(tenant: string, sessionIds: string[]): void {
    for (const table of ['segments', 'legacy_chunks', 'sessions']) {
      const del = this.#stmt(`DELETE FROM ${table} WHERE tenant = ? AND session_id = ?`);
      for (const id of sessionIds) del.run(tenant, id);
    }
  }

  #deleteExisting(tenant: string, sessionIds: string[], deletedAt: number): string[] {
    const exists = this.#stmt('SELECT 1 AS hit FROM sessions WHERE tenant = ? AND session_id = ?');
    const found = [...new Set(sessionIds)].filter((id) => isStorableKey(id) && exists.get(tenant, id) !== undefined);
    this.#removeSessions(tenant, found);
    const remember = this.#stmt('INSERT INTO deleted_sessions (tenant, session_id, deleted_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
    for (const id of found) remember.run(tenant, id, deletedAt);
    return found;
  }

  async deleteSessions(tenant: string, sessionIds: string[], deletedAt: number): Promise<string[]> {
    checkDeletion(tenant, deletedAt);
    if (sessionIds.length === 0) return [];
    return this.#write('delete sessions', () => this.#deleteExisting(tenant, sessionIds, deletedAt));
  }

  async deleteUserSessions(tenant: string, userId: string, deletedAt: number): Promise<string[]> {
    checkDeletion(tenant, deletedAt);
    const stored = cleanText(userId);
    if (stored === null) return [];
    return this.#write('delete sessions of a user', () => {
      const ids = (this.#stmt('SELECT session_id FROM sessions WHERE tenant = ? AND user_id = ?').all(tenant, stored) as DbRow[]).map((r) => String(r.session_id));
      return this.#deleteExisting(tenant, ids, deletedAt);
    });
  }

  async listTenants(): Promise<string[]> {
    return this.#read('list tenants', () => {
      const all = new Set<string>();
      for (const table of ['sessions', 'deleted_sessions'] as const) for (const r of this.#stmt(listTenantsSql(table)).all() as DbRow[]) all.add(String(r.tenant));
      return [...all].sort();
    });
  }

  async expireSessions(tenant: string, cutoffMs: number, limit: number): Promise<number> {
    checkExpiry(cutoffMs, limit);
    return this.#write('expire sessions', () => {
      const ids = (this.#stmt('SELECT session_id FROM sessions WHERE tenant = ? AND last_seen < ? LIMIT ?').all(tenant, cutoffMs, limit) as DbRow[]).map((r) => String(r.session_id));
      this.#removeSessions(tenant, ids);
      return ids.length;
    });
  }

  async expireSegments(tenant: string, cutoffMs: number, limit: number): Promise<number> {
    checkExpiry(cutoffMs, limit);
    return this.#write('expire segments', () => {
      const victims = this.#stmt('SELECT session_id, window_id, seq, byte_length FROM segments WHERE tenant = ? AND received_at < ? LIMIT ?')
        .all(tenant, cutoffMs, limit) as DbRow[];
      const del = this.#stmt('DELETE FROM segments WHERE tenant = ? AND session_id = ? AND window_id = ? AND seq = ?');
      const removedBytes = new Map<string, number>();
      for (const v of victims) {
        del.run(tenant, v.session_id as string, v.window_id as string, v.seq as number);
        const id = String(v.session_id);
        removedBytes.set(id, (removedBytes.get(id) ?? 0) + Number(v.byte_length));
      }
      // A session still receiving data keeps counters that match its remaining rows.
      const current = this.#stmt('SELECT first_seen, last_seen, trimmed_first_seen FROM sessions WHERE tenant = ? AND session_id = ?');
      const remaining = this.#stmt(`SELECT ${REMAINING_SEGMENTS_SQL} FROM segments WHERE tenant = ? AND session_id = ?`);
      const update = this.#stmt(TRIM_SESSION_SQL.replace(/\$(\d)/g, '?$1'));
      for (const [id, bytes] of removedBytes) {
        const row = current.get(tenant, id) as DbRow | undefined;
        if (!row) continue;
        const c = trimmedCounters(trimmedSessionFromDb(row), remaining.get(tenant, id) as DbRow | undefined, bytes, cutoffMs);
        update.run(tenant, id, c.segments, c.replayBytes, c.firstSeen, c.trimmedBytes, c.trimmedFirstSeen);
      }
      return victims.length;
    });
  }

  async expireDeletedSessions(tenant: string, cutoffMs: number): Promise<number> {
    checkExpiry(cutoffMs, 1);
    return this.#write('forget deleted sessions', () => Number(this.#stmt('DELETE FROM deleted_sessions WHERE tenant = ? AND deleted_at < ?').run(tenant, cutoffMs).changes));
  }

  readonly #running = new Set<string>();

  async runExclusive<T>(name: string, job: () => Promise<T>): Promise<{ ran: true; result: T } | { ran: false }> {
    // One receiver per SQLite file: only this process can be running the job.
    if (this.#running.has(name)) return { ran: false };
    this.#running.add(name);
    try {
      return { ran: true, result: await job() };
    } finally {
      this.#running.delete(name);
    }
  }

  async ping(): Promise<void> {
    this.#read('ping', () => this.#stmt('SELECT 1 AS ok').get());
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#statements.clear();
    this.#db.close();
  }
}

/** One full-row upsert: the merged row was computed from the row read under the lock. */
export function upsertSessionSql(): string {
  const cols = SESSION_WRITE_COLUMNS.join(', ');
  const marks = SESSION_WRITE_COLUMNS.map(() => '?').join(', ');
  const set = SESSION_WRITE_COLUMNS.slice(2).map((c) => `${c} = excluded.${c}`).join(', ');
  return `INSERT INTO sessions (${cols}) VALUES (${marks}) ON CONFLICT (tenant, session_id) DO UPDATE SET ${set}`;
}

