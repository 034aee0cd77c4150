// OTLP/HTTP ingest: POST /v1/logs and /v1/traces, JSON or protobuf, optionally
// compressed. Answers follow the OTLP spec: the response has the request's content type;
// 200 (with partial_success when some records were refused), 400 undecodable, 401 bad
// key, 413 too large, 415 unknown type, 429/503 + Retry-After when overloaded or a
// dependency is down (retryable; 503 before the body is read when the process is
// overloaded, limits/load-shedder.ts), never an acknowledgement for data that is not durable.

import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AuthError } from '../auth.ts';
import type { Authenticator, Identity } from '../auth.ts';
import { QueueFullError } from '../forward/forwarder.ts';
import { IndexUnavailableError } from '../index/session-index.ts';
import type { OtlpEncoding } from '../otlp/model.ts';
import { decodeBody, parseContentType } from '../otlp/content.ts';
import { decodeLogs } from '../otlp/decode-logs.ts';
import { decodeTraces } from '../otlp/decode-traces.ts';
import { OtlpError } from '../otlp/errors.ts';
import { encodeExportResponse, encodeStatus } from '../otlp/respond.ts';
import type { Metrics } from '../ops/metrics.ts';
import { StoreUnavailableError } from '../storage/object-store.ts';
import { RateLimitedError } from '../limits/rate-limiter.ts';
import type { RateLimiter } from '../limits/rate-limiter.ts';
import type { LoadShedder, ShedReason } from '../limits/load-shedder.ts';
import type { IngestPipeline } from './pipeline.ts';

export interface IngestDeps {
  pipeline: IngestPipeline;
  auth: Authenticator;
  /** Per-key token buckets (limits come with each key's Identity). */
  rateLimiter: RateLimiter;
  metrics: Metrics;
  maxBodyBytes: number;
  maxDecompressedBytes: number;
  retryAfterSeconds: number;
  /** True while the receiver should shed load (e.g. too many segment bytes waiting for storage). */
  overloaded(): boolean;
  /** Sheds requests before their body is read while the process is overloaded (event-loop delay, requests in flight). */
  loadShedder: LoadShedder;
}

/** google.rpc.Code values used in Status bodies. */
const RpcCode = { INVALID_ARGUMENT: 3, PERMISSION_DENIED: 7, UNAUTHENTICATED: 16, RESOURCE_EXHAUSTED: 8, UNAVAILABLE: 14, INTERNAL: 13 } as const;

class OverloadedError extends Error {
  override readonly name = 'OverloadedError';
}

class LoadShedError extends Error {
  override readonly name = 'LoadShedError';
  readonly reason: ShedReason;
  readonly retryAfterSeconds: number;

