// Builds a receiver from its configuration: the services (object store, session index,
// forwarder, group committer, ingest pipeline) and the fastify app with its three route
// groups — ingest (OTLP), query (/api/v1) and ops (health, metrics). main.ts only adds
// listening and signals; tests build apps the same way.

import cors from '@fastify/cors';
import Fastify, { LogController } from 'fastify';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { Authenticator, AuthError } from './auth.ts';
import { configWarnings } from './config.ts';
import type { ReceiverConfig } from './config.ts';
import { KeyFileWatcher } from './keys/key-file-watcher.ts';
import { RateLimitedError, RateLimiter } from './limits/rate-limiter.ts';
import { QueryGate } from './limits/query-limits.ts';
import { LoadShedder } from './limits/load-shedder.ts';
import { createForwarder } from './forward/create-forwarder.ts';
import type { Forwarder } from './forward/forwarder.ts';
import { createSessionIndex } from './index/create-index.ts';
import { IndexUnavailableError } from './index/session-index.ts';
import type { SessionIndex } from './index/session-index.ts';
import { IngestPipeline } from './ingest/pipeline.ts';
import type { PipelineDeps } from './ingest/pipeline.ts';
import { createIngestRedaction } from './redact/ingest.ts';
import { SessionCaps } from './ingest/session-caps.ts';
import { deleteRoutes } from './query/delete-routes.ts';
import { RetentionJob } from './retention/retention-job.ts';
import { ingestRoutes } from './ingest/routes.ts';
import { Metrics } from './ops/metrics.ts';
import { opsRoutes } from './ops/routes.ts';
import { queryRoutes } from './query/routes.ts';
import { createObjectStore } from './storage/create-store.ts';
import { GroupCommitter } from './storage/group-commit.ts';
import { StoreUnavailableError } from './storage/object-store.ts';
import type { ObjectStore } from './storage/object-store.ts';

export interface Services {
  config: ReceiverConfig;
  store: ObjectStore;
  index: SessionIndex;
  forwarder: Forwarder;
  committer: GroupCommitter;
  pipeline: IngestPipeline;
  auth: Authenticator;
  /** Reloads the key file into `auth` while running (started by createReceiver). */
  keyFile: KeyFileWatcher;
  metrics: Metrics;
  /** Sheds ingest while the process is overloaded; createReceiver starts its loop sampler. */
  loadShedder: LoadShedder;
}

export interface Receiver {
  app: FastifyInstance;
  services: Services;
  /** Stops taking requests, writes pending segments, closes every service. */
  close(): Promise<void>;
}

/** Segment bytes waiting for storage beyond which ingest answers 429 (back-pressure). */
function overloadThreshold(config: ReceiverConfig): number {
  return Math.max(8 * config.groupCommit.maxBytes, 32 * 1024 * 1024);
}

export async function createServices(config: ReceiverConfig): Promise<Services> {
  // Keys first: a key file that does not parse stops the start before anything opens.
  const auth = new Authenticator(config.auth, { rateLimit: config.rateLimit, queryRateLimit: { ...config.queryRateLimit, bytesPerSecond: 0, burstBytes: 0 } });
  const keyFile = new KeyFileWatcher(config.auth.keyFile, config.auth.keyFilePollMs, (doc) => auth.useKeyFile(doc));
  keyFile.loadSync();
  const store = createObjectStore(config.storage);
  const index = await createSessionIndex(config.index);
  const forwarder = await createForwarder(config.forward);
  const committer = new GroupCommitter({ store, index, instanceId: config.instanceId, maxDelayMs: config.groupCommit.maxDelayMs, maxBytes: config.groupCommit.maxBytes });
  const caps = new SessionCaps({ index, maxDurationMs: config.sessionLimits.maxDurationMs, maxBytes: config.sessionLimits.maxBytes });
  // onDropped runs at ingest time, after `metrics` below exists.
  const onDropped: PipelineDeps['onDropped'] = (dropped, cuts) => {
    for (const d of dropped) metrics.capDroppedSegments.inc({ reason: d.reason });
    for (const c of cuts) metrics.sessionsTruncated.inc({ reason: c.reason });
  };
  const pipeline = new IngestPipeline({ segments: committer, index, forwarder, caps, onDropped, redaction: createIngestRedaction(config.redaction) });
  const loadShedder = new LoadShedder(config.loadShedding);
  const metrics = new Metrics({ forwardQueue: () => forwarder.stats(), groupCommit: () => committer.stats(), loadShedding: () => loadShedder.stats() });
  return { config, store, index, forwarder, committer, pipeline, auth, keyFile, metrics, loadShedder };
}

