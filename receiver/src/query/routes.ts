// The query API under /api/v1, used by the Grafana app plugin through its proxy route:
// session search, one session's windows and segment timeline, raw segment download,
// streamed events from any moment, and the offline HTML export. Only HTTP lives here;
// parsing, planning, reading and rendering are the pure modules next to this file.

import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SegmentIndexRow, SessionDetail, SessionSearchResult } from '@otel-replay/protocol';
import { InvalidSessionQueryError } from '../index/search.ts';
import type { SessionIndex } from '../index/session-index.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { ObjectNotFoundError, StoreUnavailableError } from '../storage/object-store.ts';
import { READ_AHEAD, ndjson, playbackLines } from './event-stream.ts';
import type { PlaybackLine } from './event-stream.ts';
import { EXPORT_CSP, renderExportHtml } from './export-html.ts';
import type { ExportWindow } from './export-html.ts';
import { QueryParamError, eventsQuerySchema, parseEventsParams, parseSearchParams, pathId, pathSeq, searchQuerySchema } from './params.ts';
import { chooseWindow, describeWindows, groupByWindow, planPlayback } from './playback-plan.ts';
import { playerAssets } from './player-assets.ts';
import { readAhead } from './read-ahead.ts';
import { readSegment, readSegmentBytes, readSegmentRun } from './segment-reader.ts';
import type { SegmentOutcome } from './segment-reader.ts';

export interface QueryDeps {
  index: SessionIndex;
  store: ObjectStore;
  /** The tenant whose read or admin token the request carries; throws (401/403, or 429 over the token's rate limit) otherwise. */
  tenantOf(request: FastifyRequest): string;
  /** Clock for the default search range (tests). */
  now?: () => number;
  /** Segments read ahead while streaming (default 4). */
  readAhead?: number;
}

type RawQuery = Record<string, unknown>;
type SessionParams = { sessionId: string };
type SegmentParams = { sessionId: string; windowId: string; seq: string };

function notFound(reply: FastifyReply, message: string) {
  return reply.code(404).send({ error: message });
}