  constructor(message: string, reason: ShedReason, retryAfterSeconds: number) {
    super(message);
    this.reason = reason;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The encoding to answer in: the request's, or JSON when the request's is unusable. */
function replyEncoding(request: FastifyRequest): OtlpEncoding {
  try {
    return parseContentType(request.headers['content-type']);
  } catch {
    return 'json';
  }
}

function grpcCodeFor(status: number): number {
  if (status === 401) return RpcCode.UNAUTHENTICATED;
  if (status === 403) return RpcCode.PERMISSION_DENIED;
  if (status === 429) return RpcCode.RESOURCE_EXHAUSTED;
  if (status === 503) return RpcCode.UNAVAILABLE;
  if (status >= 500) return RpcCode.INTERNAL;
  return RpcCode.INVALID_ARGUMENT;
}

export async function ingestRoutes(app: FastifyInstance, deps: IngestDeps): Promise<void> {
  // We read every body as raw bytes and decode it ourselves: the content type decides the
  // decoder, and compressed bodies must be inflated under our own cap.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: deps.maxBodyBytes }, (_request, body, done) => done(null, body));

  const sendError = (request: FastifyRequest, reply: FastifyReply, status: number, message: string, retryAfterSeconds = deps.retryAfterSeconds) => {
    const encoding = replyEncoding(request);
    const { contentType, body } = encodeStatus(encoding, grpcCodeFor(status), message);
    if (status === 429 || status === 503) reply.header('retry-after', String(retryAfterSeconds));
    return reply.code(status).type(contentType).send(body);
  };

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof OtlpError) return sendError(request, reply, error.status, error.message);
    if (error instanceof AuthError) return sendError(request, reply, error.statusCode, error.message);
    if (error instanceof RateLimitedError) return sendError(request, reply, 429, error.message, error.retryAfterSeconds);
    // 503, not 429: the whole process is overloaded, not this client over its share (as the
    // Collector's memory_limiter answers); OTLP clients retry both, honouring Retry-After.
    if (error instanceof LoadShedError) return sendError(request, reply, 503, error.message, error.retryAfterSeconds);
    if (error instanceof OverloadedError) {
      deps.metrics.unavailable.inc({ reason: 'overloaded' });
      return sendError(request, reply, 429, error.message);
    }
    if (error instanceof StoreUnavailableError || error instanceof IndexUnavailableError || error instanceof QueueFullError) {
      deps.metrics.unavailable.inc({ reason: error.name });
      request.log.warn({ err: error }, 'dependency unavailable; answering 503');
      return sendError(request, reply, 503, `temporarily unavailable, retry later: ${error.message}`);
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendError(request, reply, 413, `request body is larger than ${deps.maxBodyBytes} bytes`);
    if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return sendError(request, reply, 415, error.message);
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) return sendError(request, reply, error.statusCode, error.message);
    request.log.error({ err: error }, 'ingest failed');
    return sendError(request, reply, 500, 'internal error while ingesting; the request was not stored');
  });

  // Shedding comes first and before the body is read: a shed request costs a header parse
  // and a small answer (Node discards the unread body and keeps the connection), and takes
  // no rate-limit tokens. Only POST: other methods get their 405.
  const SHED_LOG_EVERY_MS = 10_000;
  let shedLoggedAt = -Infinity;
  app.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'POST') return;
    const admission = deps.loadShedder.admit();
    if (admission.admitted) {
      // 'close' comes once the answer is sent or the connection is gone, whichever is first.
      reply.raw.once('close', admission.release);
      return;
    }
    deps.metrics.loadShed.inc({ reason: admission.reason });
    const now = performance.now();
    if (now - shedLoggedAt >= SHED_LOG_EVERY_MS) {
      shedLoggedAt = now;
      request.log.warn({ reason: admission.reason, ...deps.loadShedder.stats() }, `shedding ingest load (503 + Retry-After): ${admission.message}`);
    }
    throw new LoadShedError(admission.message, admission.reason, admission.retryAfterSeconds);
  });

  // Who is sending, and whether their key has room, is decided before the body is read:
  // a refused client costs no body bytes. Only POST: other methods get their 405.
  const identities = new WeakMap<FastifyRequest, Identity>();
  const refuse = (identity: Identity, decision: { retryAfterSeconds: number; limit: 'requests' | 'bytes' | null }): never => {
    deps.metrics.rateLimited.inc({ tenant: identity.tenant, limit: decision.limit ?? 'requests' });
    const who = identity.keyId ? `write key ${identity.keyId}` : `tenant ${identity.tenant}`;
    throw new RateLimitedError(`${who} is over its ${decision.limit === 'bytes' ? 'bytes' : 'requests'} per second limit; retry after ${decision.retryAfterSeconds} s`, decision.retryAfterSeconds);
  };
  app.addHook('onRequest', async (request) => {
    if (request.method !== 'POST') return;
    const identity = deps.auth.identify(request, 'write');
    identities.set(request, identity);
    const length = Number(request.headers['content-length']);
    const decision = deps.rateLimiter.take(identity.bucket, identity.limits, Number.isFinite(length) && length > 0 ? length : 0);
    if (!decision.allowed) refuse(identity, decision);
  });

  const readRequest = async (request: FastifyRequest, signal: 'logs' | 'traces') => {
    const identity = identities.get(request) ?? deps.auth.identify(request, 'write');
    const tenant = identity.tenant;
    const encoding = parseContentType(request.headers['content-type']);
    if (deps.overloaded()) throw new OverloadedError('the receiver is busy storing earlier segments; retry after the Retry-After delay');
    const raw = request.body;
    if (raw !== undefined && !Buffer.isBuffer(raw)) throw new OtlpError(400, `${signal} request body could not be read`);
    // A chunked body had no Content-Length to charge up front: charge what came.
    if (raw && request.headers['content-length'] === undefined) deps.rateLimiter.charge(identity.bucket, identity.limits, raw.byteLength);
    const body = await decodeBody(raw ?? Buffer.alloc(0), request.headers['content-encoding'] as string | undefined, deps.maxDecompressedBytes);
    return { tenant, encoding, body };
  };

  app.post('/v1/logs', async (request, reply) => {
    const started = process.hrtime.bigint();
    const { tenant, encoding, body } = await readRequest(request, 'logs');
    const logs = decodeLogs(body, encoding);
    const result = await deps.pipeline.ingestLogs(tenant, logs, encoding, body);
    deps.metrics.ingestRecords.inc({ kind: 'segment' }, result.segmentsStored + result.segmentsDuplicate);
    deps.metrics.ingestRecords.inc({ kind: 'legacy' }, result.legacyRecords);
    deps.metrics.ingestRecords.inc({ kind: 'log' }, result.forwardedRecords);
    deps.metrics.ingestRecords.inc({ kind: 'rejected' }, result.rejected);
    deps.metrics.segmentsStored.inc(result.segmentsStored);
    deps.metrics.segmentDuplicates.inc(result.segmentsDuplicate);
    deps.metrics.ingestSeconds.observe({ signal: 'logs' }, Number(process.hrtime.bigint() - started) / 1e9);
    const partial = result.rejected > 0 ? { rejected: result.rejected, errorMessage: result.errorMessage } : undefined;
    const response = encodeExportResponse('logs', encoding, partial);
    return reply.code(200).type(response.contentType).send(response.body);
  });

  // OTLP/HTTP is POST only; say so like the Collector does rather than answering 404.
  app.route({
    method: ['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH'],
    url: '/v1/:signal(^logs|traces$)',
    handler: async (request, reply) => reply.code(405).header('allow', 'POST, OPTIONS').type('text/plain').send(`method ${request.method} is not allowed: OTLP/HTTP accepts POST only`),
  });

  app.post('/v1/traces', async (request, reply) => {
    const started = process.hrtime.bigint();
    const { tenant, encoding, body } = await readRequest(request, 'traces');
    const traces = decodeTraces(body, encoding);
    await deps.pipeline.ingestTraces(tenant, traces, body, encoding);
    deps.metrics.ingestRecords.inc({ kind: 'span' }, traces.spanCount);
    deps.metrics.ingestSeconds.observe({ signal: 'traces' }, Number(process.hrtime.bigint() - started) / 1e9);
    const response = encodeExportResponse('traces', encoding);
    return reply.code(200).type(response.contentType).send(response.body);
  });
}
