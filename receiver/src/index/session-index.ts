// The session index: which sessions exist, what happened in them, and where every
// stored segment's bytes are. One interface, two engines chosen by configuration:
// SQLite (embedded default) and PostgreSQL (several receivers behind a load balancer).

import type { LegacyChunk, SegmentIndexRow, SessionSummary, SessionTruncatedReason } from '@otel-replay/protocol';

export type { SessionSummary };

/**
 * What one request taught us about one session, already summed by the ingest pipeline.
 * Counters are deltas to add; strings are "latest known" values (null = unknown, keep
 * what the index has); timestamps widen first/last seen.
 */
/**
 * What one request taught us about one session, already summed by the ingest pipeline:
 * the summary's fields as a delta. Counters are added; strings are "latest known" values
 * (null = unknown, keep what the index has); firstSeen/lastSeen widen the session's span;
 * entryUrl becomes the entry URL if the session has none; urls join a bounded distinct
 * list. `segments` and `replayBytes` stay 0 here: insertSegments counts them with the rows.
 */
export interface SessionActivity extends Omit<SessionSummary, 'durationMs' | 'hasReplay'> {}


export type SessionSortField = 'firstSeen' | 'lastSeen' | 'duration' | 'errors' | 'pageViews' | 'clicks';

export interface SessionQuery {
  tenant: string;
  /** Sessions overlapping [from, to] (epoch ms). */
  from?: number;
  to?: number;
  service?: string;
  userId?: string;
  /** Substring of any visited URL. */
  url?: string;
  minDurationMs?: number;
  maxDurationMs?: number;
  hasErrors?: boolean;
  hasRageClicks?: boolean;
  hasReplay?: boolean;
  /** Substring of the browser name. */
  browser?: string;
  /** Case-insensitive substring of session id, user id, service, URLs or user agent. */
  text?: string;
  sort?: SessionSortField;
  order?: 'asc' | 'desc';
  /** 1..500 */
  limit: number;
  offset: number;
}

export interface SessionPage {
  sessions: SessionSummary[];
  /** Total matching the filters (for pagination). */
  total: number;
}

/**
 * A legacy rrweb-era chunk parked until the other chunks of its event arrive. Legacy
 * counters restart on every page load, so chunks are keyed by window (page load) too.
 */
export interface PendingLegacyChunk extends LegacyChunk {
  tenant: string;
}

