// The session index schema: one list of versioned migrations, written in the SQL subset
// that SQLite and PostgreSQL both accept (TEXT, BIGINT, INTEGER; booleans as 0/1), so
// both engines hold exactly the same tables. Each engine applies the missing versions
// in one transaction under its own writer lock and records them in schema_migrations.

export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

/** Creates the bookkeeping table; run (idempotently) before reading applied versions. */
export const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at BIGINT NOT NULL
)`;

/**
 * PostgreSQL advisory lock key held (per transaction) while migrating, so receivers
 * starting together do not race on CREATE TABLE. ASCII "otelrepl" as a 64-bit integer.
 */
export const MIGRATION_LOCK_KEY = '8031170208447164524';

/** Never edit a released migration: add a new version instead. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'sessions, segments, legacy chunks',
    statements: [
      // Counters are BIGINT: replay_bytes of a long session passes 2^31 quickly.
      // search_* are lower-cased copies built by the receiver (see rows.ts) so both
      // engines match case-insensitively the same way, Unicode included; SQLite's
      // own lower() folds ASCII only.
      `CREATE TABLE sessions (
        tenant TEXT NOT NULL,
        session_id TEXT NOT NULL,
        service TEXT,
        user_id TEXT,
        first_seen BIGINT NOT NULL,
        last_seen BIGINT NOT NULL,
        entry_url TEXT,
        urls TEXT NOT NULL DEFAULT '[]',
        browser TEXT,
        os TEXT,
        device TEXT,
        user_agent TEXT,
        page_views BIGINT NOT NULL DEFAULT 0,
        clicks BIGINT NOT NULL DEFAULT 0,
        errors BIGINT NOT NULL DEFAULT 0,
        rage_clicks BIGINT NOT NULL DEFAULT 0,
        dead_clicks BIGINT NOT NULL DEFAULT 0,
        network_failures BIGINT NOT NULL DEFAULT 0,
        console_errors BIGINT NOT NULL DEFAULT 0,
        spans BIGINT NOT NULL DEFAULT 0,
        segments BIGINT NOT NULL DEFAULT 0,
        replay_bytes BIGINT NOT NULL DEFAULT 0,
        search_text TEXT NOT NULL DEFAULT '',
        search_url TEXT NOT NULL DEFAULT '',
        search_browser TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (tenant, session_id)
      )`,
      `CREATE INDEX sessions_tenant_last_seen ON sessions (tenant, last_seen)`,
      `CREATE INDEX sessions_tenant_first_seen ON sessions (tenant, first_seen)`,
      `CREATE INDEX sessions_tenant_user ON sessions (tenant, user_id)`,
      `CREATE INDEX sessions_tenant_service ON sessions (tenant, service)`,
      `CREATE TABLE segments (
        tenant TEXT NOT NULL,
        session_id TEXT NOT NULL,
        window_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        first_ts BIGINT NOT NULL,
        last_ts BIGINT NOT NULL,
        event_count INTEGER NOT NULL,
        full_snapshot INTEGER NOT NULL,
        encoding TEXT NOT NULL,
        object_key TEXT NOT NULL,
        byte_offset BIGINT NOT NULL,
        byte_length BIGINT NOT NULL,
        received_at BIGINT NOT NULL,
        PRIMARY KEY (tenant, session_id, window_id, seq)
      )`,
      // Playback from a moment starts at the nearest full snapshot at or before it.
      `CREATE INDEX segments_full_snapshot ON segments (tenant, session_id, window_id, full_snapshot, first_ts)`,
      // Legacy event numbers restart on every page load, hence window_id in the key.
      // parked_at is the receiver's clock at first park: chunks of an event that never
      // completes are swept by age.
      `CREATE TABLE legacy_chunks (
        tenant TEXT NOT NULL,
        session_id TEXT NOT NULL,
        window_id TEXT NOT NULL,
        event_number BIGINT NOT NULL,
        chunk INTEGER NOT NULL,
        total_chunks INTEGER NOT NULL,
        log_offset BIGINT NOT NULL,
        ts BIGINT NOT NULL,
        body TEXT NOT NULL,
        parked_at BIGINT NOT NULL,
        PRIMARY KEY (tenant, session_id, window_id, event_number, chunk)
      )`,
      `CREATE INDEX legacy_chunks_parked_at ON legacy_chunks (parked_at)`,
    ],
  },
  {
    version: 2,
    name: 'session caps, deleted sessions, retention by receive time',
    statements: [
      // Set once, when a per-session cap first drops a segment (see ingest/session-caps.ts).
      `ALTER TABLE sessions ADD COLUMN truncated_at BIGINT`,
      `ALTER TABLE sessions ADD COLUMN truncated_reason TEXT`,
      // A deleted session's id: ingest drops anything still arriving for it, so a retry or
      // a tab still recording cannot bring the session back. Kept for the tenant's retention.
      `CREATE TABLE deleted_sessions (
        tenant TEXT NOT NULL,
        session_id TEXT NOT NULL,
        deleted_at BIGINT NOT NULL,
        PRIMARY KEY (tenant, session_id)
      )`,
      `CREATE INDEX deleted_sessions_tenant_deleted_at ON deleted_sessions (tenant, deleted_at)`,
      // Retention removes the rows of an object's day before the object itself.
      `CREATE INDEX segments_tenant_received_at ON segments (tenant, received_at)`,
    ],
  },
  {
    version: 3,
    name: 'what retention trimmed from live sessions',
    statements: [
      // When retention removes the oldest segment rows of a session that is still live,
      // its segments/replay_bytes/first_seen are recounted from the rows left. The caps
      // (ingest/session-caps.ts) still judge the session's whole recording: bytes removed
      // so far, and the first-seen time it had before the first trim (null = never trimmed).
      `ALTER TABLE sessions ADD COLUMN trimmed_bytes BIGINT NOT NULL DEFAULT 0`,
      `ALTER TABLE sessions ADD COLUMN trimmed_first_seen BIGINT`,
    ],
  },
];

/** The migrations not yet applied, in version order. */
export function pendingMigrations(applied: Iterable<number>): Migration[] {
  const done = new Set(applied);
  return MIGRATIONS.filter((m) => !done.has(m.version)).sort((a, b) => a.version - b.version);
}

/** The column list every sessions SELECT returns (never the internal search_* columns). */
export const SESSION_COLUMNS =
  'tenant, session_id, service, user_id, first_seen, last_seen, entry_url, urls, browser, os, device, user_agent, ' +
  'page_views, clicks, errors, rage_clicks, dead_clicks, network_failures, console_errors, spans, segments, replay_bytes, ' +
  'truncated_at, truncated_reason';

/** Every sessions column the receiver writes, in the order rows.ts produces values. */
export const SESSION_WRITE_COLUMNS = [
  'tenant', 'session_id', 'service', 'user_id', 'first_seen', 'last_seen', 'entry_url', 'urls',
  'browser', 'os', 'device', 'user_agent', 'page_views', 'clicks', 'errors', 'rage_clicks', 'dead_clicks',
  'network_failures', 'console_errors', 'spans', 'segments', 'replay_bytes', 'search_text', 'search_url', 'search_browser',
] as const;

/** The text columns among SESSION_WRITE_COLUMNS; the others are BIGINT. */
export const SESSION_TEXT_COLUMNS: ReadonlySet<string> = new Set([
  'tenant', 'session_id', 'service', 'user_id', 'entry_url', 'urls', 'browser', 'os', 'device', 'user_agent',
  'search_text', 'search_url', 'search_browser',
]);

export const SEGMENT_COLUMNS =
  'tenant, session_id, window_id, seq, first_ts, last_ts, event_count, full_snapshot, encoding, object_key, byte_offset, byte_length, received_at';

/** The columns legacy chunks are read back with. */
export const LEGACY_COLUMNS = 'tenant, session_id, window_id, event_number, chunk, total_chunks, log_offset, ts, body';
/** The columns a parked chunk is written with: LEGACY_COLUMNS plus when it was parked. */
export const LEGACY_WRITE_COLUMNS = `${LEGACY_COLUMNS}, parked_at`;
