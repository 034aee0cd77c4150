// LogQL and TraceQL for one session's telemetry. Loki stores OTLP attributes as structured
// metadata with dots turned into underscores (`session.id` → `session_id`); Tempo keeps the
// span attribute as `span.session.id`. Values are escaped, never pasted raw.
import { Attr } from '@otel-replay/protocol';

/** A double-quoted string literal valid in both LogQL and TraceQL. */
export function quoteString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')}"`;
}

/** Loki's name for an OTLP attribute (structured metadata / label sanitising). */
export function lokiName(attribute: string): string {
  return attribute.replace(/[^a-zA-Z0-9_]/g, '_');
}

export interface SessionLogsQueryInput {
  sessionId: string;
  /** Narrows the stream selector to the session's service (cheap); otherwise every service is scanned. */
  service?: string | null;
}

export function sessionLogsQuery({ sessionId, service }: SessionLogsQueryInput): string {
  const selector = service ? `{service_name=${quoteString(service)}}` : '{service_name=~".+"}';
  return `${selector} | ${lokiName(Attr.sessionId)}=${quoteString(sessionId)}`;
}

/** Attributes shown on network spans; `select` makes Tempo return them with the match. */
export const SPAN_SELECT = [
  'span.http.request.method',
  'span.url.full',
  'span.http.url',
  'span.http.response.status_code',
  'span.http.status_code',
];

export function sessionSpansQuery(sessionId: string): string {
  return `{ span.${Attr.sessionId} = ${quoteString(sessionId)} } | select(${SPAN_SELECT.join(', ')})`;
}
