// The session timeline: page views, clicks, rage clicks, errors and console logs from Loki,
// network spans from Tempo, merged into one list ordered by time. Parsing is defensive: a
// malformed record is skipped, never the whole timeline.
import { Attr, EventName } from '@otel-replay/protocol';
import { lokiName } from './queries';
import { nsStringToMs } from './time';

export type TimelineKind =
  'page_view' | 'click' | 'rage_click' | 'dead_click' | 'error' | 'console' | 'custom' | 'log' | 'span';

export interface TimelineEntry {
  /** Stable across refreshes (React key, de-duplication). */
  id: string;
  /** Epoch ms. */
  time: number;
  kind: TimelineKind;
  title: string;
  detail?: string;
  level: 'error' | 'warning' | 'info';
  traceId?: string;
  spanId?: string;
  durationMs?: number;
}

/** Loki `query_range` answer (`resultType: streams`), with or without categorized labels. */
export interface LokiStreamsResponse {
  data?: { resultType?: string; result?: Array<{ stream?: Record<string, string>; values?: unknown[] }> };
}

const KIND_BY_EVENT: Record<string, TimelineKind> = {
  [EventName.pageView]: 'page_view',
  [EventName.click]: 'click',
  [EventName.rageClick]: 'rage_click',
  [EventName.deadClick]: 'dead_click',
  [EventName.exception]: 'error',
  [EventName.console]: 'console',
  [EventName.custom]: 'custom',
};

const L = {
  eventName: 'event_name',
  url: lokiName(Attr.urlFull),
  title: lokiName(Attr.pageTitle),
  selector: lokiName(Attr.clickSelector),
  clickText: 'replay_click_text',
  clickCount: lokiName(Attr.clickCount),
  consoleLevel: lokiName(Attr.consoleLevel),
  exType: lokiName(Attr.exceptionType),
  exMessage: lokiName(Attr.exceptionMessage),
  severity: 'severity_text',
  level: 'detected_level',
  traceId: 'trace_id',
  spanId: 'span_id',
} as const;

function lokiEntry(labels: Record<string, string>, tsNs: string, line: string, index: number): TimelineEntry | null {
  const time = nsStringToMs(tsNs);
  if (!Number.isFinite(time)) {
    return null;
  }
  const event = labels[L.eventName] ?? '';
  const kind: TimelineKind = KIND_BY_EVENT[event] ?? 'log';
  const severity = (labels[L.consoleLevel] ?? labels[L.severity] ?? labels[L.level] ?? '').toLowerCase();
  let level: TimelineEntry['level'] = /err|fatal|crit/.test(severity)
    ? 'error'
    : /warn/.test(severity)
      ? 'warning'
      : 'info';
  let title: string;
  let detail: string | undefined;
  switch (kind) {
    case 'page_view':
      title = `Page view ${labels[L.url] ?? line}`;
      detail = labels[L.title];
      break;
    case 'click':
    case 'dead_click':
      title = `${kind === 'click' ? 'Click' : 'Dead click'} ${labels[L.clickText] || labels[L.selector] || ''}`.trim();
      detail = labels[L.selector];
      level = kind === 'dead_click' ? 'warning' : 'info';
      break;
    case 'rage_click':
      title =
        `Rage click${labels[L.clickCount] ? ` ×${labels[L.clickCount]}` : ''} ${labels[L.clickText] || labels[L.selector] || ''}`.trim();
      detail = labels[L.selector];
      level = 'warning';
      break;
    case 'error':
      title = [labels[L.exType], labels[L.exMessage]].filter(Boolean).join(': ') || line || 'Error';
      level = 'error';
      break;
    case 'console':
      title = `console.${severity || 'log'} ${line}`;
      break;
    default:
      title = line || event || 'Log line';
  }
  return {
    id: `log:${tsNs}:${index}`,
    time,
    kind,
    title: title.slice(0, 300),
    detail,
    level,
    traceId: labels[L.traceId] || undefined,
    spanId: labels[L.spanId] || undefined,
  };
}

