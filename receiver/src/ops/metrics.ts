// Prometheus metrics of one receiver. Each app gets its own registry so tests can run
// several receivers in one process; gauges of other components are read at scrape time.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface GaugeSources {
  forwardQueue(): { queuedPayloads: number; queuedBytes: number; delivered: number; failedAttempts: number; dropped: number };
  groupCommit(): { objectsWritten: number; segmentsWritten: number; bytesWritten: number; duplicatesDropped: number; pendingSegments: number; pendingBytes: number };
  /** The ingest load shedder's signals (limits/load-shedder.ts); absent = no gauges. */
  loadShedding?(): { eventLoopDelayMs: number; inFlight: number; shedShare: number };
}

export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({ name: 'otel_replay_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'] as const, registers: [this.registry] });
  readonly ingestRecords = new Counter({ name: 'otel_replay_ingest_records_total', help: 'Log records and spans received, by kind (segment, legacy, log, span, rejected)', labelNames: ['kind'] as const, registers: [this.registry] });
  readonly segmentsStored = new Counter({ name: 'otel_replay_segments_stored_total', help: 'Replay segments stored', registers: [this.registry] });
  readonly segmentDuplicates = new Counter({ name: 'otel_replay_segment_duplicates_total', help: 'Replay segments dropped as duplicates of stored ones', registers: [this.registry] });
  readonly ingestSeconds = new Histogram({ name: 'otel_replay_ingest_duration_seconds', help: 'Time from request received to acknowledged', labelNames: ['signal'] as const, buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 5, 10], registers: [this.registry] });
  readonly rateLimited = new Counter({ name: 'otel_replay_rate_limited_total', help: 'Ingest requests refused with 429 by a per-key rate limit, by tenant and by the bucket that was short (requests, bytes)', labelNames: ['tenant', 'limit'] as const, registers: [this.registry] });
  readonly queryRateLimited = new Counter({ name: 'otel_replay_query_rate_limited_total', help: 'Query API requests refused with 429 by a per-key (per tenant without a token) query rate limit, by tenant', labelNames: ['tenant'] as const, registers: [this.registry] });
  readonly unavailable = new Counter({ name: 'otel_replay_unavailable_total', help: 'Requests answered 429/503 because of overload or a dependency being down', labelNames: ['reason'] as const, registers: [this.registry] });
  readonly loadShed = new Counter({ name: 'otel_replay_load_shed_total', help: 'Ingest requests answered 503 + Retry-After before their body was read because the receiver was overloaded, by signal (event_loop_delay, in_flight)', labelNames: ['reason'] as const, registers: [this.registry] });
  readonly capDroppedSegments = new Counter({ name: 'otel_replay_session_cap_dropped_segments_total', help: 'Replay segments acknowledged but not stored: past a per-session cap (max-duration, max-bytes), after the session was cut (truncated), or of a deleted session (deleted)', labelNames: ['reason'] as const, registers: [this.registry] });
  readonly sessionsTruncated = new Counter({ name: 'otel_replay_sessions_truncated_total', help: 'Sessions cut by a per-session cap, by cap', labelNames: ['reason'] as const, registers: [this.registry] });
  readonly sessionsDeleted = new Counter({ name: 'otel_replay_sessions_deleted_total', help: 'Sessions deleted through the deletion API', registers: [this.registry] });
  readonly retentionRuns = new Counter({ name: 'otel_replay_retention_runs_total', help: 'Retention job runs by outcome (done, skipped: another receiver had it, failed)', labelNames: ['outcome'] as const, registers: [this.registry] });
  readonly retentionRemoved = new Counter({ name: 'otel_replay_retention_removed_total', help: 'What retention removed, by kind (sessions, segments, deleted_ids, objects)', labelNames: ['kind'] as const, registers: [this.registry] });

  constructor(sources: GaugeSources) {
    collectDefaultMetrics({ register: this.registry, prefix: 'otel_replay_' });
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({ name, help, registers: [this.registry], collect() { this.set(read()); } });
    gauge('otel_replay_forward_queue_payloads', 'Payloads waiting in the on-disk forward queue', () => sources.forwardQueue().queuedPayloads);
    gauge('otel_replay_forward_queue_bytes', 'Bytes waiting in the on-disk forward queue', () => sources.forwardQueue().queuedBytes);
    gauge('otel_replay_forward_delivered', 'Payloads delivered to Loki/Tempo since start', () => sources.forwardQueue().delivered);
    gauge('otel_replay_forward_failed_attempts', 'Failed delivery attempts since start (retried)', () => sources.forwardQueue().failedAttempts);
    gauge('otel_replay_forward_dropped', 'Payloads refused permanently by the target since start', () => sources.forwardQueue().dropped);
    gauge('otel_replay_objects_written', 'Storage objects written by group commit since start', () => sources.groupCommit().objectsWritten);
    gauge('otel_replay_object_bytes_written', 'Bytes written to object storage since start', () => sources.groupCommit().bytesWritten);
    gauge('otel_replay_group_commit_pending_bytes', 'Segment bytes waiting for the next group commit', () => sources.groupCommit().pendingBytes);
    const shedding = sources.loadShedding;
    if (shedding) {
      gauge('otel_replay_load_shedding_event_loop_delay_seconds', 'Smoothed event-loop delay the load shedder acts on', () => shedding().eventLoopDelayMs / 1000);
      gauge('otel_replay_ingest_in_flight', 'Ingest requests admitted and not yet answered', () => shedding().inFlight);
      gauge('otel_replay_load_shedding_share', 'Share of ingest requests being shed for event-loop delay (0..1)', () => shedding().shedShare);
    }
  }
}
