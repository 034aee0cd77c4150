// Conversions between the index's TypeScript shapes and SQL rows, shared by both engines,
// the one rule for folding activity deltas into a session row, and what newly stored
// segments add to their session (segmentActivity). Keeping the merge in
// TypeScript (on a row read under the writer's lock) means SQLite and PostgreSQL cannot
// drift apart on what "entry URL" or "bounded URL list" mean.
//
// Merge rules for a session (documented in docs as well):
// - counters add up; first_seen = min, last_seen = max;
// - entry_url: the first non-null one applied wins (the page the session started on);
// - service, user_id, browser, os, device, user_agent: the latest non-null value wins
//   (a user who logs in mid-session gets the user id; null never erases);
// - urls: distinct, in order of first appearance, at most MAX_SESSION_URLS kept.

import { checkId } from '@otel-replay/protocol';
import type { SegmentIndexRow, SegmentEncoding, SessionTruncatedReason } from '@otel-replay/protocol';
import type { PendingLegacyChunk, SessionActivity, SessionSummary } from './session-index.ts';

/** URLs a session remembers; later distinct URLs are dropped (the count is in page_views). */
export const MAX_SESSION_URLS = 50;
/** Longest stored string (characters); longer values are cut, not rejected. */
export const MAX_STORED_CHARS = 4096;

export type SqlValue = string | number | null;
export type DbRow = Record<string, unknown>;

/** A session as stored: the summary without its derived fields. */
export type SessionRecord = Omit<SessionSummary, 'durationMs' | 'hasReplay'>;

/** Thrown for rows or deltas the index refuses before touching the database. */
export class InvalidIndexInputError extends Error {
  override readonly name = 'InvalidIndexInputError';
}

/**
 * Stored text never holds NUL (PostgreSQL cannot store it in TEXT) and is bounded.
 * The cut never splits a surrogate pair.
 */
export function cleanText(value: string | null | undefined): string | null {
  if (value == null) return null;
  let s = value.includes('\u0000') ? value.replaceAll('\u0000', '') : value;
  if (s.length > MAX_STORED_CHARS) {
    s = s.slice(0, MAX_STORED_CHARS);
    const last = s.charCodeAt(s.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) s = s.slice(0, -1);
  }
  return s.length > 0 ? s : null;
}

/**
 * The case folding both sides of a substring search go through. Line breaks become
 * spaces because the search columns use "\n" to separate values: a needle can then
 * never match across two of them.
 */
export function foldForSearch(value: string): string {
  return value.toLowerCase().replace(/[\r\n]/g, ' ');
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : Number(v);
}

function strOrNull(v: unknown): string | null {
  return v == null ? null : String(v);
}

function parseUrls(v: unknown): string[] {
  if (typeof v !== 'string') return [];
  try {
    const parsed: unknown = JSON.parse(v);
    return Array.isArray(parsed) ? parsed.filter((u): u is string => typeof u === 'string') : [];
  } catch {
    return [];
  }
}

export function sessionRecordFromDb(r: DbRow): SessionRecord {
  return {
    tenant: String(r.tenant),
    sessionId: String(r.session_id),
    service: strOrNull(r.service),
    userId: strOrNull(r.user_id),
    firstSeen: num(r.first_seen),
    lastSeen: num(r.last_seen),
    entryUrl: strOrNull(r.entry_url),
    urls: parseUrls(r.urls),
    browser: strOrNull(r.browser),
    os: strOrNull(r.os),
    device: strOrNull(r.device),
    userAgent: strOrNull(r.user_agent),
    pageViews: num(r.page_views),
    clicks: num(r.clicks),
    errors: num(r.errors),
    rageClicks: num(r.rage_clicks),
    deadClicks: num(r.dead_clicks),
    networkFailures: num(r.network_failures),
    consoleErrors: num(r.console_errors),
    spans: num(r.spans),
    segments: num(r.segments),
    replayBytes: num(r.replay_bytes),
    // Only a cut session carries these, so an uncut one reads exactly as before.
    ...(r.truncated_at == null ? {} : { truncatedAt: num(r.truncated_at), truncatedReason: String(r.truncated_reason) as SessionTruncatedReason }),
  };
}

