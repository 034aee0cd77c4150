// Which URLs a replayed recording may keep. A recording is data from a stranger's browser:
// any URL left in it can make the viewer's browser fetch something (a tracking pixel, a
// stylesheet from an attacker, a GET on the viewer's own Grafana with their cookies). The
// rule is an allowlist: fragment links, inert data: URLs of the right media type, and
// absolute http(s) URLs on origins the team listed. Everything else becomes a placeholder
// that loads nothing. Relative URLs are refused too: in the replay they would resolve
// against the viewer's page (Grafana), not the recorded site.

/** Where a URL sits, which decides what an inert replacement looks like and which data: types are harmless. */
export type UrlContext =
  /** Loaded as an image (img src/srcset, poster, SVG <image>, input type=image, canvas images). */
  | 'image'
  /** Loaded as audio/video/captions. */
  | 'media'
  /** Inside CSS (url(), @import, image-set()): images and fonts. */
  | 'css'
  /** Loaded or navigated to as a document or generic resource (iframe, object, link, a, form, base, script, use). */
  | 'document';

export interface UrlPolicy {
  /**
   * Origins (scheme://host[:port]) whose assets may load during replay, for teams whose
   * assets are public. Default: none — nothing recorded can reach the network.
   */
  allowedOrigins?: readonly string[];
}

/** A 1×1 transparent GIF: an image that loads nothing and draws nothing. */
export const INERT_IMAGE = 'data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7';
/** Navigates nowhere and fetches nothing. */
export const INERT_DOCUMENT = 'about:blank';
/** An empty data: URL: invalid as an image or font, so nothing is drawn or fetched. */
export const INERT_CSS = 'data:,';

export function inertUrl(context: UrlContext): string {
  if (context === 'image') return INERT_IMAGE;
  if (context === 'css') return INERT_CSS;
  return INERT_DOCUMENT;
}

const DATA_TYPES: Record<UrlContext, RegExp | null> = {
  image: /^image\/[a-z0-9.+-]+$/,
  media: /^(audio|video)\/[a-z0-9.+-]+$|^text\/vtt$/,
  css: /^image\/[a-z0-9.+-]+$|^font\/[a-z0-9.+-]+$|^application\/(x-)?font-[a-z0-9.+-]+$|^application\/vnd\.ms-fontobject$/,
  // A data: document (text/html, image/svg+xml in an iframe or <object>) is a page of its own.
  document: null,
};

/** The URL as a browser's URL parser would read it: tabs and newlines removed, C0 controls and spaces trimmed. */
export function normalizeUrl(raw: string): string {
  return raw.replace(/[\t\n\r]/g, '').replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '');
}

/** Normalised origins of the allowlist; invalid entries are refused so a typo is not silently ignored. */
export function allowedOriginSet(origins: readonly string[] = []): Set<string> {
  const out = new Set<string>();
  for (const o of origins) {
    let url: URL;
    try {
      url = new URL(o);
    } catch {
      throw new Error(`allowed asset origin ${JSON.stringify(o)} is not a URL; write it as https://assets.example.com`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`allowed asset origin ${JSON.stringify(o)} must be http(s)`);
    out.add(url.origin);
  }
  return out;
}

/** The mime type of a data: URL, lower-cased, or '' when it has none. */
function dataMimeType(url: string): string {
  const body = url.slice('data:'.length);
  const end = body.search(/[;,]/);
  return (end < 0 ? body : body.slice(0, end)).trim().toLowerCase();
}

/**
 * `raw` when replaying it cannot reach the network (or reaches an allowed origin), else the
 * inert placeholder for its context.
 */
export function safeUrl(raw: string, context: UrlContext, allowed: ReadonlySet<string>): string {
  const url = normalizeUrl(raw);
  // An empty URL fetches nothing (img, link) or means "this document" (a, form), which in
  // the replay is the sandboxed about:blank frame.
  if (url === '') return raw;
  if (url.startsWith('#')) return raw;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Relative (including //host protocol-relative): it would resolve against the viewer's page.
    return inertUrl(context);
  }
  if (parsed.protocol === 'data:') {
    const types = DATA_TYPES[context];
    return types && types.test(dataMimeType(url)) ? raw : inertUrl(context);
  }
  if ((parsed.protocol === 'https:' || parsed.protocol === 'http:') && allowed.has(parsed.origin)) return raw;
  return inertUrl(context);
}

/**
 * A srcset (or imagesrcset) with each candidate URL made safe, read the way the HTML
 * standard's srcset parser reads it (URLs may contain commas; descriptors may contain
 * parentheses), so what is checked is what a browser would fetch.
 */
export function safeSrcset(raw: string, allowed: ReadonlySet<string>): string {
  const out: string[] = [];
  let i = 0;
  const n = raw.length;
  const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f';
  while (i < n) {
    while (i < n && (isSpace(raw[i]) || raw[i] === ',')) i++;
    if (i >= n) break;
    const start = i;
    while (i < n && !isSpace(raw[i])) i++;
    let url = raw.slice(start, i);
    let descriptors = '';
    if (url.endsWith(',')) {
      url = url.replace(/,+$/, '');
    } else {
      const dStart = i;
      let inParens = false;
      while (i < n) {
        const c = raw[i]!;
        if (c === '(') inParens = true;
        else if (c === ')') inParens = false;
        else if (c === ',' && !inParens) break;
        i++;
      }
      descriptors = raw.slice(dStart, i).trim();
      i++;
    }
    const safe = safeUrl(url, 'image', allowed);
    out.push(descriptors ? `${safe} ${descriptors}` : safe);
  }
  return out.join(', ');
}
