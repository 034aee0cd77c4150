// The receiver's configuration: one YAML (or JSON) file, with environment variables on
// top, validated at start with errors that name the setting. Defaults give an embedded
// receiver on 127.0.0.1:4318 that stores everything under ./data.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { isSafeId, SegmentLimits } from '@otel-replay/protocol';
import { compileRedaction, RedactionRuleError } from './redact/rules.ts';
import type { RedactionConfig } from './redact/rules.ts';
import type { LoadSheddingConfig } from './limits/load-shedder.ts';

export interface TenantConfig {
  id: string;
  /** Keys accepted on ingest (Authorization: Bearer <key>, or X-Otel-Replay-Key). */
  writeKeys: string[];
  /** Tokens accepted on the query API (Authorization: Bearer <token>). */
  readTokens: string[];
  /** Tokens accepted on the query API that may also delete sessions. */
  adminTokens: string[];
}

export interface ReceiverConfig {
  server: {
    host: string;
    port: number;
    /** Cap on the request body as sent (compressed or not). */
    maxBodyBytes: number;
    /** Cap on the body after decompression (OTLP recommends 64 MiB; we default lower). */
    maxDecompressedBytes: number;
    /** Browser origins allowed by CORS; '*' allows any (not recommended). */
    corsAllowedOrigins: string[];
    /** Seconds clients are told to wait (Retry-After) when overloaded or a dependency is down. */
    retryAfterSeconds: number;
    logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  };
  dataDir: string;
  storage: {
    backend: 'filesystem' | 's3';
    filesystem: { dir: string };
    s3: {
      bucket: string;
      region: string;
      endpoint: string | null;
      forcePathStyle: boolean;
      accessKeyId: string | null;
      secretAccessKey: string | null;
      /** Prepended to every key (e.g. "replay/"). */
      prefix: string;
      /**
       * Deadline of one S3 request, and attempts per call. Kept short so a hung store turns
       * into a 503 the browser can retry, before the browser's own export timeout (10 s).
       */
      requestTimeoutMs: number;
      maxAttempts: number;
    };
  };
  index: {
    engine: 'sqlite' | 'postgres';
    sqlite: { path: string };
    postgres: { url: string; maxConnections: number };
  };
  groupCommit: {
    /** A group is written at most this long after its first segment arrived. */
    maxDelayMs: number;
    /** ...or as soon as it holds this many bytes. */
    maxBytes: number;
  };
  forward: {
    /** Full URL for logs, e.g. http://loki:3100/otlp/v1/logs. null = logs are not forwarded. */
    logsUrl: string | null;
    /** Full URL for traces, e.g. http://tempo:4318/v1/traces. null = traces are not forwarded. */
    tracesUrl: string | null;
    /** Extra headers on every forwarded request. */
    headers: Record<string, string>;
    /** Send X-Scope-OrgID: <tenant> (Loki/Tempo multi-tenancy). */
    tenantHeader: boolean;
    gzip: boolean;
    timeoutMs: number;
    queue: { dir: string; maxBytes: number };
    retry: { initialDelayMs: number; maxDelayMs: number };
  };
  auth: {
    /** When false, requests without a key go to `defaultTenant`. */
    required: boolean;
    defaultTenant: string;
    tenants: TenantConfig[];
    /** Keys made by `npm run keys` (digests only); '' = <dataDir>/keys.json. Reloaded while running. */
    keyFile: string;
    /** How often the key file is checked for changes. */
    keyFilePollMs: number;
    /**
     * With auth optional, whether a keyless DELETE may delete the default tenant's
     * sessions. Off: deletion always needs an admin token, even where reading does not.
     */
    allowKeylessDeletion: boolean;
  };
  /**
   * Per-key token buckets on ingest (per tenant for keyless requests when auth is
   * optional); 0 = no limit. Keys in the key file may override each value.
   */
  rateLimit: {
    requestsPerSecond: number;
    burstRequests: number;
    /** Body bytes as sent (before decompression). */
    bytesPerSecond: number;
    burstBytes: number;
  };
  /**
   * Per-key token bucket on the query API (/api/v1; per tenant for keyless requests); an
   * events stream costs 2 requests, an export 10 (limits/query-limits.ts). 0 = no limit.
   */
  queryRateLimit: {
    requestsPerSecond: number;
    burstRequests: number;
  };
  /**
   * Per-session caps: segments past either cap are acknowledged but not stored, and the
   * session is marked truncated (time and reason). 0 = no cap.
   */
  sessionLimits: {
    /** Recording time from the session's first evidence to the end of a segment. */
    maxDurationMs: number;
    /** Stored replay bytes of one session. */
    maxBytes: number;
  };
  /** How long recordings are kept, and the background job that removes older ones. */
  retention: {
    /** Default for every tenant; 0 = keep forever. */
    days: number;
    /** Per-tenant overrides: [{ tenant, days }]. */
    tenants: { tenant: string; days: number }[];
    /** How often the job runs (each run is jittered by up to 10%). */
    intervalMs: number;
    /** Objects are removed when their whole UTC day is older than retention + this many days. */
    objectMarginDays: number;
    /** false = leave objects to an S3 lifecycle rule; the job still removes index rows. */
    deleteObjects: boolean;
  };
  /** Rules applied to logs, spans and recorded text before storage and forwarding (README "Redaction"). */
  redaction: RedactionConfig;
  /** Ingest answers 503 + Retry-After before reading a body while the process is overloaded (README "Limits"). */
  loadShedding: LoadSheddingConfig;
  /** Unique per running instance (object names); defaults to host name + port. */
  instanceId: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const MiB = 1024 * 1024;

export function defaultConfig(): ReceiverConfig {
  return {
    server: {
      host: '127.0.0.1',
      port: 4318,
      maxBodyBytes: 16 * MiB,
      maxDecompressedBytes: 64 * MiB,
      corsAllowedOrigins: ['http://localhost:3000', 'http://127.0.0.1:3000', 'http://localhost:5173', 'http://127.0.0.1:5173'],
      retryAfterSeconds: 5,
      logLevel: 'info',
    },
    dataDir: './data',
    storage: {
      backend: 'filesystem',
      filesystem: { dir: '' },
      s3: { bucket: 'otel-replay', region: 'us-east-1', endpoint: null, forcePathStyle: false, accessKeyId: null, secretAccessKey: null, prefix: '', requestTimeoutMs: 3000, maxAttempts: 2 },
    },
    index: {
      engine: 'sqlite',
      sqlite: { path: '' },
      postgres: { url: 'postgres://localhost:5432/otel_replay', maxConnections: 10 },
    },
    groupCommit: { maxDelayMs: 1000, maxBytes: 4 * MiB },
    forward: {
      logsUrl: null,
      tracesUrl: null,
      headers: {},
      tenantHeader: true,
      gzip: true,
      timeoutMs: 10_000,
      queue: { dir: '', maxBytes: 512 * MiB },
      retry: { initialDelayMs: 500, maxDelayMs: 30_000 },
    },
    auth: { required: false, defaultTenant: 'default', tenants: [], keyFile: '', keyFilePollMs: 1000, allowKeylessDeletion: false },
    rateLimit: { requestsPerSecond: 0, burstRequests: 0, bytesPerSecond: 0, burstBytes: 0 },
    // Far above what the Grafana app asks for (a session page is 3 requests' worth), even
    // with a whole team behind one Grafana token; see limits/query-limits.ts.
    queryRateLimit: { requestsPerSecond: 20, burstRequests: 200 },
    // Above the SDK's own 4 h session limit, so only sessions no SDK ended are ever cut.
    sessionLimits: { maxDurationMs: 4.5 * 3600_000, maxBytes: 256 * MiB },
    retention: { days: 30, tenants: [], intervalMs: 3600_000, objectMarginDays: 1, deleteObjects: true },
    redaction: { rules: [], maxValueLength: 64 * 1024 },
    // A healthy receiver's loop runs a few ms late; 500 ms smoothed means requests wait
    // seconds. 512 in flight is ~2 s of what a 2-core machine acknowledges (bench/load.ts,
    // group-commit wait included); far above what the test suites send.
    loadShedding: { maxEventLoopDelayMs: 500, maxInFlight: 512, retryAfterSeconds: 2 },
    instanceId: '',
  };
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep-merges `override` into `base`, rejecting keys `base` does not have (typos). */
function merge(base: Record<string, unknown>, override: Record<string, unknown>, where: string): void {
  for (const [key, value] of Object.entries(override)) {
    const at = where ? `${where}.${key}` : key;
    if (!(key in base)) throw new ConfigError(`unknown setting ${at}`);
    const current = base[key];
    if (isObject(current) && key !== 'headers') {
      if (!isObject(value)) throw new ConfigError(`setting ${at} must be a mapping`);
      merge(current, value, at);
    } else {
      base[key] = value;
    }
  }
}

/**
 * Environment variables, each the dotted path of a setting. Values are parsed as JSON
 * when they look like JSON (numbers, booleans, arrays), else taken as strings.
 */
export const ENV_SETTINGS: Record<string, string> = {
  HOST: 'server.host',
  PORT: 'server.port',
  MAX_BODY_BYTES: 'server.maxBodyBytes',
  MAX_DECOMPRESSED_BYTES: 'server.maxDecompressedBytes',
  CORS_ALLOWED_ORIGINS: 'server.corsAllowedOrigins',
  RETRY_AFTER_SECONDS: 'server.retryAfterSeconds',
  LOG_LEVEL: 'server.logLevel',
  DATA_DIR: 'dataDir',
  STORAGE_BACKEND: 'storage.backend',
  STORAGE_DIR: 'storage.filesystem.dir',
  S3_BUCKET: 'storage.s3.bucket',
  S3_REGION: 'storage.s3.region',
  S3_ENDPOINT: 'storage.s3.endpoint',
  S3_FORCE_PATH_STYLE: 'storage.s3.forcePathStyle',
  S3_ACCESS_KEY_ID: 'storage.s3.accessKeyId',
  S3_SECRET_ACCESS_KEY: 'storage.s3.secretAccessKey',
  S3_PREFIX: 'storage.s3.prefix',
  S3_REQUEST_TIMEOUT_MS: 'storage.s3.requestTimeoutMs',
  S3_MAX_ATTEMPTS: 'storage.s3.maxAttempts',
  INDEX_ENGINE: 'index.engine',
  SQLITE_PATH: 'index.sqlite.path',
  POSTGRES_URL: 'index.postgres.url',
  GROUP_COMMIT_MAX_DELAY_MS: 'groupCommit.maxDelayMs',
  GROUP_COMMIT_MAX_BYTES: 'groupCommit.maxBytes',
  FORWARD_LOGS_URL: 'forward.logsUrl',
  FORWARD_TRACES_URL: 'forward.tracesUrl',
  FORWARD_QUEUE_DIR: 'forward.queue.dir',
  FORWARD_QUEUE_MAX_BYTES: 'forward.queue.maxBytes',
  AUTH_REQUIRED: 'auth.required',
  DEFAULT_TENANT: 'auth.defaultTenant',
  AUTH_KEY_FILE: 'auth.keyFile',
  AUTH_ALLOW_KEYLESS_DELETION: 'auth.allowKeylessDeletion',
  RATE_LIMIT_REQUESTS_PER_SECOND: 'rateLimit.requestsPerSecond',
  RATE_LIMIT_BURST_REQUESTS: 'rateLimit.burstRequests',
  RATE_LIMIT_BYTES_PER_SECOND: 'rateLimit.bytesPerSecond',
  RATE_LIMIT_BURST_BYTES: 'rateLimit.burstBytes',
  QUERY_RATE_LIMIT_REQUESTS_PER_SECOND: 'queryRateLimit.requestsPerSecond',
  QUERY_RATE_LIMIT_BURST_REQUESTS: 'queryRateLimit.burstRequests',
  MAX_SESSION_DURATION_MS: 'sessionLimits.maxDurationMs',
  MAX_SESSION_BYTES: 'sessionLimits.maxBytes',
  RETENTION_DAYS: 'retention.days',
  RETENTION_TENANTS: 'retention.tenants',
  RETENTION_INTERVAL_MS: 'retention.intervalMs',
  RETENTION_DELETE_OBJECTS: 'retention.deleteObjects',
  LOAD_SHEDDING_MAX_EVENT_LOOP_DELAY_MS: 'loadShedding.maxEventLoopDelayMs',
  LOAD_SHEDDING_MAX_IN_FLIGHT: 'loadShedding.maxInFlight',
  LOAD_SHEDDING_RETRY_AFTER_SECONDS: 'loadShedding.retryAfterSeconds',
  INSTANCE_ID: 'instanceId',
};

function parseEnvValue(raw: string): Json {
  const t = raw.trim();
  if (/^(true|false|null|-?\d+(\.\d+)?)$/.test(t) || t.startsWith('[') || t.startsWith('{')) {
    try {
      return JSON.parse(t) as Json;
    } catch {
      throw new ConfigError(`environment value ${JSON.stringify(raw)} looks like JSON but does not parse`);
    }
  }
  // Comma-separated lists are allowed for list settings (CORS_ALLOWED_ORIGINS=a,b).
  return raw;
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let cur: Record<string, unknown> = target;
  for (const p of parts.slice(0, -1)) {
    if (!isObject(cur[p])) cur[p] = {};
    cur = cur[p] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]!] = value;
}

/** Loads defaults, then the file (if any), then environment variables; then validates. */
/**
 * The smallest request body that carries one segment of the largest size the protocol
 * allows, as the SDK sends it: base64 inside OTLP/JSON (4/3) plus the request's wrapper.
 */
export const MIN_SAFE_BODY_BYTES = Math.ceil((SegmentLimits.maxBodyBytes * 4) / 3) + 64 * 1024;

/**
 * Settings that are valid but will lose data: a body cap under MIN_SAFE_BODY_BYTES
 * answers 413 to a legal segment, and an SDK treats 413 as final and drops the request.
 * The receiver starts anyway (tests and narrow setups use small caps) and logs these.
 */
export function configWarnings(c: ReceiverConfig): string[] {
  const out: string[] = [];
  for (const [name, value] of [['server.maxBodyBytes', c.server.maxBodyBytes], ['server.maxDecompressedBytes', c.server.maxDecompressedBytes]] as const) {
    if (value < MIN_SAFE_BODY_BYTES) out.push(`${name} is ${value} bytes, under the ${MIN_SAFE_BODY_BYTES} one request with a largest legal segment needs: such requests get 413 and SDKs drop them; raise it to at least ${MIN_SAFE_BODY_BYTES}`);
  }
  return out;
}

export function loadConfig(options: { file?: string | null; env?: NodeJS.ProcessEnv; overrides?: Record<string, unknown> } = {}): ReceiverConfig {
  const env = options.env ?? process.env;
  const config = defaultConfig() as unknown as Record<string, unknown>;
  const file = options.file ?? env.OTEL_REPLAY_CONFIG ?? null;
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = parseYaml(text);
    } catch (err) {
      throw new ConfigError(`config file ${file} is not valid YAML/JSON: ${(err as Error).message}`);
    }
    if (parsed != null) {
      if (!isObject(parsed)) throw new ConfigError(`config file ${file} must hold a mapping at the top`);
      merge(config, parsed, '');
    }
  }
  const fromEnv: Record<string, unknown> = {};
  for (const [name, dotted] of Object.entries(ENV_SETTINGS)) {
    const raw = env[name] ?? env[`OTEL_REPLAY_${name}`];
    if (raw !== undefined && raw !== '') setPath(fromEnv, dotted, parseEnvValue(raw));
  }
  merge(config, fromEnv, '');
  if (options.overrides) merge(config, options.overrides, '');
  return validate(config as unknown as ReceiverConfig);
}

