// The Sessions page's state (time range, filters, sort, page) as URL search parameters, so
// a search can be shared by copying the address. Defaults are left out of the URL; values
// that cannot be read fall back to defaults instead of breaking the page.

export const SORT_FIELDS = ['firstSeen', 'lastSeen', 'duration', 'errors', 'pageViews', 'clicks'] as const;
export type SortField = (typeof SORT_FIELDS)[number];
export type SortOrder = 'asc' | 'desc';
export const PAGE_SIZES = [25, 50, 100] as const;

export interface SessionFilters {
  /** Grafana time expressions (`now-24h`) or epoch ms as strings, as the time picker keeps them. */
  from: string;
  to: string;
  service: string;
  user: string;
  url: string;
  /** Seconds, as typed; empty when unset. */
  minDuration: string;
  maxDuration: string;
  hasErrors: boolean;
  rageClicks: boolean;
  browser: string;
  q: string;
  sort: SortField;
  order: SortOrder;
  /** 1-based. */
  page: number;
  pageSize: number;
}

export const DEFAULT_FILTERS: SessionFilters = {
  from: 'now-24h',
  to: 'now',
  service: '',
  user: '',
  url: '',
  minDuration: '',
  maxDuration: '',
  hasErrors: false,
  rageClicks: false,
  browser: '',
  q: '',
  sort: 'firstSeen',
  order: 'desc',
  page: 1,
  pageSize: 50,
};

const TEXT_KEYS = ['from', 'to', 'service', 'user', 'url', 'browser', 'q'] as const;
const MAX_TEXT = 500;

function positiveInt(raw: string | null, fallback: number): number {
  if (raw === null || !/^\d{1,9}$/.test(raw)) {
    return fallback;
  }
  const n = Number(raw);
  return n >= 1 ? n : fallback;
}

function seconds(raw: string | null): string {
  return raw !== null && /^\d{1,9}(\.\d{1,3})?$/.test(raw) ? raw : '';
}

export function filtersFromSearch(search: URLSearchParams | string): SessionFilters {
  const p = typeof search === 'string' ? new URLSearchParams(search) : search;
  const f: SessionFilters = { ...DEFAULT_FILTERS };
  for (const key of TEXT_KEYS) {
    const v = p.get(key);
    if (v !== null && v.length <= MAX_TEXT) {
      f[key] = v;
    }
  }
  f.minDuration = seconds(p.get('minDuration'));
  f.maxDuration = seconds(p.get('maxDuration'));
  f.hasErrors = p.get('errors') === 'true';
  f.rageClicks = p.get('rage') === 'true';
  const sort = p.get('sort');
  f.sort = (SORT_FIELDS as readonly string[]).includes(sort ?? '') ? (sort as SortField) : DEFAULT_FILTERS.sort;
  const order = p.get('order');
  f.order = order === 'asc' || order === 'desc' ? order : DEFAULT_FILTERS.order;
  f.page = positiveInt(p.get('page'), 1);
  const size = positiveInt(p.get('pageSize'), DEFAULT_FILTERS.pageSize);
  f.pageSize = (PAGE_SIZES as readonly number[]).includes(size) ? size : DEFAULT_FILTERS.pageSize;
  return f;
}

export function filtersToSearch(f: SessionFilters): URLSearchParams {
  const p = new URLSearchParams();
  for (const key of TEXT_KEYS) {
    if (f[key] !== DEFAULT_FILTERS[key] && f[key] !== '') {
      p.set(key, f[key]);
    }
  }
  if (f.minDuration) {
    p.set('minDuration', f.minDuration);
  }
  if (f.maxDuration) {
    p.set('maxDuration', f.maxDuration);
  }
  if (f.hasErrors) {
    p.set('errors', 'true');
  }
  if (f.rageClicks) {
    p.set('rage', 'true');
  }
  if (f.sort !== DEFAULT_FILTERS.sort) {
    p.set('sort', f.sort);
  }
  if (f.order !== DEFAULT_FILTERS.order) {
    p.set('order', f.order);
  }
  if (f.page !== 1) {
    p.set('page', String(f.page));
  }
  if (f.pageSize !== DEFAULT_FILTERS.pageSize) {
    p.set('pageSize', String(f.pageSize));
  }
  return p;
}

/** A filter change: any change other than paging goes back to the first page. */
export function updateFilters(f: SessionFilters, change: Partial<SessionFilters>): SessionFilters {
  const next = { ...f, ...change };
  if (!('page' in change)) {
    next.page = 1;
  }
  return next;
}

/** Clicking a column: same column flips the order, a new column sorts descending. */
export function toggleSort(f: SessionFilters, field: SortField): SessionFilters {
  return updateFilters(f, { sort: field, order: f.sort === field && f.order === 'desc' ? 'asc' : 'desc' });
}

/**
 * The receiver's `GET /sessions` parameters. `resolveTime` turns the picker's expressions
 * into epoch ms (Grafana's dateMath in the app; a fixed clock in tests).
 */
export function toSearchQuery(
  f: SessionFilters,
  resolveTime: (raw: string, roundUp: boolean) => number
): URLSearchParams {
  const p = new URLSearchParams();
  p.set('from', String(resolveTime(f.from, false)));
  p.set('to', String(resolveTime(f.to, true)));
  const text: Array<[string, string]> = [
    ['service', f.service],
    ['user', f.user],
    ['url', f.url],
    ['browser', f.browser],
    ['q', f.q],
  ];
  for (const [k, v] of text) {
    if (v.trim()) {
      p.set(k, v.trim());
    }
  }
  if (f.minDuration) {
    p.set('minDurationMs', String(Math.round(Number(f.minDuration) * 1000)));
  }
  if (f.maxDuration) {
    p.set('maxDurationMs', String(Math.round(Number(f.maxDuration) * 1000)));
  }
  if (f.hasErrors) {
    p.set('hasErrors', 'true');
  }
  if (f.rageClicks) {
    p.set('rageClicks', 'true');
  }
  p.set('sort', f.sort);
  p.set('order', f.order);
  p.set('limit', String(f.pageSize));
  p.set('offset', String((f.page - 1) * f.pageSize));
  return p;
}
