import { clampPage, pageCount, pageRangeLabel } from './pagination';

describe('pagination', () => {
  it('counts pages, with at least one', () => {
    expect(pageCount(0, 50)).toBe(1);
    expect(pageCount(50, 50)).toBe(1);
    expect(pageCount(51, 50)).toBe(2);
    expect(pageCount(312, 25)).toBe(13);
  });

  it('clamps a page from a shared link to the pages that exist', () => {
    expect(clampPage(9, 120, 50)).toBe(3);
    expect(clampPage(0, 120, 50)).toBe(1);
    expect(clampPage(2, 120, 50)).toBe(2);
  });

  it('labels the range shown', () => {
    expect(pageRangeLabel(2, 50, 312)).toBe('51–100 of 312');
    expect(pageRangeLabel(7, 50, 312)).toBe('301–312 of 312');
    expect(pageRangeLabel(1, 50, 0)).toBe('No sessions');
    expect(pageRangeLabel(9, 50, 312)).toMatch(/past the last/);
  });
});