function need(cond: boolean, message: string): void {
  if (!cond) throw new ConfigError(message);
}

function positiveInt(v: unknown, name: string): void {
  need(typeof v === 'number' && Number.isInteger(v) && v > 0, `${name} must be a positive integer, got ${JSON.stringify(v)}`);
}

function stringList(v: unknown, name: string): string[] {
  if (typeof v === 'string') return v.split(',').map((s) => s.trim()).filter(Boolean);
  need(Array.isArray(v) && v.every((s) => typeof s === 'string'), `${name} must be a list of strings`);
  return v as string[];
}

function validate(c: ReceiverConfig): ReceiverConfig {
  need(typeof c.server.host === 'string' && c.server.host.length > 0, 'server.host must be a host name or address');
  need(Number.isInteger(c.server.port) && c.server.port >= 0 && c.server.port <= 65535, `server.port must be 0..65535, got ${JSON.stringify(c.server.port)}`);
  positiveInt(c.server.maxBodyBytes, 'server.maxBodyBytes');
  positiveInt(c.server.maxDecompressedBytes, 'server.maxDecompressedBytes');
  positiveInt(c.server.retryAfterSeconds, 'server.retryAfterSeconds');
  c.server.corsAllowedOrigins = stringList(c.server.corsAllowedOrigins, 'server.corsAllowedOrigins');
  need(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(c.server.logLevel), `server.logLevel must be one of fatal, error, warn, info, debug, trace, silent`);
  need(typeof c.dataDir === 'string' && c.dataDir.length > 0, 'dataDir must be a directory path');
  const dataDir = path.resolve(c.dataDir);
  c.dataDir = dataDir;
  need(c.storage.backend === 'filesystem' || c.storage.backend === 's3', `storage.backend must be filesystem or s3, got ${JSON.stringify(c.storage.backend)}`);
  c.storage.filesystem.dir = path.resolve(c.storage.filesystem.dir || path.join(dataDir, 'objects'));
  if (c.storage.backend === 's3') {
    need(typeof c.storage.s3.bucket === 'string' && /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(c.storage.s3.bucket), `storage.s3.bucket must be a valid bucket name, got ${JSON.stringify(c.storage.s3.bucket)}`);
    need(c.storage.s3.endpoint === null || /^https?:\/\//.test(c.storage.s3.endpoint), 'storage.s3.endpoint must be an http(s) URL or null');
    positiveInt(c.storage.s3.requestTimeoutMs, 'storage.s3.requestTimeoutMs');
    positiveInt(c.storage.s3.maxAttempts, 'storage.s3.maxAttempts');
  }
  need(c.index.engine === 'sqlite' || c.index.engine === 'postgres', `index.engine must be sqlite or postgres, got ${JSON.stringify(c.index.engine)}`);
  c.index.sqlite.path = path.resolve(c.index.sqlite.path || path.join(dataDir, 'index.sqlite'));
  if (c.index.engine === 'postgres') need(/^postgres(ql)?:\/\//.test(c.index.postgres.url), 'index.postgres.url must be a postgres:// URL');
  positiveInt(c.index.postgres.maxConnections, 'index.postgres.maxConnections');
  positiveInt(c.groupCommit.maxDelayMs, 'groupCommit.maxDelayMs');
  positiveInt(c.groupCommit.maxBytes, 'groupCommit.maxBytes');
  for (const key of ['logsUrl', 'tracesUrl'] as const) {
    const v = c.forward[key];
    need(v === null || (typeof v === 'string' && /^https?:\/\//.test(v)), `forward.${key} must be an http(s) URL or null, got ${JSON.stringify(v)}`);
  }
  need(isObject(c.forward.headers) && Object.values(c.forward.headers).every((v) => typeof v === 'string'), 'forward.headers must map header names to strings');
  c.forward.queue.dir = path.resolve(c.forward.queue.dir || path.join(dataDir, 'forward-queue'));
  positiveInt(c.forward.queue.maxBytes, 'forward.queue.maxBytes');
  positiveInt(c.forward.timeoutMs, 'forward.timeoutMs');
  positiveInt(c.forward.retry.initialDelayMs, 'forward.retry.initialDelayMs');
  positiveInt(c.forward.retry.maxDelayMs, 'forward.retry.maxDelayMs');
  need(isSafeId(c.auth.defaultTenant), `auth.defaultTenant must be a safe id ([A-Za-z0-9._:-]), got ${JSON.stringify(c.auth.defaultTenant)}`);
  need(Array.isArray(c.auth.tenants), 'auth.tenants must be a list');
  const seenKeys = new Set<string>();
  for (const [i, t] of c.auth.tenants.entries()) {
    need(isObject(t) && isSafeId(t.id), `auth.tenants[${i}].id must be a safe id ([A-Za-z0-9._:-])`);
    t.writeKeys = stringList(t.writeKeys ?? [], `auth.tenants[${i}].writeKeys`);
    t.readTokens = stringList(t.readTokens ?? [], `auth.tenants[${i}].readTokens`);
    t.adminTokens = stringList(t.adminTokens ?? [], `auth.tenants[${i}].adminTokens`);
    for (const k of [...t.writeKeys, ...t.readTokens, ...t.adminTokens]) {
      need(k.length >= 16, `auth.tenants[${i}] (${t.id}) has a key shorter than 16 characters`);
      need(!seenKeys.has(k), `auth.tenants[${i}] (${t.id}) reuses a key already given to another tenant or role`);
      seenKeys.add(k);
    }
  }
  // With auth required and no tenant here, keys come from the key file (possibly none yet: every request is 401 until one is created).
  c.auth.keyFile = path.resolve(c.auth.keyFile || path.join(dataDir, 'keys.json'));
  positiveInt(c.auth.keyFilePollMs, 'auth.keyFilePollMs');
  need(typeof c.auth.allowKeylessDeletion === 'boolean', 'auth.allowKeylessDeletion must be true or false');
  for (const [name, v] of Object.entries(c.rateLimit)) {
    need(typeof v === 'number' && Number.isFinite(v) && v >= 0, `rateLimit.${name} must be a number >= 0 (0 = no limit), got ${JSON.stringify(v)}`);
  }
  // A rate without a burst would refuse everything; default the burst to one second's worth.
  if (c.rateLimit.requestsPerSecond > 0 && c.rateLimit.burstRequests <= 0) c.rateLimit.burstRequests = Math.max(1, Math.ceil(c.rateLimit.requestsPerSecond));
  if (c.rateLimit.bytesPerSecond > 0 && c.rateLimit.burstBytes <= 0) c.rateLimit.burstBytes = Math.max(c.server.maxBodyBytes, Math.ceil(c.rateLimit.bytesPerSecond));
  for (const [name, v] of Object.entries(c.queryRateLimit)) {
    need(typeof v === 'number' && Number.isFinite(v) && v >= 0, `queryRateLimit.${name} must be a number >= 0 (0 = no limit), got ${JSON.stringify(v)}`);
  }
  if (c.queryRateLimit.requestsPerSecond > 0 && c.queryRateLimit.burstRequests <= 0) c.queryRateLimit.burstRequests = Math.max(1, Math.ceil(c.queryRateLimit.requestsPerSecond));
  validateLifecycle(c);
  nonNegativeInt(c.loadShedding.maxEventLoopDelayMs, 'loadShedding.maxEventLoopDelayMs', 'milliseconds');
  nonNegativeInt(c.loadShedding.maxInFlight, 'loadShedding.maxInFlight', 'requests');
  positiveInt(c.loadShedding.retryAfterSeconds, 'loadShedding.retryAfterSeconds');
  try {
    compileRedaction(c.redaction);
  } catch (err) {
    if (err instanceof RedactionRuleError) throw new ConfigError(err.message);
    throw err;
  }
  if (!c.instanceId) c.instanceId = `${(process.env.HOSTNAME || 'receiver').replace(/[^A-Za-z0-9._-]/g, '-')}-${c.server.port}`;
  need(isSafeId(c.instanceId), `instanceId must be a safe id, got ${JSON.stringify(c.instanceId)}`);
  return c;
}

function nonNegativeInt(v: unknown, name: string, unit: string): void {
  need(typeof v === 'number' && Number.isSafeInteger(v) && v >= 0, `${name} must be an integer >= 0 (${unit}; 0 = none), got ${JSON.stringify(v)}`);
}

/** sessionLimits and retention: caps, retention days per tenant, the job's schedule. */
function validateLifecycle(c: ReceiverConfig): void {
  nonNegativeInt(c.sessionLimits.maxDurationMs, 'sessionLimits.maxDurationMs', 'milliseconds');
  nonNegativeInt(c.sessionLimits.maxBytes, 'sessionLimits.maxBytes', 'bytes');
  const r = c.retention;
  nonNegativeInt(r.days, 'retention.days', 'days');
  need(Array.isArray(r.tenants), 'retention.tenants must be a list of { tenant, days }');
  const seen = new Set<string>();
  for (const [i, t] of r.tenants.entries()) {
    need(isObject(t) && isSafeId(t.tenant), `retention.tenants[${i}].tenant must be a safe id ([A-Za-z0-9._:-])`);
    nonNegativeInt(t.days, `retention.tenants[${i}].days`, 'days');
    need(!seen.has(t.tenant), `retention.tenants[${i}] repeats tenant ${t.tenant}`);
    seen.add(t.tenant);
  }
  need(typeof r.intervalMs === 'number' && Number.isSafeInteger(r.intervalMs) && r.intervalMs >= 1000, `retention.intervalMs must be an integer >= 1000, got ${JSON.stringify(r.intervalMs)}`);
  nonNegativeInt(r.objectMarginDays, 'retention.objectMarginDays', 'days');
  need(typeof r.deleteObjects === 'boolean', 'retention.deleteObjects must be true or false');
}
