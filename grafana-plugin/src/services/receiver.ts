// The receiver's query API as the plugin uses it, through Grafana's plugin proxy route
// (`/api/plugin-proxy/otel-replay-app/receiver/...`, which adds the bearer token server-side).
// Plain `fetch` because the events stream must be read while it arrives.
import { QUERY_API_PREFIX, RECEIVER_PROXY_BASE } from '../constants';
import type { PlaybackLine, SessionDetail, SessionPage } from '../types';
import { NdjsonDecoder } from './ndjson';
import { TaskSlicer } from './yield';

export class ReceiverError extends Error {
  override readonly name = 'ReceiverError';
  constructor(
    message: string,
    readonly status: number
  ) {
    super(message);
  }
}

/** What a failed answer means for the person looking at the page, and what to do about it. */
export function describeReceiverError(status: number, body: string, what: string): string {
  let detail = '';
  try {
    const parsed = JSON.parse(body) as { error?: unknown; message?: unknown };
    detail = String(parsed.error ?? parsed.message ?? '');
  } catch {
    detail = body.slice(0, 200);
  }
  if (status === 401) {
    return `The receiver refused the read token while loading ${what} (401${detail ? `: ${detail}` : ''}). Set a valid read token on the app's configuration page.`;
  }
  if (status === 404 && /plugin route match not found|plugin not found/i.test(detail)) {
    return `Grafana has no receiver route for this app while loading ${what}. Rebuild and reinstall the plugin, then restart Grafana.`;
  }
  if (status === 502 || status === 504) {
    return `Grafana could not reach the receiver while loading ${what} (${status}). Check the receiver URL on the app's configuration page and that the receiver is running.`;
  }
  if (status === 503 || status === 429) {
    return `The receiver is busy or its storage is unavailable while loading ${what} (${status}${detail ? `: ${detail}` : ''}). Retry in a few seconds.`;
  }
  return `Loading ${what} failed with ${status}${detail ? `: ${detail}` : ''}`;
}

export interface EventsRequest {
  /** Epoch ms: playback starts at the nearest full snapshot at or before it. */
  at?: number;
  window?: string;
  until?: number;
}

export interface ReceiverClient {
  searchSessions(params: URLSearchParams, signal?: AbortSignal): Promise<SessionPage>;
  getSession(sessionId: string, signal?: AbortSignal): Promise<SessionDetail>;
  /**
   * Calls onLine for each line as it arrives; resolves when the stream ends. When onLine
   * returns a promise, the next line waits for it (e.g. until a first frame has been painted).
   */
  streamEvents(
    sessionId: string,
    request: EventsRequest,
    onLine: (line: PlaybackLine) => void | Promise<void>,
    signal?: AbortSignal
  ): Promise<void>;
  exportUrl(sessionId: string): string;
}

export interface ReceiverClientOptions {
  /** Defaults to Grafana's plugin proxy route. */
  baseUrl?: string;
  fetch?: typeof fetch;
}

export function createReceiverClient(options: ReceiverClientOptions = {}): ReceiverClient {
  const base = `${options.baseUrl ?? RECEIVER_PROXY_BASE}${QUERY_API_PREFIX}`;
  const doFetch = (input: string, init?: RequestInit) =>
    (options.fetch ?? fetch)(input, { credentials: 'same-origin', ...init });
  const sessionUrl = (id: string) => `${base}/sessions/${encodeURIComponent(id)}`;

  async function getJson<T>(url: string, what: string, signal?: AbortSignal): Promise<T> {
    const res = await doFetch(url, { headers: { accept: 'application/json' }, signal });
    const text = await res.text();
    if (!res.ok) {
      throw new ReceiverError(describeReceiverError(res.status, text, what), res.status);
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ReceiverError(
        `The receiver's answer for ${what} is not JSON; is the receiver URL pointing at otel-replay's receiver?`,
        res.status
      );
    }
  }

  return {
    searchSessions: (params, signal) =>
      getJson<SessionPage>(`${base}/sessions?${params.toString()}`, 'sessions', signal),
    getSession: (id, signal) => getJson<SessionDetail>(sessionUrl(id), `session ${id}`, signal),
    exportUrl: (id) => `${sessionUrl(id)}/export.html`,
    async streamEvents(id, request, onLine, signal) {
      const q = new URLSearchParams();
      if (request.at !== undefined) {
        q.set('at', String(Math.round(request.at)));
      }
      if (request.window) {
        q.set('window', request.window);
      }
      if (request.until !== undefined) {
        q.set('until', String(Math.round(request.until)));
      }
      const res = await doFetch(`${sessionUrl(id)}/events${q.toString() ? `?${q}` : ''}`, {
        headers: { accept: 'application/x-ndjson' },
        signal,
      });
      if (!res.ok) {
        throw new ReceiverError(
          describeReceiverError(res.status, await res.text(), `the recording of session ${id}`),
          res.status
        );
      }
      const decoder = new NdjsonDecoder();
      const slice = new TaskSlicer();
      const hand = async (lines: string[]) => {
        for (const line of lines) {
          const wait = onLine(decoder.parse(line));
          if (wait) {
            await wait;
          }
          await slice.maybeYield();
        }
      };
      if (!res.body) {
        // Environments without streaming bodies still work, just without early frames.
        await hand([...decoder.push(await res.text()), ...decoder.flush()]);
        return;
      }
      const reader = res.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) {
          break;
        }
        await hand(decoder.push(value));
      }
      await hand(decoder.flush());
    },
  };
}
