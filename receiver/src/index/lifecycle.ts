// The end of a session's life in the index, shared by both engines: the SQL for marking
// a session cut by a cap and for finding tenants, the input checks for cuts, deletions
// and retention sweeps, the row shape the caps read, and how a live session's counters
// are recounted after retention trimmed its oldest segment rows. Written once so SQLite
// and PostgreSQL cannot disagree on what "first cut wins" or "older than" mean.

import type { SessionTruncatedReason } from '@otel-replay/protocol';
import { InvalidIndexInputError, MAX_CLOCK_AHEAD_MS, MAX_STORED_CHARS } from './rows.ts';
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

/** The sessions columns the caps read (SESSION_STATE_COLUMNS, unqualified). */
export const SESSION_STATE_COLUMNS = ['first_seen', 'replay_bytes', 'truncated_at', 'trimmed_bytes', 'trimmed_first_seen'] as const;

/**
 * What the caps judge a session by: its whole recording, so a session retention has
 * trimmed counts the bytes it lost and starts where it started before the first trim.
 * A cap is about what one session may cost over its life; if a trim gave budget back, a
 * session that never ends could record forever, and where it is cut would depend on
 * when the retention job happened to run.
 */
export function sessionStateFromDb(r: DbRow): SessionState {
  const firstSeen = Number(r.first_seen);
  return {
    firstSeen: r.trimmed_first_seen == null ? firstSeen : Math.min(firstSeen, Number(r.trimmed_first_seen)),
    replayBytes: Number(r.replay_bytes) + Number(r.trimmed_bytes ?? 0),
    truncatedAt: r.truncated_at == null ? null : Number(r.truncated_at),
    deleted: false,
  };
}

/**
 * What a session's remaining segment rows add up to, as SELECT expressions over
 * `segments`: the count, the bytes and the earliest moment, read with the same clock rule
 * as rows.segmentActivity (0 or more than a day past receipt counts as receipt time).
 */
export const REMAINING_SEGMENTS_SQL = `COUNT(*) AS segments, COALESCE(SUM(byte_length), 0) AS replay_bytes,
  MIN(CASE WHEN first_ts > 0 AND first_ts < received_at + ${MAX_CLOCK_AHEAD_MS} THEN first_ts ELSE received_at END) AS earliest_first,
  MIN(CASE WHEN last_ts > 0 AND last_ts < received_at + ${MAX_CLOCK_AHEAD_MS} THEN last_ts ELSE received_at END) AS earliest_last`;

/** A session as a trim finds it (its row, read under the writer's lock). */
export interface TrimmedSessionRow {
  firstSeen: number;
  lastSeen: number;
  trimmedFirstSeen: number | null;
}

/** The new counters of a trimmed session ($3..$7 of TRIM_SESSION_SQL). */
export interface TrimmedCounters {
  segments: number;
  replayBytes: number;
  firstSeen: number;
  /** Bytes this trim removed (added to trimmed_bytes). */
  trimmedBytes: number;
  trimmedFirstSeen: number;
}

/**
 * A live session after retention removed some of its segment rows (received before
 * `cutoffMs`): segments and replay bytes are what the remaining rows hold, and the
 * session now starts where its remaining recording starts — or, with no row left, at the
 * cutoff (nothing received before it is kept) — never before its old start and never
 * after its last activity. lastSeen stays: trims remove the oldest rows only. Counters
 * from events and spans (page views, clicks, errors, spans) stay totals over the
 * session's life: they are not kept per event, so nothing can be recounted.
 */
export function trimmedCounters(row: TrimmedSessionRow, remaining: DbRow | undefined, removedBytes: number, cutoffMs: number): TrimmedCounters {
  const segments = remaining ? Number(remaining.segments) : 0;
  const earliest = segments > 0 ? Math.min(Number(remaining!.earliest_first), Number(remaining!.earliest_last)) : cutoffMs;
  return {
    segments,
    replayBytes: segments > 0 ? Number(remaining!.replay_bytes) : 0,
    firstSeen: Math.min(row.lastSeen, Math.max(row.firstSeen, earliest)),
    trimmedBytes: removedBytes,
    trimmedFirstSeen: row.trimmedFirstSeen ?? row.firstSeen,
  };
}

/** Writes TrimmedCounters ($1 tenant, $2 session, $3..$7 in TrimmedCounters order). */
export const TRIM_SESSION_SQL = `UPDATE sessions SET segments = $3, replay_bytes = $4, first_seen = $5,
  trimmed_bytes = trimmed_bytes + $6, trimmed_first_seen = $7 WHERE tenant = $1 AND session_id = $2`;

export function trimmedSessionFromDb(r: DbRow): TrimmedSessionRow {
  return { firstSeen: Number(r.first_seen), lastSeen: Number(r.last_seen), trimmedFirstSeen: r.trimmed_first_seen == null ? null : Number(r.trimmed_first_seen) };
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