export function entriesFromLoki(response: LokiStreamsResponse): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  let index = 0;
  for (const stream of response.data?.result ?? []) {
    const base = stream.stream ?? {};
    for (const value of stream.values ?? []) {
      if (!Array.isArray(value) || typeof value[0] !== 'string' || typeof value[1] !== 'string') {
        continue;
      }
      const extra = (value[2] ?? {}) as {
        structuredMetadata?: Record<string, string>;
        parsed?: Record<string, string>;
      };
      const labels = { ...base, ...(extra.structuredMetadata ?? {}), ...(extra.parsed ?? {}) };
      const entry = lokiEntry(labels, value[0], value[1], index++);
      if (entry) {
        out.push(entry);
      }
    }
  }
  return out;
}

/** Tempo `GET /api/search` answer for a TraceQL query. */
export interface TempoSearchResponse {
  traces?: Array<{
    traceID?: string;
    rootServiceName?: string;
    rootTraceName?: string;
    startTimeUnixNano?: string;
    spanSet?: TempoSpanSet;
    spanSets?: TempoSpanSet[];
  }>;
}

interface TempoSpanSet {
  spans?: Array<{
    spanID?: string;
    name?: string;
    startTimeUnixNano?: string;
    durationNanos?: string;
    attributes?: Array<{ key?: string; value?: Record<string, unknown> }>;
  }>;
}

function attributeValue(v: Record<string, unknown> | undefined): string | undefined {
  if (!v) {
    return undefined;
  }
  const first = v.stringValue ?? v.intValue ?? v.doubleValue ?? v.boolValue;
  return first === undefined ? undefined : String(first);
}

export function entriesFromTempo(response: TempoSearchResponse): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  for (const trace of response.traces ?? []) {
    if (!trace.traceID) {
      continue;
    }
    const sets = trace.spanSets ?? (trace.spanSet ? [trace.spanSet] : []);
    for (const set of sets) {
      for (const span of set.spans ?? []) {
        const time = span.startTimeUnixNano ? nsStringToMs(span.startTimeUnixNano) : NaN;
        if (!span.spanID || !Number.isFinite(time)) {
          continue;
        }
        const attrs: Record<string, string> = {};
        for (const a of span.attributes ?? []) {
          const v = attributeValue(a.value);
          if (a.key && v !== undefined) {
            attrs[a.key] = v;
          }
        }
        const method = attrs['http.request.method'] ?? attrs['http.method'];
        const url = attrs['url.full'] ?? attrs['http.url'];
        const status = Number(attrs['http.response.status_code'] ?? attrs['http.status_code']);
        const failed = attrs.status === 'error' || (Number.isFinite(status) && status >= 500);
        const durationMs = span.durationNanos ? Number(span.durationNanos) / 1e6 : undefined;
        out.push({
          id: `span:${trace.traceID}:${span.spanID}`,
          time,
          kind: 'span',
          title: method && url ? `${method} ${url}` : span.name || trace.rootTraceName || 'span',
          detail:
            [Number.isFinite(status) ? String(status) : undefined, trace.rootServiceName].filter(Boolean).join(' · ') ||
            undefined,
          level: failed ? 'error' : Number.isFinite(status) && status >= 400 ? 'warning' : 'info',
          traceId: trace.traceID,
          spanId: span.spanID,
          durationMs,
        });
      }
    }
  }
  return out;
}

/** One list in time order; on equal times, the order the sources were given in. Duplicates (same id) are kept once. */
export function mergeTimeline(...sources: TimelineEntry[][]): TimelineEntry[] {
  const seen = new Set<string>();
  const all: Array<TimelineEntry & { order: number }> = [];
  let order = 0;
  for (const source of sources) {
    for (const entry of source) {
      if (seen.has(entry.id)) {
        continue;
      }
      seen.add(entry.id);
      all.push({ ...entry, order: order++ });
    }
  }
  all.sort((a, b) => a.time - b.time || a.order - b.order);
  return all.map(({ order: _order, ...entry }) => entry);
}

/** The last entry at or before `timeMs` (to highlight where the player is). */
export function activeEntryIndex(entries: TimelineEntry[], timeMs: number): number {
  let lo = 0;
  let hi = entries.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (entries[mid]!.time <= timeMs) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}
