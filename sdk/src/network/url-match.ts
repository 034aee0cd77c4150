// URL matching shared by the network options: strings match as prefixes of the full
// URL (so an origin covers all its paths), RegExps are tested against it.

export function matchesUrl(url: string, patterns: readonly (string | RegExp)[]): boolean {
  for (const p of patterns) {
    if (typeof p === 'string' ? url.startsWith(p) : p.test(url)) return true;
  }
  return false;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The SDK's own OTLP endpoints as patterns for the instrumentations' `ignoreUrls`, so
 * uploads are never traced (a traced upload would create a span that is itself uploaded,
 * forever).
 */
export function ownEndpointPatterns(endpoint: string): RegExp[] {
  const base = endpoint.replace(/\/+$/, '');
  return [new RegExp(`^${escapeRegExp(base)}/v1/(logs|traces|metrics)(\\?|$)`)];
}

/** A string prefix as a RegExp, for APIs that match strings exactly. */
export function prefixPattern(prefix: string): RegExp {
  return new RegExp(`^${escapeRegExp(prefix)}`);
}
