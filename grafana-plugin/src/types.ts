// Shapes of the receiver's query API answers (README "Query API", receiver/src/query) and of
// the app's settings, as the plugin reads them.
import type { RrwebEvent } from '@otel-replay/protocol';

export type { RrwebEvent };

/** jsonData saved by the config page; the bearer token lives in secureJsonData.receiverToken. */
export interface AppSettings {
  receiverUrl?: string;
  lokiUid?: string;
  tempoUid?: string;
  tenant?: string;
}

export interface SessionSummary {
  tenant: string;
  sessionId: string;
  firstSeen: number;
  lastSeen: number;
  service: string | null;
  userId: string | null;
  entryUrl: string | null;
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
  spans: number;
  segments: number;
  replayBytes: number;
  durationMs: number;
  hasReplay: boolean;
}

export interface SessionPage {
  sessions: SessionSummary[];
  total: number;
  limit: number;
  offset: number;
}

export interface SeqGap {
  fromSeq: number;
  toSeq: number;
}

export interface TimelineSegment {
  seq: number;
  firstTimestamp: number;
  lastTimestamp: number;
  eventCount: number;
  hasFullSnapshot: boolean;
  length: number;
}

export interface WindowDetail {
  windowId: string;
  firstTimestamp: number;
  lastTimestamp: number;
  segmentCount: number;
  eventCount: number;
  bytes: number;
  fullSnapshots: number[];
  gaps: SeqGap[];
  segments: TimelineSegment[];
}

export interface SessionDetail extends SessionSummary {
  windows: WindowDetail[];
}

/** One line of `GET /sessions/:id/events` (receiver/src/query/event-stream.ts). */
export type PlaybackLine =
  | { type: 'start'; sessionId: string; windowId: string; at: number; fromSeq: number; fromTimestamp: number }
  | { type: 'segment'; seq: number; firstTimestamp: number; lastTimestamp: number; events: RrwebEvent[] }
  | { type: 'gap'; fromSeq: number; toSeq: number }
  | { type: 'damaged'; seq: number; reason: string }
  | { type: 'error'; reason: string; retryable: boolean }
  | { type: 'end'; segments: number };
