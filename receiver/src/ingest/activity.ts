// Turns what passes through the receiver (events, spans, replay segments) into per-session
// activity deltas for the session index: one delta per (tenant, session) per request,
// so the index sees one upsert per session however many records a request carried.

import { Attr, EventName, isSafeId } from '@otel-replay/protocol';
import type { Attributes, AttributeValue, SegmentMeta } from '@otel-replay/protocol';
import type { SessionActivity } from '../index/session-index.ts';
import type { LogRecordView, SpanView } from '../otlp/model.ts';
import { parseUserAgent } from './user-agent.ts';

/** Bounded so a hostile request cannot grow one delta without limit. */
const MAX_URLS_PER_DELTA = 50;
const MAX_STRING = 2048;

function str(v: AttributeValue | undefined): string | null {
  if (typeof v === 'string' && v.length > 0) return v.length > MAX_STRING ? v.slice(0, MAX_STRING) : v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  return null;
}

function nsToMs(ns: bigint): number {
  return Number(ns / 1_000_000n);
}

/** Record attributes win over resource attributes. */
function attr(name: string, record: Attributes, resource: Attributes): AttributeValue | undefined {
  return record[name] ?? resource[name];
}

export class ActivityCollector {
  private readonly deltas = new Map<string, SessionActivity>();
  private readonly tenant: string;
  private readonly now: () => number;

  constructor(tenant: string, now: () => number = Date.now) {
    this.tenant = tenant;
    this.now = now;
  }

  /** The delta of one session, created on first use; null for a missing or unsafe id. */
  private delta(sessionId: AttributeValue | undefined, resource: Attributes): SessionActivity | null {
    if (!isSafeId(sessionId)) return null;
    let d = this.deltas.get(sessionId);
    if (!d) {
      d = {
        tenant: this.tenant, sessionId, firstSeen: Number.MAX_SAFE_INTEGER, lastSeen: 0,
        service: null, userId: null, entryUrl: null, urls: [], browser: null, os: null, device: null, userAgent: null,
        pageViews: 0, clicks: 0, errors: 0, rageClicks: 0, deadClicks: 0, networkFailures: 0, consoleErrors: 0, spans: 0, segments: 0, replayBytes: 0,
      };
      this.deltas.set(sessionId, d);
    }
    this.describeClient(d, resource);
    return d;
  }

  private describeClient(d: SessionActivity, resource: Attributes): void {
    d.service ??= str(resource[Attr.serviceName]);
    const ua = str(resource[Attr.userAgent]);
    if (ua && !d.userAgent) {
      d.userAgent = ua;
      const parsed = parseUserAgent(ua);
      d.browser ??= parsed.browser;
      d.os ??= parsed.os;
      d.device ??= parsed.device;
    }
    d.browser = str(resource[Attr.browserName]) ?? d.browser;
    d.os = str(resource[Attr.osName]) ?? d.os;
    d.device = str(resource[Attr.deviceType]) ?? d.device;
    d.userId = str(resource[Attr.userId]) ?? d.userId;
  }

  private seen(d: SessionActivity, ms: number): void {
    // Clocks of browsers are wrong sometimes; a time far in the future would pin a session
    // to the top of every list, so anything past now + 1 day is taken as now.
    const t = ms > 0 && ms < this.now() + 86_400_000 ? ms : this.now();
    if (t < d.firstSeen) d.firstSeen = t;
    if (t > d.lastSeen) d.lastSeen = t;
  }

  private addUrl(d: SessionActivity, url: string | null): void {
    if (!url) return;
    d.entryUrl ??= url;
    if (d.urls.length < MAX_URLS_PER_DELTA && !d.urls.includes(url)) d.urls.push(url);
  }

  /** A non-replay log record (an SDK event, a console log, anything else with session.id). */
  addLogRecord(record: LogRecordView, resource: Attributes): void {
    const d = this.delta(attr(Attr.sessionId, record.attributes, resource), resource);
    if (!d) return;
    this.seen(d, nsToMs(record.timeUnixNano || record.observedTimeUnixNano));
    d.userId = str(record.attributes[Attr.userId]) ?? d.userId;
    const url = str(record.attributes[Attr.urlFull]);
    switch (record.eventName) {
      case EventName.pageView:
        d.pageViews += 1;
        this.addUrl(d, url);
        break;
      case EventName.click:
        d.clicks += 1;
        break;
      case EventName.rageClick:
        d.rageClicks += 1;
        break;
      case EventName.deadClick:
        d.deadClicks += 1;
        break;
      case EventName.exception:
        d.errors += 1;
        break;
      case EventName.console: {
        const level = str(record.attributes[Attr.consoleLevel]);
        if (level === 'error' || level === 'assert') d.consoleErrors += 1;
        break;
      }
      default:
        // Logs without a known event name still count as evidence the session was alive;
        // an ERROR-or-worse severity (17+) from the browser counts as a console error.
        if (!record.eventName && record.severityNumber >= 17) d.consoleErrors += 1;
    }
  }

  /** A span (network or other) that carries session.id. */
  addSpan(span: SpanView, resource: Attributes): void {
    const d = this.delta(attr(Attr.sessionId, span.attributes, resource), resource);
    if (!d) return;
    d.spans += 1;
    this.seen(d, nsToMs(span.startTimeUnixNano));
    this.seen(d, nsToMs(span.endTimeUnixNano));
    d.userId = str(span.attributes[Attr.userId]) ?? d.userId;
    const statusRaw = span.attributes[Attr.httpStatus] ?? span.attributes[Attr.httpStatusLegacy];
    const status = typeof statusRaw === 'number' ? statusRaw : typeof statusRaw === 'string' ? Number(statusRaw) : typeof statusRaw === 'bigint' ? Number(statusRaw) : NaN;
    const isHttp = !Number.isNaN(status) || span.attributes[Attr.urlFull] !== undefined || span.attributes['http.url'] !== undefined;
    // A network failure: an HTTP error status, or a request that never got one (error.type set / span status error).
    if (isHttp && (status >= 400 || status === 0 || span.attributes[Attr.errorType] !== undefined || span.statusCode === 2)) d.networkFailures += 1;
  }

  /**
   * A replay segment of this request, stored now or earlier (a retry): describes the
   * session's client and widens its seen times, but counts nothing. Segments and replay
   * bytes are counted by the index itself, in the transaction that stores the segment
   * rows, so a failure between the two can neither lose nor double the count. Duplicates
   * are described too, so a retry restores a description a failed update lost.
   */
  describeSegment(meta: Pick<SegmentMeta, 'sessionId' | 'firstTimestamp' | 'lastTimestamp'>, resource: Attributes): void {
    const d = this.delta(meta.sessionId, resource);
    if (!d) return;
    this.seen(d, meta.firstTimestamp);
    this.seen(d, meta.lastTimestamp);
  }

  /** The deltas gathered so far; sessions with no usable time get `now`. */
  result(): SessionActivity[] {
    const out = [...this.deltas.values()];
    for (const d of out) {
      if (d.firstSeen === Number.MAX_SAFE_INTEGER) d.firstSeen = d.lastSeen = this.now();
    }
    return out;
  }
}
