// Fetches one session's logs from Loki and spans from Tempo through Grafana's data source
// proxy (`/api/datasources/proxy/uid/<uid>/...`), so the user's data source permissions and
// credentials apply. Returns timeline entries; failures name the data source and the fix.
import { lastValueFrom } from 'rxjs';
import { getBackendSrv } from '@grafana/runtime';
import { sessionLogsQuery, sessionSpansQuery } from './queries';
import { entriesFromLoki, entriesFromTempo } from './timeline';
import type { LokiStreamsResponse, TempoSearchResponse, TimelineEntry } from './timeline';

export interface SessionWindow {
  sessionId: string;
  service?: string | null;
  /** Epoch ms of the session's first and last evidence. */
  fromMs: number;
  toMs: number;
}

/** A little slack around the session: its logs and spans are stamped by other clocks. */
const SLACK_MS = 5 * 60_000;
export const MAX_LOG_LINES = 2000;
export const MAX_TRACES = 200;

export class TelemetryError extends Error {
  override readonly name = 'TelemetryError';
}

function describe(err: unknown, what: string): TelemetryError {
  const e = err as { status?: number; data?: { message?: string; error?: string }; message?: string };
  const detail = e?.data?.message ?? e?.data?.error ?? e?.message ?? String(err);
  const status = e?.status ? ` (${e.status})` : '';
  return new TelemetryError(`${what} failed${status}: ${detail}`);
}

async function proxyGet<T>(uid: string, path: string, params: Record<string, string>, what: string): Promise<T> {
  try {
    const res = await lastValueFrom(
      getBackendSrv().fetch<T>({
        url: `/api/datasources/proxy/uid/${encodeURIComponent(uid)}${path}`,
        method: 'GET',
        params,
        showErrorAlert: false,
        showSuccessAlert: false,
      })
    );
    return res.data;
  } catch (err) {
    throw describe(err, what);
  }
}

export async function fetchSessionLogs(lokiUid: string, s: SessionWindow): Promise<TimelineEntry[]> {
  const query = sessionLogsQuery({ sessionId: s.sessionId, service: s.service });
  const res = await proxyGet<LokiStreamsResponse>(
    lokiUid,
    '/loki/api/v1/query_range',
    {
      query,
      start: `${Math.floor(s.fromMs - SLACK_MS)}000000`,
      end: `${Math.ceil(s.toMs + SLACK_MS)}000000`,
      limit: String(MAX_LOG_LINES),
      direction: 'forward',
    },
    `Loki query ${query}`
  );
  return entriesFromLoki(res);
}

export async function fetchSessionSpans(tempoUid: string, s: SessionWindow): Promise<TimelineEntry[]> {
  const q = sessionSpansQuery(s.sessionId);
  const res = await proxyGet<TempoSearchResponse>(
    tempoUid,
    '/api/search',
    {
      q,
      start: String(Math.floor((s.fromMs - SLACK_MS) / 1000)),
      end: String(Math.ceil((s.toMs + SLACK_MS) / 1000)),
      limit: String(MAX_TRACES),
      // Tempo returns 3 spans per spanset unless told otherwise.
      spss: '1000',
    },
    `Tempo TraceQL ${q}`
  );
  return entriesFromTempo(res);
}
