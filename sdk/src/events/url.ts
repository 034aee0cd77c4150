// URLs as they go into events: credentials always removed, and with `scrubQuery` (the
// default) the query string dropped — in the path's `?…` and in a hash route's `#/x?…` —
// since tokens, emails and search terms live there. A hash that looks like
// `#access_token=…` (OAuth implicit flow) is dropped too.

export function pageUrl(href: string, scrubQuery: boolean): string {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return scrubQuery ? href.replace(/[?#].*$/, '') : href;
  }
  url.username = '';
  url.password = '';
  if (scrubQuery) {
    url.search = '';
    const hash = url.hash;
    if (hash.includes('=')) {
      const q = hash.indexOf('?');
      url.hash = q >= 0 && !hash.slice(0, q).includes('=') ? hash.slice(0, q) : '';
    }
  }
  return url.href;
}
