// Extension links into the Session page from Tempo's trace view and Loki's log details.
// Grafana hands each extension point a different context; these functions find the session
// id and the moment in it, and return no link when the context has no session.
import { Attr } from '@otel-replay/protocol';
import { sessionPath } from '../constants';
import { lokiName } from './queries';
import { toEpochMs } from './time';

type Attributes = Record<string, string[] | string | undefined> | undefined;

function first(attrs: Attributes, key: string): string | undefined {
  const v = attrs?.[key];
  const s = Array.isArray(v) ? v[0] : v;
  return typeof s === 'string' && s.trim() ? s.trim() : undefined;
}

/** `grafana/traceview/resource-attributes` (12.1; span attributes and spanStartTime from 12.2/13.0). */
export interface TraceAttributesContext {
  attributes?: Attributes;
  spanAttributes?: Attributes;
  spanStartTime?: number;
  timeRange?: { from?: number; to?: number };
}

export function linkFromTraceAttributes(ctx: TraceAttributesContext | undefined): { path: string } | undefined {
  const id = first(ctx?.spanAttributes, Attr.sessionId) ?? first(ctx?.attributes, Attr.sessionId);
  if (!id) {
    return undefined;
  }
  return { path: sessionPath(id, toEpochMs(ctx?.spanStartTime) ?? toEpochMs(ctx?.timeRange?.from)) };
}

/** `grafana/traceview/header/actions`: the whole trace; spans carry tags/attributes as key/value lists. */
export interface TraceHeaderContext {
  spans?: Array<{
    startTime?: number;
    tags?: Array<{ key?: string; value?: unknown }>;
    process?: { tags?: Array<{ key?: string; value?: unknown }> };
  }>;
  startTime?: number;
}

export function linkFromTraceHeader(ctx: TraceHeaderContext | undefined): { path: string } | undefined {
  for (const span of ctx?.spans ?? []) {
    const tag = [...(span.tags ?? []), ...(span.process?.tags ?? [])].find(
      (t) => t.key === Attr.sessionId && typeof t.value === 'string' && t.value
    );
    if (tag) {
      // Trace view times are microseconds since the epoch.
      return { path: sessionPath(String(tag.value), toEpochMs(span.startTime) ?? toEpochMs(ctx?.startTime)) };
    }
  }
  return undefined;
}

/** `grafana/logsview/resource-attributes`: labels incl. structured metadata, so `session_id`. */
export interface LogAttributesContext {
  attributes?: Attributes;
  timeRange?: { from?: number; to?: number };
  timestamp?: number;
  row?: { timeEpochMs?: number };
}

export function linkFromLogAttributes(ctx: LogAttributesContext | undefined): { path: string } | undefined {
  const id = first(ctx?.attributes, lokiName(Attr.sessionId)) ?? first(ctx?.attributes, Attr.sessionId);
  if (!id) {
    return undefined;
  }
  const at = toEpochMs(ctx?.row?.timeEpochMs) ?? toEpochMs(ctx?.timestamp) ?? toEpochMs(ctx?.timeRange?.from);
  return { path: sessionPath(id, at) };
}