/** CORS for browsers posting straight to the receiver: only listed origins, preflight included. */
function corsOptions(allowed: string[]) {
  const any = allowed.includes('*');
  const set = new Set(allowed);
  return {
    origin: (origin: string | undefined, cb: (err: Error | null, allow: boolean) => void) => cb(null, !origin || any || set.has(origin)),
    methods: ['GET', 'POST', 'OPTIONS'],
    allowedHeaders: ['content-type', 'content-encoding', 'authorization', 'x-otel-replay-key', 'traceparent', 'tracestate'],
    exposedHeaders: ['retry-after'],
    maxAge: 7200,
  };
}

export async function buildApp(services: Services): Promise<FastifyInstance> {
  const { config } = services;
  const app = Fastify({
    logger: { level: config.server.logLevel },
    bodyLimit: config.server.maxBodyBytes,
    // Ids in URLs are bounded by protocol's checkId; this only stops absurd URLs early.
    routerOptions: { maxParamLength: 512 },
    // One log line per request would drown the useful ones under ingest load; /metrics counts requests.
    logController: new LogController({ disableRequestLogging: true }),
    frameworkErrors: (error, _request, reply: FastifyReply) => {
      // e.g. an id longer than maxParamLength: a client error like any other bad id.
      void reply.code(400).send({ error: error.message.length > 200 ? `${error.message.slice(0, 200)}…` : error.message });
    },
  });

  app.addHook('onResponse', async (request, reply) => {
    services.metrics.httpRequests.inc({ route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) });
  });

  // Errors outside the ingest scope (query API, ops) answer JSON `{ error }`.
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof AuthError) return reply.code(error.statusCode).send({ error: error.message });
    if (error instanceof RateLimitedError) return reply.code(429).header('retry-after', String(error.retryAfterSeconds)).send({ error: error.message });
    if (error instanceof StoreUnavailableError || error instanceof IndexUnavailableError) {
      services.metrics.unavailable.inc({ reason: error.name });
      return reply.code(503).header('retry-after', String(config.server.retryAfterSeconds)).send({ error: `temporarily unavailable, retry later: ${error.message}` });
    }
    if (error.validation) return reply.code(400).send({ error: error.message.length > 200 ? `${error.message.slice(0, 200)}…` : error.message });
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    return reply.code(status).send({ error: status >= 500 ? 'internal error' : error.message });
  });

  await app.register(cors, corsOptions(config.server.corsAllowedOrigins));
  await app.register(opsRoutes, {
    metrics: services.metrics,
    checks: {
      index: () => services.index.ping(),
      store: () => services.store.ping(),
    },
  });
  await app.register(ingestRoutes, {
    pipeline: services.pipeline,
    auth: services.auth,
    rateLimiter: new RateLimiter(),
    metrics: services.metrics,
    maxBodyBytes: config.server.maxBodyBytes,
    maxDecompressedBytes: config.server.maxDecompressedBytes,
    retryAfterSeconds: config.server.retryAfterSeconds,
    overloaded: () => services.committer.stats().pendingBytes > overloadThreshold(config),
    loadShedder: services.loadShedder,
  });
  // Reading takes a read or admin token, deleting an admin token; both from one per-key bucket.
  const queryGate = new QueryGate({ auth: services.auth, limiter: new RateLimiter(), onLimited: (who) => services.metrics.queryRateLimited.inc({ tenant: who.tenant }) });
  await app.register(queryRoutes, {
    prefix: '/api/v1',
    index: services.index,
    store: services.store,
    tenantOf: (request) => queryGate.admit(request, 'read').tenant,
  });
  await app.register(deleteRoutes, {
    prefix: '/api/v1',
    index: services.index,
    tenantOf: (request) => queryGate.admit(request, 'delete').tenant,
    onDeleted: (count) => services.metrics.sessionsDeleted.inc(count),
  });
  return app;
}

