// Parsing and validation of the query API's parameters, free of HTTP: raw query-string
// values in, typed queries out, or a QueryParamError that names the parameter and says
// what is wrong with it. The same limits feed the routes' JSON schemas, so the rules live
// in one place.

import type { SessionQuery, SessionSortField } from '../index/session-index.ts';
import { ProtocolError, checkId } from '@otel-replay/protocol';

/** A bad parameter: the routes answer 400 `{ error: message }`. */
export class QueryParamError extends Error {
  override readonly name = 'QueryParamError';
  readonly statusCode = 400;
  readonly param: string;
  constructor(param: string, message: string) {
    super(message);
    this.param = param;
  }
}

export const SORT_FIELDS: readonly SessionSortField[] = ['firstSeen', 'lastSeen', 'duration', 'errors', 'pageViews', 'clicks'];
export const SORT_ORDERS = ['asc', 'desc'] as const;

export const SearchLimits = {
  defaultLimit: 50,
  maxLimit: 500,
  /** Deep pages cost the database a scan; narrow the time range instead. */
  maxOffset: 1_000_000,
  /** Default search window when `from`/`to` are absent: the last 24 hours. */
  defaultRangeMs: 24 * 60 * 60 * 1000,
  maxTextLength: 256,
  maxUrlLength: 2048,
} as const;

/** Epoch ms bounds accepted for timestamps (up to the end of year 9999, like segments). */
const MAX_EPOCH_MS = 253402300799999;

/** Date, or date-time with optional seconds, fraction and zone. */
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

type RawQuery = Record<string, unknown>;

function show(value: unknown): string {
  const s = JSON.stringify(value) ?? String(value);
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}

/** One scalar value of a parameter, or undefined when absent or empty. */
function single(raw: RawQuery, name: string): string | undefined {
  const v = raw[name];
  if (v === undefined || v === null || v === '') return undefined;
  if (Array.isArray(v)) throw new QueryParamError(name, `query parameter ${name} is given ${v.length} times; give it once`);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v !== 'string') throw new QueryParamError(name, `query parameter ${name} must be a string, got ${show(v)}`);
  return v;
}

/**
 * A point in time as epoch milliseconds. Accepts an integer of milliseconds or an ISO 8601
 * date/date-time; a date-time without a zone is read as UTC (the server's zone means
 * nothing to a browser in another one).
 */
export function parseTimestamp(name: string, value: string): number {
  if (/^\d{1,15}$/.test(value)) {
    const n = Number(value);
    if (n > MAX_EPOCH_MS) throw new QueryParamError(name, `query parameter ${name} = ${value} is past year 9999; give epoch milliseconds or an ISO 8601 date-time`);
    return n;
  }
  const m = ISO_8601.exec(value);
  if (!m) throw new QueryParamError(name, `query parameter ${name} = ${show(value)} is neither epoch milliseconds nor an ISO 8601 date-time (e.g. 2024-05-01T12:00:00Z)`);
  const hasTime = m[4] !== undefined;
  const normalized = hasTime && m[8] === undefined ? `${value.replace(' ', 'T')}Z` : value.replace(' ', 'T');
  const ms = Date.parse(normalized);
  const month = Number(m[2]);
  const day = Number(m[3]);
  // Date.parse rolls 2024-02-31 over to March; a typo should not silently move the range.
  if (!Number.isFinite(ms) || month < 1 || month > 12 || day < 1 || day > 31 || new Date(Date.UTC(Number(m[1]), month - 1, day)).getUTCDate() !== day) {
    throw new QueryParamError(name, `query parameter ${name} = ${show(value)} is not a valid date`);
  }
  if (ms < 0 || ms > MAX_EPOCH_MS) throw new QueryParamError(name, `query parameter ${name} = ${show(value)} is outside 1970..9999`);
  return ms;
}

function optionalTimestamp(raw: RawQuery, name: string): number | undefined {
  const v = single(raw, name);
  return v === undefined ? undefined : parseTimestamp(name, v);
}

function optionalInteger(raw: RawQuery, name: string, min: number, max: number): number | undefined {
  const v = single(raw, name);
  if (v === undefined) return undefined;
  if (!/^-?\d{1,16}$/.test(v)) throw new QueryParamError(name, `query parameter ${name} must be an integer, got ${show(v)}`);
  const n = Number(v);
  if (n < min || n > max) throw new QueryParamError(name, `query parameter ${name} = ${n} is outside ${min}..${max}`);
  return n;
}

function optionalBoolean(raw: RawQuery, name: string): boolean | undefined {
  const v = single(raw, name);
  if (v === undefined) return undefined;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new QueryParamError(name, `query parameter ${name} must be true or false, got ${show(v)}`);
}

function optionalText(raw: RawQuery, name: string, maxLength: number): string | undefined {
  const v = single(raw, name);
  if (v === undefined) return undefined;
  if (v.length > maxLength) throw new QueryParamError(name, `query parameter ${name} is ${v.length} characters long; at most ${maxLength} are allowed`);
  return v;
}

function optionalChoice<T extends string>(raw: RawQuery, name: string, choices: readonly T[]): T | undefined {
  const v = single(raw, name);
  if (v === undefined) return undefined;
  if (!(choices as readonly string[]).includes(v)) throw new QueryParamError(name, `query parameter ${name} must be one of ${choices.join(', ')}, got ${show(v)}`);
  return v as T;
}