export function sessionFromDb(r: DbRow): SessionSummary {
  const rec = sessionRecordFromDb(r);
  return { ...rec, durationMs: rec.lastSeen - rec.firstSeen, hasReplay: rec.segments > 0 };
}

/** Values in schema.SESSION_WRITE_COLUMNS order, search columns included. */
export function sessionToParams(s: SessionRecord): SqlValue[] {
  const searchText = [s.sessionId, s.userId, s.service, s.entryUrl, ...s.urls, s.userAgent]
    .filter((v): v is string => v != null)
    .map(foldForSearch)
    .join('\n');
  const searchUrl = [s.entryUrl, ...s.urls].filter((v): v is string => v != null).map(foldForSearch).join('\n');
  return [
    s.tenant, s.sessionId, s.service, s.userId, s.firstSeen, s.lastSeen, s.entryUrl, JSON.stringify(s.urls),
    s.browser, s.os, s.device, s.userAgent, s.pageViews, s.clicks, s.errors, s.rageClicks, s.deadClicks,
    s.networkFailures, s.consoleErrors, s.spans, s.segments, s.replayBytes,
    searchText, searchUrl, s.browser == null ? '' : foldForSearch(s.browser),
  ];
}

const COUNTERS = [
  'pageViews', 'clicks', 'errors', 'rageClicks', 'deadClicks', 'networkFailures', 'consoleErrors', 'spans', 'segments', 'replayBytes',
] as const;

function checkKeyText(value: unknown, what: string, where: string): void {
  if (typeof value !== 'string' || value.length === 0 || value.includes('\u0000') || value.length > MAX_STORED_CHARS) {
    throw new InvalidIndexInputError(`${where}: ${what} must be a non-empty string without NUL of at most ${MAX_STORED_CHARS} characters; fix the caller`);
  }
}

function checkInt(value: unknown, what: string, where: string, min = 0): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new InvalidIndexInputError(`${where}: ${what} must be an integer >= ${min}, got ${String(value)}; fix the caller`);
  }
}

/** Rejects a delta that would corrupt counters or keys (a bug upstream, not user input). */
export function checkActivity(d: SessionActivity): void {
  const where = `activity of session ${JSON.stringify(String(d?.sessionId).slice(0, 200))}`;
  checkKeyText(d.tenant, 'tenant', where);
  checkKeyText(d.sessionId, 'sessionId', where);
  checkInt(d.firstSeen, 'firstSeen', where);
  checkInt(d.lastSeen, 'lastSeen', where);
  for (const c of COUNTERS) checkInt(d[c], c, where);
  if (!Array.isArray(d.urls)) throw new InvalidIndexInputError(`${where}: urls must be an array of strings; fix the caller`);
}

export function checkSegmentRow(r: SegmentIndexRow): void {
  const where = `segment ${String(r?.seq)} of session ${JSON.stringify(String(r?.sessionId).slice(0, 200))}`;
  checkKeyText(r.tenant, 'tenant', where);
  checkKeyText(r.sessionId, 'sessionId', where);
  checkKeyText(r.windowId, 'windowId', where);
  checkKeyText(r.objectKey, 'objectKey', where);
  checkInt(r.seq, 'seq', where);
  checkInt(r.firstTimestamp, 'firstTimestamp', where);
  checkInt(r.lastTimestamp, 'lastTimestamp', where);
  checkInt(r.eventCount, 'eventCount', where);
  checkInt(r.offset, 'offset', where);
  checkInt(r.length, 'length', where);
  checkInt(r.receivedAt, 'receivedAt', where);
  if (typeof r.encoding !== 'string' || r.encoding.length === 0 || r.encoding.length > 32) {
    throw new InvalidIndexInputError(`${where}: encoding must be a short string, got ${JSON.stringify(r.encoding)}; fix the caller`);
  }
}

