// Page arithmetic for the sessions table: the receiver pages by limit/offset and reports the
// total, the table shows 1-based pages.

export function pageCount(total: number, pageSize: number): number {
  return Math.max(1, Math.ceil(Math.max(0, total) / pageSize));
}

/** A page number that exists for this total (a shared link may point past the end). */
export function clampPage(page: number, total: number, pageSize: number): number {
  return Math.min(Math.max(1, Math.floor(page)), pageCount(total, pageSize));
}

/** "51–100 of 312", or "No sessions". */
export function pageRangeLabel(page: number, pageSize: number, total: number): string {
  if (total <= 0) {
    return 'No sessions';
  }
  const first = (page - 1) * pageSize + 1;
  const last = Math.min(total, page * pageSize);
  return first > total ? `Page ${page} is past the last of ${total} sessions` : `${first}–${last} of ${total}`;
}
