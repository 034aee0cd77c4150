// Reads the backend's trace context from a `Server-Timing: traceparent;desc="00-…"`
// response header (the convention Splunk RUM and others use), so a browser span can be
// linked to the server trace even when `traceparent` was not propagated (CORS) or the
// server started its own trace. Cross-origin responses must expose the header
// (`Access-Control-Expose-Headers: Server-Timing`).

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

export interface LinkedTrace {
  traceId: string;
  spanId: string;
}

export function parseServerTimingTraceparent(header: string | null | undefined): LinkedTrace | null {
  if (!header || header.length > 8192) return null;
  for (const entry of header.split(',')) {
    const [name, ...params] = entry.split(';').map((s) => s.trim());
    if (name?.toLowerCase() !== 'traceparent') continue;
    for (const param of params) {
      const eq = param.indexOf('=');
      if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== 'desc') continue;
      const value = param.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1').toLowerCase();
      const m = TRACEPARENT.exec(value);
      if (m && !/^0+$/.test(m[1]!) && !/^0+$/.test(m[2]!)) return { traceId: m[1]!, spanId: m[2]! };
    }
  }
  return null;
}