/** `query parameter limit must be <= 500` from a fastify/ajv validation error. */
function validationMessage(error: FastifyError): string {
  const first = error.validation?.[0];
  if (!first) return error.message;
  const where = error.validationContext === 'querystring' ? 'query parameter' : error.validationContext === 'params' ? 'path parameter' : String(error.validationContext ?? 'input');
  const params = first.params as { missingProperty?: string; allowedValues?: unknown[] };
  const name = first.instancePath.replace(/^\//, '').replace(/\//g, '.') || params.missingProperty || '(whole)';
  const allowed = Array.isArray(params.allowedValues) ? `: ${params.allowedValues.join(', ')}` : '';
  return `${where} ${name} ${first.message ?? 'is invalid'}${allowed}`;
}

/** A strong validator for a stored segment: its location never changes once indexed. */
function segmentEtag(row: SegmentIndexRow): string {
  return `"${createHash('sha256').update(`${row.objectKey}\u0000${row.offset}\u0000${row.length}`).digest('base64url').slice(0, 32)}"`;
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((t) => {
    const v = t.trim();
    return v === '*' || v === etag || v === `W/${etag}`;
  });
}

async function* prepend<T>(first: T, rest: AsyncIterable<T>): AsyncGenerator<T, void, undefined> {
  yield first;
  yield* rest;
}

export async function queryRoutes(app: FastifyInstance, deps: QueryDeps): Promise<void> {
  const { index, store } = deps;
  const now = deps.now ?? Date.now;
  const concurrency = deps.readAhead ?? READ_AHEAD;
  const tenants = new WeakMap<FastifyRequest, string>();

  // Authentication comes first, so a caller without a token learns nothing, not even
  // which of its parameters are wrong.
  app.addHook('onRequest', async (request) => {
    tenants.set(request, deps.tenantOf(request));
  });
  const tenantOf = (request: FastifyRequest): string => tenants.get(request) ?? deps.tenantOf(request);

  // Parameter errors answer here; everything else (401, 503, bugs) goes on to the app's handler.
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    if (error instanceof QueryParamError || error instanceof InvalidSessionQueryError) return reply.code(400).send({ error: error.message });
    if (error.validation) return reply.code(400).send({ error: validationMessage(error) });
    throw error;
  });

  // Unmatched paths under the prefix: an id the router could not match ('..', '/', too
  // long for a route parameter) is still a bad id and gets the id's explanation.
  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const m = /\/sessions\/([^/]*)(?:\/segments\/([^/]*))?/.exec(path);
    if (m) {
      const decode = (s: string) => {
        try {
          return decodeURIComponent(s);
        } catch {
          return s;
        }
      };
      pathId('session id', decode(m[1]!));
      if (m[2] !== undefined) pathId('window id', decode(m[2]));
    }
    return notFound(reply, `no query API endpoint ${request.method} ${path.length > 200 ? `${path.slice(0, 200)}…` : path}`);
  });

  app.get<{ Querystring: RawQuery }>('/sessions', { schema: { querystring: searchQuerySchema } }, async (request) => {
    const query = parseSearchParams(request.query, tenantOf(request), now());
    const page = await index.searchSessions(query);
    const result: SessionSearchResult = { sessions: page.sessions, total: page.total, limit: query.limit, offset: query.offset };
    return result;
  });

  app.get<{ Params: SessionParams }>('/sessions/:sessionId', async (request, reply) => {
    const tenant = tenantOf(request);
    const sessionId = pathId('session id', request.params.sessionId);
    const [session, rows] = await Promise.all([index.getSession(tenant, sessionId), index.listSegments(tenant, sessionId)]);
    if (!session) return notFound(reply, `session ${sessionId} not found; it may be outside retention or belong to another tenant`);
    const detail: SessionDetail = { ...session, windows: describeWindows(rows) };
    return detail;
  });

  app.get<{ Params: SegmentParams }>('/sessions/:sessionId/segments/:windowId/:seq', async (request, reply) => {
    const tenant = tenantOf(request);
    const sessionId = pathId('session id', request.params.sessionId);
    const windowId = pathId('window id', request.params.windowId);
    const seq = pathSeq(request.params.seq);
    const rows = await index.listSegments(tenant, sessionId, windowId);
    const row = rows.find((r) => r.seq === seq);
    if (!row) return notFound(reply, `segment ${seq} of window ${windowId} of session ${sessionId} is not stored`);
    const etag = segmentEtag(row);
    reply.header('etag', etag).header('cache-control', 'private, max-age=31536000, immutable');
    if (etagMatches(request.headers['if-none-match'], etag)) return reply.code(304).send();
    let bytes: Uint8Array;
    try {
      bytes = await readSegmentBytes(store, row);
    } catch (err) {
      if (err instanceof ObjectNotFoundError) return notFound(reply, `segment ${seq} of window ${windowId} of session ${sessionId} is indexed but object ${row.objectKey} is missing from the store`);
      throw err;
    }
    // The stored member as it is: a gzip-json segment comes back byte for byte as the SDK sent it.
    return reply
      .header('content-type', 'application/json')
      .header('content-encoding', 'gzip')
      .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  });

  app.get<{ Params: SessionParams; Querystring: RawQuery }>('/sessions/:sessionId/events', { schema: { querystring: eventsQuerySchema } }, async (request, reply) => {
    const tenant = tenantOf(request);
    const sessionId = pathId('session id', request.params.sessionId);
    const params = parseEventsParams(request.query);
    const rows = await index.listSegments(tenant, sessionId);
    if (rows.length === 0) {
      const session = await index.getSession(tenant, sessionId);
      return notFound(reply, session ? `session ${sessionId} has no replay recorded` : `session ${sessionId} not found; it may be outside retention or belong to another tenant`);
    }
    const windows = groupByWindow(rows);
    const windowId = params.windowId ?? chooseWindow(windows, params.at)!;
    const segs = windows.get(windowId);
    if (!segs) return notFound(reply, `window ${windowId} not found in session ${sessionId}; its windows are ${[...windows.keys()].join(', ')}`);
    const plan = planPlayback(segs, windowId, params.at, params.until)!;

    const abort = new AbortController();
    reply.raw.on('close', () => abort.abort());
    const lines = playbackLines(sessionId, plan, (run) => readSegmentRun(store, run), { concurrency, signal: abort.signal });
    // The start line and the first step are produced before answering, so a store that
    // is down becomes a 503 with Retry-After rather than a stream that breaks at once.
    const head: string[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const next = await lines.next();
        if (next.done) break;
        head.push(next.value);
      }
    } catch (err) {
      abort.abort();
      throw err;
    }
    const log = request.log;
    async function* body(): AsyncGenerator<string, void, undefined> {
      yield* head;
      try {
        yield* lines;
      } catch (err) {
        if (!(err instanceof StoreUnavailableError)) throw err;
        log.warn({ err }, 'object store became unavailable while streaming events');
        // Headers are gone; say so in-band. No `end` line follows, so clients see the stream is incomplete.
        yield ndjson({ type: 'error', reason: `object store unavailable, retry later: ${err.message}`, retryable: true });
      }
    }
    return reply
      .header('content-type', 'application/x-ndjson; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .send(Readable.from(body()));
  });

  app.get<{ Params: SessionParams }>('/sessions/:sessionId/export.html', async (request, reply) => {
    const tenant = tenantOf(request);
    const sessionId = pathId('session id', request.params.sessionId);
    const [session, rows] = await Promise.all([index.getSession(tenant, sessionId), index.listSegments(tenant, sessionId)]);
    if (!session) return notFound(reply, `session ${sessionId} not found; it may be outside retention or belong to another tenant`);
    const player = await playerAssets();
    const groups = groupByWindow(rows);
    const abort = new AbortController();
    reply.raw.on('close', () => abort.abort());
    const read = (row: SegmentIndexRow) => readSegment(store, row);
    const windows: ExportWindow[] = describeWindows(rows).map((w) => ({
      windowId: w.windowId,
      firstTimestamp: w.firstTimestamp,
      lastTimestamp: w.lastTimestamp,
      eventCount: w.eventCount,
      gaps: w.gaps,
      segments: readAhead(groups.get(w.windowId)!, read, { concurrency, signal: abort.signal }),
    }));
    // Read the first segment before answering: a store that is down is a 503, not a broken download.
    const first = windows[0];
    if (first) {
      const firstRow = groups.get(first.windowId)![0]!;
      let outcome: SegmentOutcome;
      try {
        outcome = await read(firstRow);
      } catch (err) {
        abort.abort();
        throw err;
      }
      const rest = readAhead(groups.get(first.windowId)!.slice(1), read, { concurrency, signal: abort.signal });
      first.segments = prepend(outcome, rest);
    }
    const html = renderExportHtml({ session, windows, player, generatedAt: now() });
    return reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-disposition', `attachment; filename="session-${sessionId}.html"`)
      .header('content-security-policy', EXPORT_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'no-store')
      .send(Readable.from(html));
  });
}