/** The retention job of a receiver, reporting to its metrics and log. */
export function createRetentionJob(services: Services, log: FastifyInstance['log']): RetentionJob {
  const { config, metrics } = services;
  return new RetentionJob({
    index: services.index,
    store: services.store,
    config: config.retention,
    knownTenants: [config.auth.defaultTenant, ...config.auth.tenants.map((t) => t.id)],
    onRun: (outcome) => {
      if (!outcome.ran) {
        metrics.retentionRuns.inc({ outcome: 'skipped' });
      } else if ('error' in outcome) {
        metrics.retentionRuns.inc({ outcome: 'failed' });
        log.warn({ err: outcome.error }, 'retention run failed; the next run continues where it stopped');
      } else {
        const r = outcome.report;
        metrics.retentionRuns.inc({ outcome: 'done' });
        metrics.retentionRemoved.inc({ kind: 'sessions' }, r.sessions);
        metrics.retentionRemoved.inc({ kind: 'segments' }, r.segments);
        metrics.retentionRemoved.inc({ kind: 'deleted_ids' }, r.deletedIds);
        metrics.retentionRemoved.inc({ kind: 'objects' }, r.objects);
        if (r.sessions + r.segments + r.objects > 0) log.info({ sessions: r.sessions, segments: r.segments, objects: r.objects, days: r.days }, 'retention removed expired recordings');
      }
    },
  });
}

/**
 * Chunks of a legacy event whose other chunks never came are dropped after a day (the
 * rrweb-era SDKs cap a recording at 4 hours, so nothing can still complete them).
 */
const LEGACY_CHUNK_TTL_MS = 24 * 3600_000;
const MAINTENANCE_INTERVAL_MS = 10 * 60_000;

function startMaintenance(services: Services, log: FastifyInstance['log']): NodeJS.Timeout {
  const timer = setInterval(() => {
    services.index.deleteLegacyChunksOlderThan(Date.now() - LEGACY_CHUNK_TTL_MS).then(
      (removed) => { if (removed > 0) log.info({ removed }, 'dropped legacy chunks whose event never completed'); },
      (err: unknown) => log.warn({ err }, 'legacy chunk cleanup failed; will try again'),
    );
  }, MAINTENANCE_INTERVAL_MS);
  timer.unref();
  return timer;
}

export async function createReceiver(config: ReceiverConfig): Promise<Receiver> {
  const services = await createServices(config);
  const app = await buildApp(services);
  const maintenance = startMaintenance(services, app.log);
  const retention = createRetentionJob(services, app.log);
  retention.start();
  services.keyFile.start(app.log);
  services.loadShedder.start();
  for (const warning of configWarnings(config)) app.log.warn(warning);
  const keys = services.auth.keyCounts();
  if (config.auth.required && keys.config + keys.file === 0) {
    app.log.warn({ keyFile: config.auth.keyFile }, 'auth is required but no key exists yet: every request is refused until one is created with `npm run keys -- create`');
  }
  let closed = false;
  return {
    app,
    services,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(maintenance);
      await retention.stop();
      services.keyFile.close();
      services.loadShedder.stop();
      await app.close();
      await services.committer.close();
      await services.forwarder.close();
      await services.index.close();
      await services.store.close();
    },
  };
}
