// Test data shaped like the receiver's, Loki's and Tempo's real answers, plus a fake
// receiver client that streams NDJSON lines in chunks.
import type { LokiStreamsResponse, TempoSearchResponse } from '../services/timeline';
import type { ReceiverClient } from '../services/receiver';
import type { PlaybackLine, SessionDetail, SessionSummary } from '../types';

export const T0 = Date.UTC(2026, 10, 20, 10, 0, 0);

export function summary(over: Partial<SessionSummary> = {}): SessionSummary {
  return {
    tenant: 'default',
    sessionId: 'sess-1',
    firstSeen: T0,
    lastSeen: T0 + 60_000,
    service: 'shop-web',
    userId: 'alice',
    entryUrl: 'https://shop.example.com/',
    urls: ['https://shop.example.com/'],
    browser: 'Chrome',
    os: 'Linux',
    device: 'desktop',
    userAgent: 'Mozilla/5.0',
    pageViews: 3,
    clicks: 10,
    errors: 1,
    rageClicks: 1,
    deadClicks: 0,
    networkFailures: 0,
    consoleErrors: 1,
    spans: 4,
    segments: 6,
    replayBytes: 12345,
    durationMs: 60_000,
    hasReplay: true,
    ...over,
  };
}

export function detail(over: Partial<SessionDetail> = {}): SessionDetail {
  return {
    ...summary(),
    windows: [
      {
        windowId: 'w1',
        firstTimestamp: T0,
        lastTimestamp: T0 + 60_000,
        segmentCount: 5,
        eventCount: 50,
        bytes: 5000,
        fullSnapshots: [T0, T0 + 30_000],
        gaps: [{ fromSeq: 20, toSeq: 29 }],
        segments: [
          {
            seq: 0,
            firstTimestamp: T0,
            lastTimestamp: T0 + 10_000,
            eventCount: 10,
            hasFullSnapshot: true,
            length: 1000,
          },
          {
            seq: 10,
            firstTimestamp: T0 + 10_000,
            lastTimestamp: T0 + 20_000,
            eventCount: 10,
            hasFullSnapshot: false,
            length: 1000,
          },
          {
            seq: 30,
            firstTimestamp: T0 + 30_000,
            lastTimestamp: T0 + 40_000,
            eventCount: 10,
            hasFullSnapshot: true,
            length: 1000,
          },
          {
            seq: 40,
            firstTimestamp: T0 + 40_000,
            lastTimestamp: T0 + 50_000,
            eventCount: 10,
            hasFullSnapshot: false,
            length: 1000,
          },
          {
            seq: 50,
            firstTimestamp: T0 + 50_000,
            lastTimestamp: T0 + 60_000,
            eventCount: 10,
            hasFullSnapshot: false,
            length: 1000,
          },
        ],
      },
    ],
    ...over,
  };
}

/** A window's stream from `at`: meta + full snapshot at the nearest snapshot, then increments. */
export function streamLines(at: number | undefined): PlaybackLine[] {
  const from = at !== undefined && at >= T0 + 30_000 ? T0 + 30_000 : T0;
  const seq = from === T0 ? 0 : 30;
  const lines: PlaybackLine[] = [
    { type: 'start', sessionId: 'sess-1', windowId: 'w1', at: at ?? T0, fromSeq: seq, fromTimestamp: from },
  ];
  lines.push({
    type: 'segment',
    seq,
    firstTimestamp: from,
    lastTimestamp: from + 10_000,
    events: [
      { type: 4, timestamp: from },
      { type: 2, timestamp: from + 1 },
      { type: 3, timestamp: from + 5000 },
    ],
  });
  if (seq === 0) {
    lines.push({
      type: 'segment',
      seq: 10,
      firstTimestamp: T0 + 10_000,
      lastTimestamp: T0 + 20_000,
      events: [{ type: 3, timestamp: T0 + 15_000 }],
    });
    lines.push({ type: 'gap', fromSeq: 20, toSeq: 29 });
    lines.push({
      type: 'segment',
      seq: 30,
      firstTimestamp: T0 + 30_000,
      lastTimestamp: T0 + 40_000,
      events: [
        { type: 4, timestamp: T0 + 30_000 },
        { type: 2, timestamp: T0 + 30_001 },
      ],
    });
  }
  lines.push({ type: 'damaged', seq: 40, reason: 'body is not gzip' });
  lines.push({
    type: 'segment',
    seq: 50,
    firstTimestamp: T0 + 50_000,
    lastTimestamp: T0 + 60_000,
    events: [{ type: 3, timestamp: T0 + 55_000 }],
  });
  lines.push({ type: 'end', segments: seq === 0 ? 5 : 3 });
  return lines;
}

