// Group commit: segments from all requests that arrive within a short window are packed
// into one object per tenant, written with one PUT, then indexed in one transaction, and
// only then are the requests acknowledged. The store sees about one PUT per window per
// instance instead of one per segment, and "acknowledged" always means "durable".
//
// A group is sealed when its window (first segment + maxDelayMs) ends or when it holds
// maxBytes; a new group starts collecting at once, so a slow PUT delays acknowledgements
// but never stops intake. A few sealed groups may be written at the same time.

import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { Segment, SegmentIndexRow, SegmentMeta } from '@otel-replay/protocol';
import { checkId, frameObject, objectKey } from '@otel-replay/protocol';
import type { SessionIndex } from '../index/session-index.ts';
import { segmentKey } from '../index/session-index.ts';
import type { ObjectStore } from './object-store.ts';

const gzip = promisify(gzipCallback);

export interface CommitResult {
  /** Rows now in the index, in the order the segments were submitted. */
  stored: SegmentIndexRow[];
  /** Segments that were already stored (a retry) or repeated in the same group. */
  duplicates: SegmentMeta[];
}

export interface GroupCommitterOptions {
  store: ObjectStore;
  index: Pick<SessionIndex, 'insertSegments' | 'existingSegments'>;
  /** Safe id naming this receiver instance in object keys. */
  instanceId: string;
  maxDelayMs: number;
  maxBytes: number;
  /** Clock for object names and receivedAt (tests). Timers always use real time. */
  now?: () => number;
  /** Sealed groups written at the same time; more wait their turn. Default 4. */
  maxConcurrentWrites?: number;
}

export interface GroupCommitStats {
  objectsWritten: number;
  segmentsWritten: number;
  bytesWritten: number;
  duplicatesDropped: number;
  /** Accepted by submit() and not yet settled (collecting or being written). */
  pendingSegments: number;
  pendingBytes: number;
}

/** submit() after close(): the receiver is shutting down; clients should retry elsewhere. */
export class CommitterClosedError extends Error {
  override readonly name = 'CommitterClosedError';
}

interface Entry {
  meta: SegmentMeta;
  body: Uint8Array;
  duplicate: boolean;
  row: SegmentIndexRow | null;
}

interface Submission {
  tenant: string;
  segments: Segment[];
  bytes: number;
  entries: Entry[];
  settled: boolean;
  resolve: (result: CommitResult) => void;
  reject: (err: unknown) => void;
}

interface Group {
  submissions: Submission[];
  bytes: number;
  done: Promise<void>;
  finish: () => void;
}

/** The outcome of writing one tenant's object of a group. */
interface TenantWrite {
  tenant: string;
  submissions: Submission[];
  rows: SegmentIndexRow[];
  entriesWithRows: Entry[];
  error: { cause: unknown } | null;
}

function newGroup(): Group {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  return { submissions: [], bytes: 0, done, finish };
}

export class GroupCommitter {
  private readonly store: ObjectStore;
  private readonly index: Pick<SessionIndex, 'insertSegments' | 'existingSegments'>;
  private readonly instanceId: string;
  private readonly maxDelayMs: number;
  private readonly maxBytes: number;
  private readonly now: () => number;
  private readonly maxConcurrentWrites: number;

  private pending: Group | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly queue: Group[] = [];
  private readonly unsettled = new Set<Group>();
  private writing = 0;
  private closed = false;
  private readonly counters = { objectsWritten: 0, segmentsWritten: 0, bytesWritten: 0, duplicatesDropped: 0, pendingSegments: 0, pendingBytes: 0 };

  constructor(opts: GroupCommitterOptions) {
    if (!Number.isFinite(opts.maxDelayMs) || opts.maxDelayMs <= 0) throw new RangeError(`group commit maxDelayMs must be a positive number, got ${opts.maxDelayMs}`);
    if (!Number.isFinite(opts.maxBytes) || opts.maxBytes <= 0) throw new RangeError(`group commit maxBytes must be a positive number, got ${opts.maxBytes}`);
    this.store = opts.store;
    this.index = opts.index;
    this.instanceId = opts.instanceId;
    this.maxDelayMs = opts.maxDelayMs;
    this.maxBytes = opts.maxBytes;
    this.now = opts.now ?? Date.now;
    this.maxConcurrentWrites = Math.max(1, opts.maxConcurrentWrites ?? 4);
  }

