// Retention: what is older than a tenant's retention goes, from the index and from object
// storage. Per tenant, in this order:
//   1. sessions whose last activity is before now - days (with their segment rows);
//   2. deleted-session ids older than that (nothing that old can be stored again);
//   3. segment rows received before the first day still kept in storage, whatever their
//      session, so no row ever points at an object about to go;
//   4. objects under `<tenant>/segments/v1/<day>/` for every day wholly older than
//      now - (days + objectMarginDays), found by listing days, never by listing objects
//      of days that are kept. Objects hold segments of many sessions (group commit), so
//      they can only go by age; an S3 lifecycle rule can do step 4 instead.
// One receiver at a time runs it (SessionIndex.runExclusive); runs are jittered.

import { OBJECT_FORMAT_VERSION, OBJECT_SUFFIX, isSafeId } from '@otel-replay/protocol';
import type { ReceiverConfig } from '../config.ts';
import type { SessionIndex } from '../index/session-index.ts';
import type { ObjectStore } from '../storage/object-store.ts';

export const DAY_MS = 86_400_000;
/** Rows removed per index statement: short transactions, ingest never waits long. */
const BATCH = 500;
/** A run stops after this many batches per step and tenant, and continues next run. */
const MAX_BATCHES = 2000;
/**
 * Rows are judged by receivedAt, objects by their creation day; a row is stamped after
 * its object's PUT, so it can be a little younger than the object's name says.
 */
const RECEIVED_AFTER_PUT_SLACK_MS = 3600_000;

export type RetentionConfig = ReceiverConfig['retention'];

export interface RetentionReport {
  tenants: number;
  sessions: number;
  segments: number;
  deletedIds: number;
  objects: number;
  /** Days whose objects were removed, as "<tenant>/<day>". */
  days: string[];
}

/** Retention of one tenant in days (0 = forever). */
export function retentionDays(config: RetentionConfig, tenant: string): number {
  return config.tenants.find((t) => t.tenant === tenant)?.days ?? config.days;
}

/** Start (epoch ms) of the UTC day holding `ms`. */
export function utcDayStart(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/** "2025-01-31" → epoch ms of that UTC midnight; null for anything else. */
export function parseDay(name: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(name);
  if (!m) return null;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  // Round-trips only for a real date (no 2025-02-31).
  return new Date(ms).toISOString().slice(0, 10) === name ? ms : null;
}

export function segmentsPrefix(tenant: string): string {
  return `${tenant}/segments/v${OBJECT_FORMAT_VERSION}/`;
}

/**
 * The first UTC day whose objects are kept: every day before it is wholly older than
 * retention + margin.
 */
export function firstKeptDay(now: number, days: number, marginDays: number): number {
  return utcDayStart(now - (days + marginDays) * DAY_MS);
}

async function childrenOf(store: ObjectStore, prefix: string): Promise<string[]> {
  if (store.listChildren) return store.listChildren(prefix);
  const names = new Set<string>();
  for (const key of await store.list(prefix)) names.add(key.slice(prefix.length).split('/')[0]!);
  return [...names].sort();
}

async function repeat(step: (limit: number) => Promise<number>): Promise<number> {
  let total = 0;
  for (let i = 0; i < MAX_BATCHES; i++) {
    const n = await step(BATCH);
    total += n;
    if (n < BATCH) break;
  }
  return total;
}

export interface SweepOptions {
  index: SessionIndex;
  store: ObjectStore;
  config: RetentionConfig;
  /** Tenants known from configuration (besides those found in the index and storage). */
  knownTenants?: string[];
  now?: () => number;
}

/** One retention pass over every tenant. Call through RetentionJob for the cluster-wide lock. */
export async function sweepRetention(opts: SweepOptions): Promise<RetentionReport> {
  const now = (opts.now ?? Date.now)();
  const { index, store, config } = opts;
  const tenants = new Set<string>([...(opts.knownTenants ?? []), ...config.tenants.map((t) => t.tenant), ...(await index.listTenants())]);
  if (config.deleteObjects) for (const name of await childrenOf(store, '')) if (isSafeId(name)) tenants.add(name);
  const report: RetentionReport = { tenants: 0, sessions: 0, segments: 0, deletedIds: 0, objects: 0, days: [] };
  for (const tenant of [...tenants].sort()) {
    const days = retentionDays(config, tenant);
    if (days <= 0) continue;
    report.tenants++;
    const cutoff = now - days * DAY_MS;
    report.sessions += await repeat((limit) => index.expireSessions(tenant, cutoff, limit));
    report.deletedIds += await index.expireDeletedSessions(tenant, cutoff);
    const keptDay = firstKeptDay(now, days, config.objectMarginDays);
    report.segments += await repeat((limit) => index.expireSegments(tenant, keptDay + RECEIVED_AFTER_PUT_SLACK_MS, limit));
    if (!config.deleteObjects) continue;
    const prefix = segmentsPrefix(tenant);
    for (const day of await childrenOf(store, prefix)) {
      const start = parseDay(day);
      // Only whole days before the first kept one; anything not named like a day stays.
      if (start === null || start >= keptDay) continue;
      const keys = (await store.list(`${prefix}${day}/`)).filter((k) => k.endsWith(OBJECT_SUFFIX));
      for (const key of keys) await store.delete(key);
      report.objects += keys.length;
      if (keys.length > 0) report.days.push(`${tenant}/${day}`);
    }
  }
  return report;
}

export interface RetentionJobOptions extends SweepOptions {
  /** Told the outcome of each run (metrics, logs). */
  onRun?: (outcome: { ran: true; report: RetentionReport } | { ran: false } | { ran: true; error: unknown }) => void;
  random?: () => number;
}

/** Runs sweepRetention every `config.intervalMs` (±10%), one receiver at a time. */
export class RetentionJob {
  readonly #opts: RetentionJobOptions;
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;
  #current: Promise<unknown> | null = null;

  constructor(opts: RetentionJobOptions) {
    this.#opts = opts;
  }

  /** Runs once now (if no other receiver is running it); never rejects. */
  async runOnce(): Promise<RetentionReport | null> {
    const run = (async () => {
      try {
        const outcome = await this.#opts.index.runExclusive('retention', () => sweepRetention(this.#opts));
        if (!outcome.ran) {
          this.#opts.onRun?.({ ran: false });
          return null;
        }
        this.#opts.onRun?.({ ran: true, report: outcome.result });
        return outcome.result;
      } catch (err) {
        this.#opts.onRun?.({ ran: true, error: err });
        return null;
      }
    })();
    this.#current = run;
    try {
      return await run;
    } finally {
      if (this.#current === run) this.#current = null;
    }
  }

  start(): void {
    if (this.#stopped || this.#timer) return;
    const random = this.#opts.random ?? Math.random;
    // Jitter keeps receivers started together from all trying at the same moment.
    const delay = Math.round(this.#opts.config.intervalMs * (0.9 + 0.2 * random()));
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.runOnce().finally(() => this.start());
    }, delay);
    this.#timer.unref();
  }

  /** Stops scheduling and waits for a run in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#current;
  }
}