export interface FakeClient extends ReceiverClient {
  searches: URLSearchParams[];
  streams: Array<{ at?: number; window?: string }>;
}

export function fakeClient(
  opts: {
    sessions?: SessionSummary[];
    total?: number;
    detail?: SessionDetail;
    fail?: Error;
    lines?: (at?: number) => PlaybackLine[];
    /** The session summary answers only once this settles. */
    detailGate?: Promise<unknown>;
    /** The events stream sends its lines only once this settles. */
    streamGate?: Promise<unknown>;
  } = {}
): FakeClient {
  const searches: URLSearchParams[] = [];
  const streams: Array<{ at?: number; window?: string }> = [];
  return {
    searches,
    streams,
    async searchSessions(params) {
      searches.push(params);
      if (opts.fail) {
        throw opts.fail;
      }
      const sessions = opts.sessions ?? [summary()];
      return {
        sessions,
        total: opts.total ?? sessions.length,
        limit: Number(params.get('limit')),
        offset: Number(params.get('offset')),
      };
    },
    async getSession() {
      await opts.detailGate;
      if (opts.fail) {
        throw opts.fail;
      }
      return opts.detail ?? detail();
    },
    async streamEvents(_id, request, onLine) {
      streams.push({ at: request.at, window: request.window });
      await opts.streamGate;
      for (const line of (opts.lines ?? streamLines)(request.at)) {
        await Promise.resolve();
        onLine(line);
      }
    },
    exportUrl: (id) => `/api/plugin-proxy/otel-replay-app/receiver/api/v1/sessions/${id}/export.html`,
  };
}

/** Loki query_range answer: structured metadata merged into stream labels (Loki's default). */
export const lokiResponse: LokiStreamsResponse = {
  data: {
    resultType: 'streams',
    result: [
      {
        stream: {
          service_name: 'shop-web',
          session_id: 'sess-1',
          event_name: 'browser.page_view',
          url_full: 'https://shop.example.com/cart',
        },
        values: [[`${T0 + 2000}000000`, 'page view']],
      },
      {
        stream: {
          service_name: 'shop-web',
          session_id: 'sess-1',
          event_name: 'browser.rage_click',
          replay_click_selector: 'button#pay',
          replay_click_count: '5',
        },
        values: [[`${T0 + 12000}000000`, 'rage click']],
      },
      {
        stream: {
          service_name: 'shop-web',
          session_id: 'sess-1',
          event_name: 'exception',
          exception_type: 'TypeError',
          exception_message: 'x is undefined',
        },
        values: [[`${T0 + 13000}000000`, 'TypeError']],
      },
      {
        stream: {
          service_name: 'shop-web',
          session_id: 'sess-1',
          event_name: 'browser.console',
          replay_console_level: 'warn',
        },
        values: [[`${T0 + 14000}000000`, 'slow response']],
      },
      {
        stream: { service_name: 'shop-web', session_id: 'sess-1' },
        values: [['not-a-time', 'broken'], 'not an array'],
      },
    ],
  },
};

/** Tempo /api/search answer for a TraceQL query with select(). */
export const tempoResponse: TempoSearchResponse = {
  traces: [
    {
      traceID: 'abc123',
      rootServiceName: 'shop-web',
      rootTraceName: 'HTTP POST',
      startTimeUnixNano: `${T0 + 12500}000000`,
      spanSets: [
        {
          spans: [
            {
              spanID: 'span01',
              name: 'HTTP POST',
              startTimeUnixNano: `${T0 + 12500}000000`,
              durationNanos: '250000000',
              attributes: [
                { key: 'http.request.method', value: { stringValue: 'POST' } },
                { key: 'url.full', value: { stringValue: 'https://api.example.com/pay' } },
                { key: 'http.response.status_code', value: { intValue: '502' } },
              ],
            },
          ],
        },
      ],
    },
    { rootServiceName: 'no trace id' },
  ],
};