  /**
   * Stores the segments of one request. Resolves once they are in an object and in the
   * index (or known duplicates); rejects with the store's or index's error if the group
   * they travelled in could not be made durable, so the caller can answer 503.
   */
  submit(tenant: string, segments: Segment[]): Promise<CommitResult> {
    if (this.closed) return Promise.reject(new CommitterClosedError(`group committer of instance ${this.instanceId} is closed; the receiver is shutting down, retry the request`));
    if (segments.length === 0) return Promise.resolve({ stored: [], duplicates: [] });
    try {
      // The tenant becomes the first segment of object keys; refuse a bad one before it joins a group.
      checkId('tenant', tenant);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<CommitResult>((resolve, reject) => {
      let bytes = 0;
      for (const s of segments) bytes += s.body.length;
      const group = (this.pending ??= newGroup());
      group.submissions.push({ tenant, segments, bytes, entries: [], settled: false, resolve, reject });
      group.bytes += bytes;
      this.counters.pendingSegments += segments.length;
      this.counters.pendingBytes += bytes;
      if (group.bytes >= this.maxBytes) this.seal();
      else this.timer ??= setTimeout(() => this.seal(), this.maxDelayMs);
    });
  }

  /** Seals what is collecting now and waits until every sealed group has settled. */
  async flush(): Promise<void> {
    this.seal();
    await Promise.all([...this.unsettled].map((g) => g.done));
  }

  /** Refuses new work, then writes everything already accepted. */
  async close(): Promise<void> {
    // Refusing first means no submit() can slip in after the last flush and be stranded.
    this.closed = true;
    await this.flush();
  }

  stats(): GroupCommitStats {
    return { ...this.counters };
  }

  private seal(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const group = this.pending;
    if (!group) return;
    this.pending = null;
    this.unsettled.add(group);
    this.queue.push(group);
    this.pump();
  }

  private pump(): void {
    while (this.writing < this.maxConcurrentWrites && this.queue.length > 0) {
      const group = this.queue.shift()!;
      this.writing++;
      void this.write(group).finally(() => {
        this.writing--;
        this.unsettled.delete(group);
        group.finish();
        this.pump();
      });
    }
  }

  /** Writes one sealed group and settles its submissions. Never rejects. */
  private async write(group: Group): Promise<void> {
    try {
      const byTenant = new Map<string, Submission[]>();
      for (const sub of group.submissions) {
        const list = byTenant.get(sub.tenant);
        if (list) list.push(sub);
        else byTenant.set(sub.tenant, [sub]);
      }
      const writes = await Promise.all([...byTenant].map(([tenant, subs]) => this.writeTenant(tenant, subs)));

      const indexed = writes.filter((w) => !w.error && w.rows.length > 0);
      if (indexed.length > 0) {
        const rows = indexed.flatMap((w) => w.rows);
        const entries = indexed.flatMap((w) => w.entriesWithRows);
        try {
          const inserted = await this.index.insertSegments(rows);
          if (inserted.length !== rows.length) throw new Error(`index returned ${inserted.length} results for ${rows.length} segment rows; this is a bug in the index engine`);
          for (const [i, ok] of inserted.entries()) {
            if (ok) this.counters.segmentsWritten++;
            // A concurrent writer (another group or instance) stored it first.
            else entries[i]!.duplicate = true;
          }
        } catch (err) {
          for (const w of indexed) w.error = { cause: err };
        }
      }

      for (const w of writes) {
        for (const sub of w.submissions) this.settle(sub, w.error);
      }
    } catch (err) {
      // Only a bug gets here; still, nobody may wait forever.
      for (const sub of group.submissions) this.settle(sub, { cause: err });
    }
  }

  private settle(sub: Submission, error: { cause: unknown } | null): void {
    if (sub.settled) return;
    sub.settled = true;
    this.counters.pendingSegments -= sub.segments.length;
    this.counters.pendingBytes -= sub.bytes;
    if (error) {
      sub.reject(error.cause);
      return;
    }
    const result: CommitResult = { stored: [], duplicates: [] };
    for (const e of sub.entries) {
      if (e.duplicate || !e.row) {
        result.duplicates.push(e.meta);
        this.counters.duplicatesDropped++;
      } else {
        result.stored.push(e.row);
      }
    }
    sub.resolve(result);
  }

  /** Drops duplicates, then frames and PUTs one tenant's object. Errors are returned, not thrown. */
  private async writeTenant(tenant: string, submissions: Submission[]): Promise<TenantWrite> {
    const out: TenantWrite = { tenant, submissions, rows: [], entriesWithRows: [], error: null };
    try {
      const seen = new Set<string>();
      let fresh: Entry[] = [];
      for (const sub of submissions) {
        for (const segment of sub.segments) {
          const entry: Entry = { meta: segment.meta, body: segment.body, duplicate: false, row: null };
          sub.entries.push(entry);
          const key = segmentKey(segment.meta.sessionId, segment.meta.windowId, segment.meta.seq);
          if (seen.has(key)) entry.duplicate = true;
          else {
            seen.add(key);
            fresh.push(entry);
          }
        }
      }
      const existing = await this.index.existingSegments(
        tenant,
        fresh.map((e) => ({ sessionId: e.meta.sessionId, windowId: e.meta.windowId, seq: e.meta.seq })),
      );
      if (existing.size > 0) {
        fresh = fresh.filter((e) => {
          const dup = existing.has(segmentKey(e.meta.sessionId, e.meta.windowId, e.meta.seq));
          if (dup) e.duplicate = true;
          return !dup;
        });
      }
      if (fresh.length === 0) return out;

      // zlib runs on the thread pool, so compressing json segments does not block intake.
      const members = await Promise.all(
        fresh.map(async (e) => ({ meta: e.meta, gzip: e.meta.encoding === 'json' ? new Uint8Array(await gzip(e.body)) : e.body })),
      );
      const createdAt = this.now();
      const key = objectKey(tenant, createdAt, this.instanceId, randomBytes(8).toString('hex'));
      const framed = frameObject(tenant, createdAt, members);
      await this.store.put(key, framed.bytes);
      this.counters.objectsWritten++;
      this.counters.bytesWritten += framed.bytes.length;

      const receivedAt = this.now();
      for (const [i, e] of fresh.entries()) {
        const { offset, length } = framed.placements[i]!;
        e.row = {
          tenant,
          sessionId: e.meta.sessionId,
          windowId: e.meta.windowId,
          seq: e.meta.seq,
          firstTimestamp: e.meta.firstTimestamp,
          lastTimestamp: e.meta.lastTimestamp,
          eventCount: e.meta.eventCount,
          hasFullSnapshot: e.meta.hasFullSnapshot,
          encoding: e.meta.encoding,
          objectKey: key,
          offset,
          length,
          receivedAt,
        };
        out.rows.push(e.row);
        out.entriesWithRows.push(e);
      }
    } catch (err) {
      out.error = { cause: err };
    }
    return out;
  }
}
