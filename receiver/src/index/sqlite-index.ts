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
import type { PendingLegacyChunk, SessionActivity, SessionIndex, SessionPage, SessionQuery, SessionSummary } from './session-index.ts';
import { CREATE_MIGRATIONS_TABLE, LEGACY_COLUMNS, LEGACY_WRITE_COLUMNS, SEGMENT_COLUMNS, SESSION_COLUMNS, SESSION_WRITE_COLUMNS, pendingMigrations } from './schema.ts';
import {
  checkActivity, checkLegacyChunk, checkLegacyCutoff, checkSegmentRow, isStorableKey, legacyFromDb, legacyToParams, mergeActivity,
  segmentActivity, segmentFromDb, segmentToParams, sessionFromDb, sessionRecordFromDb, sessionToParams,
} from './rows.ts';
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
      const flags = rows.map((r) => Number(insert.run(...segmentToParams(r)).changes) === 1);
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