export function checkLegacyChunk(c: PendingLegacyChunk): void {
  const where = `legacy chunk ${String(c?.chunk)} of event ${String(c?.eventNumber)} of window ${JSON.stringify(String(c?.windowId).slice(0, 200))} ` +
    `of session ${JSON.stringify(String(c?.sessionId).slice(0, 200))}`;
  checkKeyText(c.tenant, 'tenant', where);
  checkKeyText(c.sessionId, 'sessionId', where);
  try {
    checkId('windowId', c.windowId);
  } catch (err) {
    throw new InvalidIndexInputError(`${where}: ${(err as Error).message}; fix the caller`, { cause: err });
  }
  checkInt(c.eventNumber, 'eventNumber', where);
  checkInt(c.chunk, 'chunk', where);
  checkInt(c.totalChunks, 'totalChunks', where, 1);
  checkInt(c.offset, 'offset', where);
  checkInt(c.timestamp, 'timestamp', where);
  if (typeof c.body !== 'string') throw new InvalidIndexInputError(`${where}: body must be a string; fix the caller`);
}

/** A sweep cutoff must be a real instant, or "older than" means nothing. */
export function checkLegacyCutoff(cutoffMs: number): void {
  if (typeof cutoffMs !== 'number' || !Number.isSafeInteger(cutoffMs)) {
    throw new InvalidIndexInputError(`legacy chunk sweep: cutoffMs must be an integer epoch ms, got ${String(cutoffMs)}; fix the caller`);
  }
}

/** True when a key can name a stored row at all (stored keys never hold NUL). */
export function isStorableKey(value: string): boolean {
  return value.length > 0 && !value.includes('\u0000');
}

function mergeUrls(existing: string[], more: (string | null)[]): string[] {
  const out = existing.slice(0, MAX_SESSION_URLS);
  const seen = new Set(out);
  for (const raw of more) {
    if (out.length >= MAX_SESSION_URLS) break;
    const u = cleanText(raw);
    if (u == null || seen.has(u)) continue;
    seen.add(u);
    out.push(u);
  }
  return out;
}

/** Folds one (checked) delta into the stored row, or starts a row from it. */
export function mergeActivity(existing: SessionRecord | null, d: SessionActivity): SessionRecord {
  const first = Math.min(d.firstSeen, d.lastSeen);
  const last = Math.max(d.firstSeen, d.lastSeen);
  const entry = cleanText(d.entryUrl);
  const latest = (incoming: string | null, current: string | null | undefined): string | null => cleanText(incoming) ?? current ?? null;
  const base: SessionRecord = existing ?? {
    tenant: d.tenant, sessionId: d.sessionId, service: null, userId: null, firstSeen: first, lastSeen: last,
    entryUrl: null, urls: [], browser: null, os: null, device: null, userAgent: null,
    pageViews: 0, clicks: 0, errors: 0, rageClicks: 0, deadClicks: 0, networkFailures: 0, consoleErrors: 0,
    spans: 0, segments: 0, replayBytes: 0,
  };
  const merged: SessionRecord = {
    ...base,
    firstSeen: Math.min(base.firstSeen, first),
    lastSeen: Math.max(base.lastSeen, last),
    service: latest(d.service, base.service),
    userId: latest(d.userId, base.userId),
    entryUrl: base.entryUrl ?? entry,
    urls: mergeUrls(base.urls, [entry, ...d.urls]),
    browser: latest(d.browser, base.browser),
    os: latest(d.os, base.os),
    device: latest(d.device, base.device),
    userAgent: latest(d.userAgent, base.userAgent),
  };
  for (const c of COUNTERS) merged[c] = base[c] + d[c];
  return merged;
}