export interface SessionIndex {
  /** Creates or upgrades the schema (idempotent; safe with several receivers starting). */
  migrate(): Promise<void>;
  /**
   * Inserts segment rows in one transaction. Returns, for each row, true if inserted
   * and false if a row with the same (tenant, session, window, seq) already existed
   * (or came earlier in the same call).
   * In the same transaction, each newly inserted row is counted in its session: segments
   * +1, replayBytes + length, firstSeen/lastSeen widened to the row's timestamps (see
   * rows.segmentActivity), the sessions row created if missing. Duplicates add nothing.
   * So a stored segment is always counted exactly once, even if the caller dies or its
   * later applyActivity fails and the request is retried.
   * Resolves only once the transaction is durable.
   */
  insertSegments(rows: SegmentIndexRow[]): Promise<boolean[]>;
  /** Which of these (session, window, seq) keys are already stored (cheap pre-check). */
  existingSegments(tenant: string, keys: { sessionId: string; windowId: string; seq: number }[]): Promise<Set<string>>;
  /** Adds activity deltas (upserting sessions) in one transaction. */
  applyActivity(deltas: SessionActivity[]): Promise<void>;
  searchSessions(query: SessionQuery): Promise<SessionPage>;
  getSession(tenant: string, sessionId: string): Promise<SessionSummary | null>;
  /** A session's segment rows ordered by (window, seq); optionally one window only. */
  listSegments(tenant: string, sessionId: string, windowId?: string): Promise<SegmentIndexRow[]>;
  /** Parks a legacy chunk (idempotent on tenant, session, window, event, chunk). */
  putLegacyChunk(chunk: PendingLegacyChunk): Promise<void>;
  /** All parked chunks of one legacy event, ordered by chunk. */
  legacyChunks(tenant: string, sessionId: string, windowId: string, eventNumber: number): Promise<PendingLegacyChunk[]>;
  deleteLegacyChunks(tenant: string, sessionId: string, windowId: string, eventNumber: number): Promise<void>;
  /**
   * Drops chunks parked before `cutoffMs` (epoch ms, the receiver's clock when each chunk
   * was first parked): the rest of their event never arrived. Returns rows removed.
   */
  deleteLegacyChunksOlderThan(cutoffMs: number): Promise<number>;
  /**
   * What the per-session caps need to know before segments are stored: for each of these
   * sessions that exists or was deleted, its first-seen time, stored replay bytes, whether
   * it was already cut, and whether it was deleted. Unknown sessions are absent.
   */
  sessionStates(tenant: string, sessionIds: string[]): Promise<Map<string, SessionState>>;
  /**
   * Records that a cap cut these sessions (creating the row if missing). The first cut
   * wins: a session already marked keeps its time and reason. Deleted sessions are skipped.
   */
  markTruncated(cuts: SessionCut[]): Promise<void>;
  /**
   * Deletes sessions at once, in one transaction: their session rows, segment rows and
   * parked legacy chunks go, and each id is remembered as deleted (deletedAt, epoch ms) so
   * that nothing arriving later for it is stored or counted. Returns the ids that existed.
   */
  deleteSessions(tenant: string, sessionIds: string[], deletedAt: number): Promise<string[]>;
  /** deleteSessions for every session whose user id is exactly `userId`, in one transaction. */
  deleteUserSessions(tenant: string, userId: string, deletedAt: number): Promise<string[]>;
  /** Every tenant that has a session row (retention visits them). */
  listTenants(): Promise<string[]>;
  /**
   * Retention: removes up to `limit` sessions of `tenant` whose lastSeen is before
   * `cutoffMs`, with their segment rows and parked chunks. Returns sessions removed.
   */
  expireSessions(tenant: string, cutoffMs: number, limit: number): Promise<number>;
  /**
   * Retention: removes up to `limit` segment rows of `tenant` received before `cutoffMs`
   * (their objects are about to be deleted), whatever their session. Returns rows removed.
   */
  expireSegments(tenant: string, cutoffMs: number, limit: number): Promise<number>;
  /** Retention: forgets deleted-session ids of `tenant` deleted before `cutoffMs`. */
  expireDeletedSessions(tenant: string, cutoffMs: number): Promise<number>;
  /**
   * Runs `job` unless another receiver sharing this index is running a job of the same
   * name (PostgreSQL: a session advisory lock; SQLite has one receiver per file, so an
   * in-process flag). Resolves { ran: false } without waiting when someone else has it.
   */
  runExclusive<T>(name: string, job: () => Promise<T>): Promise<{ ran: true; result: T } | { ran: false }>;
  /** Resolves when the database answers (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** What the per-session caps read about a session before its new segments are stored. */
export interface SessionState {
  firstSeen: number;
  replayBytes: number;
  truncatedAt: number | null;
  /** The session was deleted: drop whatever still arrives for it. */
  deleted: boolean;
}

/** A per-session cap cutting a session (see SessionIndex.markTruncated). */
export interface SessionCut {
  tenant: string;
  sessionId: string;
  /** Recording time (epoch ms) of the first segment not stored. */
  at: number;
  reason: SessionTruncatedReason;
}

/** The key used in `existingSegments` results. */
export function segmentKey(sessionId: string, windowId: string, seq: number): string {
  return `${sessionId}\u0000${windowId}\u0000${seq}`;
}

/** The database could not be reached: callers answer 503 + Retry-After. */
export class IndexUnavailableError extends Error {
  override readonly name = 'IndexUnavailableError';
}