/** `GET /sessions` query string → SessionQuery for `tenant`. `now` is injected for tests. */
export function parseSearchParams(raw: RawQuery, tenant: string, now: number): SessionQuery {
  let from = optionalTimestamp(raw, 'from');
  let to = optionalTimestamp(raw, 'to');
  if (from === undefined && to === undefined) {
    to = now;
    from = now - SearchLimits.defaultRangeMs;
  } else if (from === undefined) {
    from = Math.max(0, to! - SearchLimits.defaultRangeMs);
  } else if (to === undefined) {
    to = Math.max(now, from);
  }
  if (from > to!) throw new QueryParamError('from', `query parameter from (${new Date(from).toISOString()}) is after to (${new Date(to!).toISOString()}); swap them`);

  const minDurationMs = optionalInteger(raw, 'minDurationMs', 0, Number.MAX_SAFE_INTEGER);
  const maxDurationMs = optionalInteger(raw, 'maxDurationMs', 0, Number.MAX_SAFE_INTEGER);
  if (minDurationMs !== undefined && maxDurationMs !== undefined && minDurationMs > maxDurationMs) {
    throw new QueryParamError('minDurationMs', `query parameter minDurationMs (${minDurationMs}) is larger than maxDurationMs (${maxDurationMs})`);
  }

  const query: SessionQuery = {
    tenant,
    from,
    to: to!,
    limit: optionalInteger(raw, 'limit', 1, SearchLimits.maxLimit) ?? SearchLimits.defaultLimit,
    offset: optionalInteger(raw, 'offset', 0, SearchLimits.maxOffset) ?? 0,
  };
  // Absent sort/order are left to the index, which keeps the one default (lastSeen, desc).
  const sort = optionalChoice(raw, 'sort', SORT_FIELDS);
  const order = optionalChoice(raw, 'order', SORT_ORDERS);
  if (sort !== undefined) query.sort = sort;
  if (order !== undefined) query.order = order;
  const service = optionalText(raw, 'service', SearchLimits.maxTextLength);
  const userId = optionalText(raw, 'user', SearchLimits.maxTextLength);
  const url = optionalText(raw, 'url', SearchLimits.maxUrlLength);
  const browser = optionalText(raw, 'browser', SearchLimits.maxTextLength);
  const text = optionalText(raw, 'q', SearchLimits.maxTextLength);
  const hasErrors = optionalBoolean(raw, 'hasErrors');
  const hasRageClicks = optionalBoolean(raw, 'rageClicks');
  const hasReplay = optionalBoolean(raw, 'hasReplay');
  if (service !== undefined) query.service = service;
  if (userId !== undefined) query.userId = userId;
  if (url !== undefined) query.url = url;
  if (browser !== undefined) query.browser = browser;
  if (text !== undefined) query.text = text;
  if (minDurationMs !== undefined) query.minDurationMs = minDurationMs;
  if (maxDurationMs !== undefined) query.maxDurationMs = maxDurationMs;
  if (hasErrors !== undefined) query.hasErrors = hasErrors;
  if (hasRageClicks !== undefined) query.hasRageClicks = hasRageClicks;
  if (hasReplay !== undefined) query.hasReplay = hasReplay;
  return query;
}

export interface EventsParams {
  /** Epoch ms to start playback at; undefined = the start of the chosen window. */
  at?: number;
  windowId?: string;
  /** Stop before segments that start after this (epoch ms). */
  until?: number;
}

/** `GET /sessions/:id/events` query string. */
export function parseEventsParams(raw: RawQuery): EventsParams {
  const out: EventsParams = {};
  const at = optionalTimestamp(raw, 'at');
  const until = optionalTimestamp(raw, 'until');
  const windowId = single(raw, 'window');
  if (at !== undefined) out.at = at;
  if (until !== undefined) out.until = until;
  if (at !== undefined && until !== undefined && until < at) throw new QueryParamError('until', `query parameter until (${until}) is before at (${at})`);
  if (windowId !== undefined) out.windowId = pathId('window', windowId);
  return out;
}

/** A session or window id from the URL, checked against protocol's safe-id rule. */
export function pathId(param: string, value: unknown): string {
  try {
    return checkId(param, value);
  } catch (err) {
    if (err instanceof ProtocolError) throw new QueryParamError(param, `${err.message}; ids are what the SDK sent, e.g. a UUID`);
    throw err;
  }
}

/** A segment sequence number from the URL. */
export function pathSeq(value: unknown): number {
  if (typeof value !== 'string' || !/^\d{1,10}$/.test(value) || Number(value) > 2 ** 31 - 1) {
    throw new QueryParamError('seq', `seq ${show(value)} is not a segment sequence number (an integer 0..${2 ** 31 - 1})`);
  }
  return Number(value);
}

const stringParam = (maxLength: number) => ({ type: 'string', maxLength }) as const;

/**
 * JSON schemas of the query strings. Values stay strings (the parsers above convert them
 * with better messages than a generic validator); the schemas reject repeated or
 * overlong parameters up front and document the API.
 */
export const searchQuerySchema = {
  type: 'object',
  properties: {
    from: stringParam(40),
    to: stringParam(40),
    service: stringParam(SearchLimits.maxTextLength),
    user: stringParam(SearchLimits.maxTextLength),
    url: stringParam(SearchLimits.maxUrlLength),
    minDurationMs: stringParam(20),
    maxDurationMs: stringParam(20),
    hasErrors: stringParam(5),
    rageClicks: stringParam(5),
    hasReplay: stringParam(5),
    browser: stringParam(SearchLimits.maxTextLength),
    q: stringParam(SearchLimits.maxTextLength),
    sort: { type: 'string', enum: [...SORT_FIELDS] },
    order: { type: 'string', enum: [...SORT_ORDERS] },
    limit: stringParam(10),
    offset: stringParam(10),
  },
} as const;

export const eventsQuerySchema = {
  type: 'object',
  properties: {
    at: stringParam(40),
    until: stringParam(40),
    window: stringParam(1024),
  },
} as const;