/** A browser clock this far ahead of the receiver's is wrong (the ingest rule for seen times too). */
export const MAX_CLOCK_AHEAD_MS = 86_400_000;

/**
 * What newly inserted segment rows add to their sessions, one delta per (tenant, session):
 * segments and replay bytes counted, first/last seen widened to the rows' timestamps.
 * Strings are null (keep what the session has) and every other counter is 0. Only rows
 * that were really inserted may be passed: a duplicate must contribute nothing. A
 * timestamp of 0 or more than a day past the row's receivedAt (a wrong browser clock)
 * counts as receivedAt, so one bad clock cannot pin a session to the top of every list.
 */
export function segmentActivity(inserted: SegmentIndexRow[]): SessionActivity[] {
  const byKey = new Map<string, SessionActivity>();
  for (const r of inserted) {
    const plausible = (t: number): number => (t > 0 && t < r.receivedAt + MAX_CLOCK_AHEAD_MS ? t : r.receivedAt);
    const first = Math.min(plausible(r.firstTimestamp), plausible(r.lastTimestamp));
    const last = Math.max(plausible(r.firstTimestamp), plausible(r.lastTimestamp));
    const key = `${r.tenant}\u0000${r.sessionId}`;
    const d = byKey.get(key);
    if (d) {
      d.segments += 1;
      d.replayBytes += r.length;
      d.firstSeen = Math.min(d.firstSeen, first);
      d.lastSeen = Math.max(d.lastSeen, last);
      continue;
    }
    byKey.set(key, {
      tenant: r.tenant, sessionId: r.sessionId, firstSeen: first, lastSeen: last,
      service: null, userId: null, entryUrl: null, urls: [], browser: null, os: null, device: null, userAgent: null,
      pageViews: 0, clicks: 0, errors: 0, rageClicks: 0, deadClicks: 0, networkFailures: 0, consoleErrors: 0, spans: 0,
      segments: 1, replayBytes: r.length,
    });
  }
  return [...byKey.values()];
}

export function segmentToParams(r: SegmentIndexRow): SqlValue[] {
  return [
    r.tenant, r.sessionId, r.windowId, r.seq, r.firstTimestamp, r.lastTimestamp, r.eventCount,
    r.hasFullSnapshot ? 1 : 0, r.encoding, r.objectKey, r.offset, r.length, r.receivedAt,
  ];
}

export function segmentFromDb(r: DbRow): SegmentIndexRow {
  return {
    tenant: String(r.tenant),
    sessionId: String(r.session_id),
    windowId: String(r.window_id),
    seq: num(r.seq),
    firstTimestamp: num(r.first_ts),
    lastTimestamp: num(r.last_ts),
    eventCount: num(r.event_count),
    hasFullSnapshot: num(r.full_snapshot) !== 0,
    encoding: String(r.encoding) as SegmentEncoding,
    objectKey: String(r.object_key),
    offset: num(r.byte_offset),
    length: num(r.byte_length),
    receivedAt: num(r.received_at),
  };
}

/** Values in schema.LEGACY_WRITE_COLUMNS order; `parkedAt` is the receiver's clock (epoch ms). */
export function legacyToParams(c: PendingLegacyChunk, parkedAt: number): SqlValue[] {
  // The body is rrweb JSON text; NUL cannot be stored and never occurs in JSON text.
  return [c.tenant, c.sessionId, c.windowId, c.eventNumber, c.chunk, c.totalChunks, c.offset, c.timestamp, c.body.replaceAll('\u0000', ''), parkedAt];
}

export function legacyFromDb(r: DbRow): PendingLegacyChunk {
  return {
    tenant: String(r.tenant),
    sessionId: String(r.session_id),
    windowId: String(r.window_id),
    eventNumber: num(r.event_number),
    chunk: num(r.chunk),
    totalChunks: num(r.total_chunks),
    offset: num(r.log_offset),
    timestamp: num(r.ts),
    body: String(r.body),
  };
}
