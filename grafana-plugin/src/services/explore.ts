// Links into Grafana Explore: a span opens its trace in the Tempo data source, the logs
// open the session's LogQL in Loki. The `panes` form is what Explore reads since Grafana 10.
import { sessionLogsQuery } from './queries';

export interface TraceLinkInput {
  tempoUid: string;
  traceId: string;
  /** The time range the trace is looked up in (ms); padded so clock skew does not hide it. */
  fromMs: number;
  toMs: number;
  orgId?: number;
}

const PAD_MS = 60_000;

function exploreUrl(pane: unknown, orgId: number | undefined): string {
  const p = new URLSearchParams();
  p.set('schemaVersion', '1');
  p.set('panes', JSON.stringify({ replay: pane }));
  p.set('orgId', String(orgId ?? 1));
  return `/explore?${p.toString()}`;
}

export function traceExploreUrl({ tempoUid, traceId, fromMs, toMs, orgId }: TraceLinkInput): string {
  return exploreUrl(
    {
      datasource: tempoUid,
      queries: [{ refId: 'A', datasource: { type: 'tempo', uid: tempoUid }, queryType: 'traceql', query: traceId }],
      range: { from: String(Math.floor(fromMs - PAD_MS)), to: String(Math.ceil(toMs + PAD_MS)) },
    },
    orgId
  );
}

export interface LogsLinkInput {
  lokiUid: string;
  sessionId: string;
  service?: string | null;
  fromMs: number;
  toMs: number;
  orgId?: number;
}

export function logsExploreUrl({ lokiUid, sessionId, service, fromMs, toMs, orgId }: LogsLinkInput): string {
  return exploreUrl(
    {
      datasource: lokiUid,
      queries: [
        {
          refId: 'A',
          datasource: { type: 'loki', uid: lokiUid },
          expr: sessionLogsQuery({ sessionId, service }),
          queryType: 'range',
        },
      ],
      range: { from: String(Math.floor(fromMs - PAD_MS)), to: String(Math.ceil(toMs + PAD_MS)) },
    },
    orgId
  );
}
