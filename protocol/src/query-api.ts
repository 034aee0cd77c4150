// The answers of the receiver's query API (/api/v1), as the receiver writes them and the
// Grafana app reads them. One definition here, so the two cannot drift apart.

import type { RrwebEvent } from './rrweb.ts';

/** One session as the index knows it (`GET /sessions` items, and the base of `GET /sessions/:id`). */
export interface SessionSummary {
  tenant: string;
  sessionId: string;
  /** Epoch ms of the earliest and latest evidence of the session. */
  firstSeen: number;
  lastSeen: number;
  durationMs: number;
  service: string | null;
  userId: string | null;
  /** The first page-view URL. */
  entryUrl: string | null;
  /** Distinct page URLs seen (bounded). */
  urls: string[];
  browser: string | null;
  os: string | null;
  device: string | null;
  userAgent: string | null;
  pageViews: number;
  clicks: number;
  errors: number;
  rageClicks: number;
  deadClicks: number;
  networkFailures: number;
  consoleErrors: number;
  /** Spans seen (network and other). */
  spans: number;
  /** Replay segments stored, and their stored bytes. */
  segments: number;
  replayBytes: number;
  hasReplay: boolean;
  /**
   * Present only when a per-session cap cut the recording: the recording time (epoch ms)
   * of the first segment that was not stored, and which cap it hit. Segments after the
   * cut were acknowledged but dropped, so the replay ends there.
   */
  truncatedAt?: number;
  truncatedReason?: SessionTruncatedReason;
}

/** Which per-session cap cut a recording (receiver settings sessionLimits.maxDurationMs / maxBytes). */
export type SessionTruncatedReason = 'max-duration' | 'max-bytes';

/** `DELETE /sessions/:id` and `DELETE /users/:userId/sessions`: what was deleted. */
export interface SessionDeletion {
  deleted: number;
  sessionIds: string[];
}

/** `GET /sessions`. */
export interface SessionSearchResult {
  sessions: SessionSummary[];
  total: number;
  limit: number;
  offset: number;
}

export interface SeqGap {
  /** First and last missing seq, inclusive. */
  fromSeq: number;
  toSeq: number;
}

export interface TimelineSegment {
  seq: number;
  firstTimestamp: number;
  lastTimestamp: number;
  eventCount: number;
  hasFullSnapshot: boolean;
  /** Stored (gzip) bytes. */
  length: number;
}

/** One window (tab, or legacy page load) of a session. */
export interface WindowDetail {
  windowId: string;
  firstTimestamp: number;
  lastTimestamp: number;
  segmentCount: number;
  eventCount: number;
  bytes: number;
  /** firstTimestamp of every segment that starts with a full snapshot (where playback can start). */
  fullSnapshots: number[];
  /** Missing seqs between the first and last stored seq. */
  gaps: SeqGap[];
  segments: TimelineSegment[];
}

/** `GET /sessions/:id`: the summary plus its windows, ordered by start time. */
export interface SessionDetail extends SessionSummary {
  windows: WindowDetail[];
}

/** One line of `GET /sessions/:id/events` (NDJSON). */
export type PlaybackLine =
  | { type: 'start'; sessionId: string; windowId: string; at: number; fromSeq: number; fromTimestamp: number }
  | { type: 'segment'; seq: number; firstTimestamp: number; lastTimestamp: number; events: RrwebEvent[] }
  | { type: 'gap'; fromSeq: number; toSeq: number }
  | { type: 'damaged'; seq: number; reason: string }
  /** The store became unreachable mid-stream: the stream ends here without `end`; retry later. */
  | { type: 'error'; reason: string; retryable: boolean }
  | { type: 'end'; segments: number };
