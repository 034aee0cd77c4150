// The end of a session's life in the index, shared by both engines: the SQL for marking
// a session cut by a cap and for finding tenants, the input checks for cuts, deletions
// and retention sweeps, and the row shape the caps read. Written once so SQLite and
// PostgreSQL cannot disagree on what "first cut wins" or "older than" mean.

import type { SessionTruncatedReason } from '@otel-replay/protocol';
import { InvalidIndexInputError, MAX_STORED_CHARS } from './rows.ts';
import type { DbRow } from './rows.ts';
import type { SessionCut, SessionState } from './session-index.ts';

export const TRUNCATED_REASONS: ReadonlySet<SessionTruncatedReason> = new Set(['max-duration', 'max-bytes']);

/** Most rows one retention statement removes, so no sweep holds the writer lock for long. */
export const MAX_EXPIRY_BATCH = 10_000;

/**
 * Marks a session cut ($1 tenant, $2 session, $3/$4 first/last seen for a new row, $5 at,
 * $6 reason). The first cut wins: a later one never moves the time or changes the reason.
 */
export const MARK_TRUNCATED_SQL = `INSERT INTO sessions (tenant, session_id, first_seen, last_seen, truncated_at, truncated_reason)
  VALUES ($1, $2, $3, $4, $5, $6)
  ON CONFLICT (tenant, session_id) DO UPDATE SET
    truncated_at = COALESCE(sessions.truncated_at, excluded.truncated_at),
    truncated_reason = COALESCE(sessions.truncated_reason, excluded.truncated_reason)`;

/**
 * Distinct tenants of a table whose primary key starts with tenant, one index probe per
 * tenant (a loose index scan), in both engines: no full scan however many rows there are.
 */
export function listTenantsSql(table: 'sessions' | 'deleted_sessions'): string {
  return `WITH RECURSIVE t(tenant) AS (
    SELECT MIN(tenant) FROM ${table}
    UNION ALL
    SELECT (SELECT MIN(x.tenant) FROM ${table} x WHERE x.tenant > t.tenant) FROM t WHERE t.tenant IS NOT NULL
  ) SELECT tenant FROM t WHERE tenant IS NOT NULL`;
}

export function sessionStateFromDb(r: DbRow): SessionState {
  return {
    firstSeen: Number(r.first_seen),
    replayBytes: Number(r.replay_bytes),
    truncatedAt: r.truncated_at == null ? null : Number(r.truncated_at),
    deleted: false,
  };
}

function checkKey(value: unknown, what: string, where: string): void {
  if (typeof value !== 'string' || value.length === 0 || value.includes('\u0000') || value.length > MAX_STORED_CHARS) {
    throw new InvalidIndexInputError(`${where}: ${what} must be a non-empty string without NUL of at most ${MAX_STORED_CHARS} characters; fix the caller`);
  }
}

function checkInstant(value: unknown, what: string, where: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidIndexInputError(`${where}: ${what} must be an epoch ms integer >= 0, got ${String(value)}; fix the caller`);
  }
}

export function checkCut(c: SessionCut): void {
  const where = `cut of session ${JSON.stringify(String(c?.sessionId).slice(0, 200))}`;
  checkKey(c.tenant, 'tenant', where);
  checkKey(c.sessionId, 'sessionId', where);
  checkInstant(c.at, 'at', where);
  if (!TRUNCATED_REASONS.has(c.reason)) throw new InvalidIndexInputError(`${where}: reason must be one of ${[...TRUNCATED_REASONS].join(', ')}, got ${JSON.stringify(c.reason)}; fix the caller`);
}

export function checkDeletion(tenant: string, deletedAt: number): void {
  checkKey(tenant, 'tenant', 'session deletion');
  checkInstant(deletedAt, 'deletedAt', 'session deletion');
}

export function checkExpiry(cutoffMs: number, limit: number): void {
  if (typeof cutoffMs !== 'number' || !Number.isSafeInteger(cutoffMs)) {
    throw new InvalidIndexInputError(`retention sweep: cutoffMs must be an integer epoch ms, got ${String(cutoffMs)}; fix the caller`);
  }
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_EXPIRY_BATCH) {
    throw new InvalidIndexInputError(`retention sweep: limit must be an integer 1..${MAX_EXPIRY_BATCH}, got ${String(limit)}; fix the caller`);
  }
}
