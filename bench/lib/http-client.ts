// Minimal keep-alive HTTP client for load generation: node:http with a shared agent, one
// socket per simulated browser session, the whole response read before resolving.
// node:http rather than fetch because it costs the load generator less CPU per request.

import http from 'node:http';

export interface PostResult {
  status: number;
  /** Milliseconds from starting the request to the end of the response. */
  ms: number;
  /** Response body, so a caller can tell a real OTLP answer from an error page. */
  body: string;
  /** The Retry-After header of the answer, if any (429/503 must carry one). */
  retryAfter?: string;
}

export function keepAliveAgent(sockets: number): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets, scheduling: 'fifo' });
}

/** POSTs `body` to `url` (OTLP/JSON; `headers` add e.g. Content-Encoding); network errors and timeouts resolve with status 0. */
export function post(agent: http.Agent, url: URL, body: Buffer, timeoutMs: number, headers: Record<string, string> = {}): Promise<PostResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    let done = false;
    const finish = (status: number, text: string, retryAfter?: string) => {
      if (done) return;
      done = true;
      resolve({ status, ms: performance.now() - started, body: text, ...(retryAfter !== undefined ? { retryAfter } : {}) });
    };
    const req = http.request(url, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json', ...headers, 'content-length': body.length },
      timeout: timeoutMs,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => finish(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), res.headers['retry-after']));
      res.on('error', (err) => finish(0, err.message));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url.href} within ${timeoutMs} ms`)));
    req.on('error', (err) => finish(0, err.message));
    req.end(body);
  });
}

export async function getJson(url: URL, timeoutMs = 10_000): Promise<{ status: number; json: unknown }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

/** GETs `url` with node:http and returns the body exactly as sent (fetch would inflate Content-Encoding: gzip). */
export function getRaw(agent: http.Agent, url: URL, timeoutMs = 10_000): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'GET', agent, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url.href} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
