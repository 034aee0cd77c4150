// Builds the SQL of a session search once for both engines. Every user value travels as
// a bound parameter (only the placeholder style differs: `?` or `$n`); sort fields and
// orders come from a whitelist, so no user string is ever spliced into the SQL text.

import type { SessionQuery, SessionSortField } from './session-index.ts';
import { SESSION_COLUMNS } from './schema.ts';
import { foldForSearch } from './rows.ts';

export type Dialect = 'sqlite' | 'postgres';

export interface BuiltQuery {
  sql: string;
  params: (string | number)[];
}

export interface BuiltSearch {
  /** The page of rows, sorted, limited and offset. */
  page: BuiltQuery;
  /** COUNT(*) of everything matching the same filters, as column `total`. */
  count: BuiltQuery;
}

export const MAX_SEARCH_LIMIT = 500;

/** A query the index refuses (the HTTP layer answers 400 with the message). */
export class InvalidSessionQueryError extends Error {
  override readonly name = 'InvalidSessionQueryError';
}

const SORT_SQL: Record<SessionSortField, string> = {
  firstSeen: 'first_seen',
  lastSeen: 'last_seen',
  duration: '(last_seen - first_seen)',
  errors: 'errors',
  pageViews: 'page_views',
  clicks: 'clicks',
};

export const SESSION_SORT_FIELDS = Object.keys(SORT_SQL) as SessionSortField[];

/** `%`, `_` and the escape character itself match literally under ESCAPE '\'. */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function finite(value: number | undefined, name: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InvalidSessionQueryError(`session search: ${name} must be a finite number, got ${JSON.stringify(value)}`);
  }
  return value;
}

function optionalString(value: string | undefined, name: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new InvalidSessionQueryError(`session search: ${name} must be a string`);
  return value;
}

function optionalBool(value: boolean | undefined, name: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new InvalidSessionQueryError(`session search: ${name} must be true or false`);
  return value;
}

/**
 * Checks the query and returns the SQL for its page and its total. Column times are
 * integers (epoch ms), so fractional bounds are rounded to the equivalent integer bound.
 */
export function buildSessionSearch(query: SessionQuery, dialect: Dialect): BuiltSearch {
  const q = query;
  if (typeof q.tenant !== 'string' || q.tenant.length === 0) throw new InvalidSessionQueryError('session search: tenant is required');
  if (!Number.isInteger(q.limit) || q.limit < 1 || q.limit > MAX_SEARCH_LIMIT) {
    throw new InvalidSessionQueryError(`session search: limit must be an integer from 1 to ${MAX_SEARCH_LIMIT}, got ${JSON.stringify(q.limit)}`);
  }
  if (!Number.isSafeInteger(q.offset) || q.offset < 0) {
    throw new InvalidSessionQueryError(`session search: offset must be a non-negative integer, got ${JSON.stringify(q.offset)}`);
  }
  const sort = q.sort ?? 'lastSeen';
  if (!Object.hasOwn(SORT_SQL, sort)) {
    throw new InvalidSessionQueryError(`session search: sort must be one of ${SESSION_SORT_FIELDS.join(', ')}, got ${JSON.stringify(sort)}`);
  }
  const order = q.order ?? 'desc';
  if (order !== 'asc' && order !== 'desc') throw new InvalidSessionQueryError(`session search: order must be asc or desc, got ${JSON.stringify(order)}`);

  const params: (string | number)[] = [];
  const bind = (value: string | number): string => {
    params.push(value);
    return dialect === 'postgres' ? `$${params.length}` : '?';
  };
  const where: string[] = [];
  // No stored text holds NUL (see rows.cleanText), so a needle with NUL matches nothing;
  // PostgreSQL would reject it as a parameter anyway.
  const never = (s: string): boolean => s.includes('\u0000');
  const contains = (column: string, needle: string): void => {
    if (never(needle)) where.push('1 = 0');
    else where.push(`${column} LIKE ${bind(`%${escapeLike(foldForSearch(needle))}%`)} ESCAPE '\\'`);
  };
  const equals = (column: string, value: string): void => {
    if (never(value)) where.push('1 = 0');
    else where.push(`${column} = ${bind(value)}`);
  };

  where.push(`tenant = ${bind(q.tenant.includes('\u0000') ? '' : q.tenant)}`);
  const from = finite(q.from, 'from');
  const to = finite(q.to, 'to');
  // A session overlaps [from, to] when it ends at/after `from` and starts at/before `to`.
  if (from !== undefined) where.push(`last_seen >= ${bind(Math.ceil(from))}`);
  if (to !== undefined) where.push(`first_seen <= ${bind(Math.floor(to))}`);
  const service = optionalString(q.service, 'service');
  if (service !== undefined) equals('service', service);
  const userId = optionalString(q.userId, 'userId');
  if (userId !== undefined) equals('user_id', userId);
  const url = optionalString(q.url, 'url');
  if (url !== undefined && url !== '') contains('search_url', url);
  const minDuration = finite(q.minDurationMs, 'minDurationMs');
  if (minDuration !== undefined) where.push(`(last_seen - first_seen) >= ${bind(Math.ceil(minDuration))}`);
  const maxDuration = finite(q.maxDurationMs, 'maxDurationMs');
  if (maxDuration !== undefined) where.push(`(last_seen - first_seen) <= ${bind(Math.floor(maxDuration))}`);
  const hasErrors = optionalBool(q.hasErrors, 'hasErrors');
  if (hasErrors !== undefined) where.push(hasErrors ? 'errors > 0' : 'errors = 0');
  const hasRage = optionalBool(q.hasRageClicks, 'hasRageClicks');
  if (hasRage !== undefined) where.push(hasRage ? 'rage_clicks > 0' : 'rage_clicks = 0');
  const hasReplay = optionalBool(q.hasReplay, 'hasReplay');
  if (hasReplay !== undefined) where.push(hasReplay ? 'segments > 0' : 'segments = 0');
  const browser = optionalString(q.browser, 'browser');
  if (browser !== undefined && browser !== '') contains('search_browser', browser);
  const text = optionalString(q.text, 'text');
  if (text !== undefined && text !== '') contains('search_text', text);

  const whereSql = where.join(' AND ');
  const count: BuiltQuery = { sql: `SELECT COUNT(*) AS total FROM sessions WHERE ${whereSql}`, params: [...params] };
  const dir = order === 'asc' ? 'ASC' : 'DESC';
  // session_id breaks ties so pages never overlap or skip rows.
  const orderSql = `ORDER BY ${SORT_SQL[sort]} ${dir}, session_id ${dir}`;
  const limitSql = `LIMIT ${bind(q.limit)} OFFSET ${bind(q.offset)}`;
  return {
    count,
    page: { sql: `SELECT ${SESSION_COLUMNS} FROM sessions WHERE ${whereSql} ${orderSql} ${limitSql}`, params },
  };
}
