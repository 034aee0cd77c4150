// Loki and Tempo as the plugin sees them through Grafana's data source proxy
// (/api/datasources/proxy/uid/<uid>/...): answered in the browser with fixture JSON in the
// shapes Loki's query_range and Tempo's TraceQL search return, and every request recorded.

import type { Page } from 'playwright-core';

export interface FixtureLog {
  timeMs: number;
  line: string;
  /** Loki labels / structured metadata, e.g. { event_name: 'browser.page_view', url_full: '…' }. */
  labels?: Record<string, string>;
}

export interface FixtureSpan {
  traceId: string;
  spanId: string;
  startMs: number;
  durationMs: number;
  method: string;
  url: string;
  status: number;
}

export interface DatasourceFixtures {
  lokiUid: string;
  tempoUid: string;
  sessionId: string;
  service: string;
  logs: FixtureLog[];
  spans: FixtureSpan[];
}

const ns = (ms: number) => `${BigInt(Math.round(ms)) * 1_000_000n}`;

export function lokiAnswer(f: DatasourceFixtures): object {
  return {
    status: 'success',
    data: {
      resultType: 'streams',
      result: f.logs.map((l) => ({
        stream: { service_name: f.service, session_id: f.sessionId, ...(l.labels ?? {}) },
        values: [[ns(l.timeMs), l.line]],
      })),
    },
  };
}

export function tempoAnswer(f: DatasourceFixtures): object {
  return {
    traces: f.spans.map((s) => ({
      traceID: s.traceId,
      rootServiceName: f.service,
      rootTraceName: `${s.method} ${new URL(s.url).pathname}`,
      startTimeUnixNano: ns(s.startMs),
      spanSets: [
        {
          spans: [
            {
              spanID: s.spanId,
              name: `${s.method}`,
              startTimeUnixNano: ns(s.startMs),
              durationNanos: String(s.durationMs * 1_000_000),
              attributes: [
                { key: 'http.request.method', value: { stringValue: s.method } },
                { key: 'url.full', value: { stringValue: s.url } },
                { key: 'http.response.status_code', value: { intValue: String(s.status) } },
              ],
            },
          ],
        },
      ],
    })),
  };
}

/** Answers Loki and Tempo proxy requests on `page`; returns the URLs asked for, in order. */
export async function routeDatasources(page: Page, f: DatasourceFixtures): Promise<string[]> {
  const seen: string[] = [];
  await page.route('**/api/datasources/proxy/uid/**', async (route) => {
    const url = new URL(route.request().url());
    seen.push(url.pathname + url.search);
    const json = (status: number, body: object) => route.fulfill({ status, contentType: 'application/json', body: JSON.stringify(body) });
    if (url.pathname === `/api/datasources/proxy/uid/${f.lokiUid}/loki/api/v1/query_range`) return json(200, lokiAnswer(f));
    if (url.pathname === `/api/datasources/proxy/uid/${f.tempoUid}/api/search`) return json(200, tempoAnswer(f));
    return json(404, { message: `the harness has no data source answer for ${url.pathname}` });
  });
  return seen;
}
