import {
  DEFAULT_FILTERS,
  filtersFromSearch,
  filtersToSearch,
  toSearchQuery,
  toggleSort,
  updateFilters,
} from './urlState';

const fixedTime = (raw: string, up: boolean) =>
  raw === 'now' ? 2_000_000 : raw === 'now-24h' ? 1_000_000 : up ? 9 : 8;

describe('URL state of the Sessions page', () => {
  it('leaves defaults out of the URL and round-trips every filter', () => {
    expect(filtersToSearch(DEFAULT_FILTERS).toString()).toBe('');
    const f = {
      ...DEFAULT_FILTERS,
      from: 'now-7d',
      service: 'shop web',
      user: 'alice',
      url: '/checkout',
      minDuration: '30',
      maxDuration: '600.5',
      hasErrors: true,
      rageClicks: true,
      browser: 'Firefox',
      q: 'a&b=c',
      sort: 'errors' as const,
      order: 'asc' as const,
      page: 3,
      pageSize: 100,
    };
    const search = filtersToSearch(f).toString();
    expect(filtersFromSearch(search)).toEqual(f);
    expect(search).toContain('q=a%26b%3Dc');
  });

  it('falls back to defaults for values it cannot read', () => {
    const f = filtersFromSearch(
      'sort=drop+table&order=sideways&page=-2&pageSize=7&minDuration=abc&errors=yes&from=' + 'x'.repeat(600)
    );
    expect(f).toEqual(DEFAULT_FILTERS);
  });

  it('goes back to page 1 on a filter change but not on paging', () => {
    const onPage4 = { ...DEFAULT_FILTERS, page: 4 };
    expect(updateFilters(onPage4, { service: 'x' }).page).toBe(1);
    expect(updateFilters(onPage4, { page: 5 }).page).toBe(5);
  });

  it('flips the order on the same column and sorts a new column descending', () => {
    const f = toggleSort(DEFAULT_FILTERS, 'firstSeen');
    expect([f.sort, f.order]).toEqual(['firstSeen', 'asc']);
    const g = toggleSort(f, 'duration');
    expect([g.sort, g.order, g.page]).toEqual(['duration', 'desc', 1]);
  });

  it('builds the receiver query: resolved times, seconds to ms, limit and offset from the page', () => {
    const q = toSearchQuery(
      { ...DEFAULT_FILTERS, service: ' shop ', minDuration: '1.5', hasErrors: true, page: 3, pageSize: 25 },
      fixedTime
    );
    expect(Object.fromEntries(q)).toEqual({
      from: '1000000',
      to: '2000000',
      service: 'shop',
      minDurationMs: '1500',
      hasErrors: 'true',
      sort: 'firstSeen',
      order: 'desc',
      limit: '25',
      offset: '50',
    });
  });
});
