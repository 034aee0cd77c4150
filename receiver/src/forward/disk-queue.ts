// The forwarder's bounded, durable, on-disk FIFO. Appends arriving within a few ms are
// written to the active segment file together and made durable by one fdatasync, so many
// small appends per second cost few disk flushes. Each signal is consumed in its own
// order (a Loki outage must not hold back traces). A delivered record is acknowledged by
// appending its index to the segment's .ack file; a segment whose records are all
// acknowledged is deleted. On open, the segments are scanned: records are recovered in
// order, a record cut short by a crash is ignored, acknowledged ones are skipped.
//
// Durability: append() resolves only after fdatasync. Acknowledgements are written but
// not synced: a process crash keeps them (the page cache survives), a power loss may
// redeliver a few records, which at-least-once delivery allows.

import { mkdir, open, readdir, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { PayloadTooLargeError, QueueFullError } from './forwarder.ts';
import type { ForwardPayload, Signal } from './forwarder.ts';
import { decodeContent, encodeRecord, HEADER_BYTES, readHeader } from './queue-record.ts';

export interface QueueLog {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export interface DiskQueueOptions {
  dir: string;
  /** Cap on the bytes of queued (unacknowledged) records, headers included. */
  maxBytes: number;
  /** A segment file is closed for appends once it holds this many bytes. */
  segmentBytes?: number;
  /** How long the first append of a batch waits for others to share its fdatasync. */
  flushDelayMs?: number;
  log?: QueueLog;
}

export interface QueuedRecord {
  readonly signal: Signal;
  /** Bytes on disk, header included. */
  readonly bytes: number;
}

export interface DiskQueueStats {
  payloads: number;
  bytes: number;
  bySignal: Record<Signal, { payloads: number; bytes: number }>;
  /** Appends waiting for their fdatasync. */
  pendingAppends: number;
  segments: number;
}

interface Segment {
  seq: number;
  dataPath: string;
  ackPath: string;
  size: number;
  count: number;
  acked: number;
  writer: FileHandle | null;
  reader: FileHandle | null;
  acker: FileHandle | null;
  ackChain: Promise<void>;
  deleted: boolean;
}

interface RecordEntry extends QueuedRecord {
  segment: Segment;
  index: number;
  offset: number;
  acked: boolean;
}

interface PendingAppend {
  buf: Buffer;
  signal: Signal;
  resolve: () => void;
  reject: (err: Error) => void;
}

const SIGNALS: readonly Signal[] = ['logs', 'traces'];
const SEGMENT_FILE = /^seg-(\d{16})\.seg$/;
const ACK_FILE = /^seg-(\d{16})\.ack$/;
const ACK_ENTRY_BYTES = 8;
const DEFAULT_SEGMENT_BYTES = 8 * 1024 * 1024;
/** Pending bytes that start a flush at once instead of waiting for the batching delay. */
const FLUSH_NOW_BYTES = 1024 * 1024;
/** iovecs per writev call, below every platform's IOV_MAX. */
const WRITEV_CHUNK = 256;
const SCAN_WINDOW_BYTES = 1024 * 1024;

/** Directories opened by a DiskQueue of this process and not closed yet. */
const openDirs = new Set<string>();

/** A FIFO of records per signal, with O(1) removal at the head. */
class Lane {
  private items: RecordEntry[] = [];
  private head = 0;
  payloads = 0;
  bytes = 0;
  waiters: (() => void)[] = [];

  push(r: RecordEntry): void {
    this.items.push(r);
    this.payloads++;
    this.bytes += r.bytes;
  }

  peek(): RecordEntry | undefined {
    return this.items[this.head];
  }

  remove(r: RecordEntry): void {
    if (this.items[this.head] === r) {
      this.head++;
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
    } else {
      const i = this.items.indexOf(r, this.head);
      if (i < 0) return;
      this.items.splice(i, 1);
    }
    this.payloads--;
    this.bytes -= r.bytes;
  }
}

function segmentName(seq: number, ext: 'seg' | 'ack'): string {
  return `seg-${String(seq).padStart(16, '0')}.${ext}`;
}

function ackEntry(index: number): Buffer {
  const b = Buffer.allocUnsafe(ACK_ENTRY_BYTES);
  b.writeUInt32LE(index, 0);
  // The complement guards against a zero-filled tail after a power loss acking record 0.
  b.writeUInt32LE(~index >>> 0, 4);
  return b;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Serves small positional reads from a window so a scan of many small records stays cheap. */
class WindowReader {
  private buf = Buffer.alloc(0);
  private start = 0;
  private readonly fh: FileHandle;
  constructor(fh: FileHandle) {
    this.fh = fh;
  }

  async read(pos: number, len: number): Promise<Buffer> {
    if (pos >= this.start && pos + len <= this.start + this.buf.byteLength) return this.buf.subarray(pos - this.start, pos - this.start + len);
    if (len > SCAN_WINDOW_BYTES / 2) return readExactly(this.fh, pos, len);
    const buf = Buffer.allocUnsafe(SCAN_WINDOW_BYTES);
    const { bytesRead } = await this.fh.read(buf, 0, SCAN_WINDOW_BYTES, pos);
    this.buf = buf.subarray(0, bytesRead);
    this.start = pos;
    return this.buf.subarray(0, Math.min(len, bytesRead));
  }
}

async function readExactly(fh: FileHandle, pos: number, len: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(len);
  let done = 0;
  while (done < len) {
    const { bytesRead } = await fh.read(buf, done, len - done, pos + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return buf.subarray(0, done);
}

export class DiskQueue {
  readonly dir: string;
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  private readonly flushDelayMs: number;
  private readonly log: QueueLog | undefined;
  private readonly lanes: Record<Signal, Lane> = { logs: new Lane(), traces: new Lane() };
  private readonly segments = new Map<number, Segment>();
  private active: Segment | null = null;
  private nextSeq = 1;
  private pending: PendingAppend[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private emptyWaiters: (() => void)[] = [];
  private closed = false;

  private constructor(options: DiskQueueOptions) {
    this.dir = path.resolve(options.dir);
    this.maxBytes = options.maxBytes;
    this.segmentBytes = options.segmentBytes ?? Math.min(DEFAULT_SEGMENT_BYTES, Math.max(64 * 1024, Math.floor(options.maxBytes / 8)));
    this.flushDelayMs = options.flushDelayMs ?? 2;
    this.log = options.log;
  }

  /** Opens (creating if needed) the queue in `dir` and recovers what it holds. */
  static async open(options: DiskQueueOptions): Promise<DiskQueue> {
    if (!Number.isSafeInteger(options.maxBytes) || options.maxBytes <= 0) throw new RangeError(`forward queue maxBytes must be a positive integer, got ${options.maxBytes}`);
    const q = new DiskQueue(options);
    if (openDirs.has(q.dir)) throw new Error(`forward queue ${q.dir} is already open in this process; close it first or use another directory`);
    openDirs.add(q.dir);
    try {
      await mkdir(q.dir, { recursive: true });
      await q.recover();
    } catch (err) {
      openDirs.delete(q.dir);
      await q.closeHandles();
      throw err;
    }
    return q;
  }

  private async recover(): Promise<void> {
    const names = await readdir(this.dir);
    const segSeqs = new Set<number>();
    for (const n of names) {
      const m = SEGMENT_FILE.exec(n);
      if (m) segSeqs.add(Number(m[1]));
    }
    for (const n of names) {
      const m = ACK_FILE.exec(n);
      // An .ack without its segment: the segment was deleted and the crash came before the .ack went.
      if (m && !segSeqs.has(Number(m[1]))) await unlink(path.join(this.dir, n)).catch(() => {});
    }
    let recovered = 0;
    for (const seq of [...segSeqs].sort((a, b) => a - b)) {
      this.nextSeq = Math.max(this.nextSeq, seq + 1);
      try {
        recovered += await this.recoverSegment(seq);
      } catch (err) {
        throw new Error(`forward queue ${this.dir}: cannot recover ${segmentName(seq, 'seg')}: ${errorMessage(err)}; fix its permissions or move it out of the directory`);
      }
    }
    if (recovered > 0) this.log?.info(`forward queue ${this.dir}: recovered ${recovered} undelivered payloads`);
  }

  private async recoverSegment(seq: number): Promise<number> {
    const seg = this.newSegment(seq);
    const fh = await open(seg.dataPath, 'r');
    const records: { offset: number; bytes: number; signal: Signal }[] = [];
    let pos = 0;
    let fileSize = 0;
    try {
      fileSize = (await fh.stat()).size;
      const reader = new WindowReader(fh);
      while (pos + HEADER_BYTES <= fileSize) {
        const header = readHeader(await reader.read(pos, HEADER_BYTES), fileSize - pos);
        if (!header) break;
        const content = await reader.read(pos + HEADER_BYTES, header.contentBytes);
        const payload = decodeContent(content, header.crc);
        if (!payload) break;
        records.push({ offset: pos, bytes: HEADER_BYTES + header.contentBytes, signal: payload.signal });
        pos += HEADER_BYTES + header.contentBytes;
      }
    } finally {
      await fh.close();
    }
    if (pos < fileSize) {
      this.log?.warn(`forward queue ${this.dir}: ${segmentName(seq, 'seg')} ends with ${fileSize - pos} bytes that are not a whole record (cut short by a crash?); ignored`);
    }
    seg.size = pos;
    seg.count = records.length;
    const acked = await this.readAcks(seg);
    seg.acked = acked.size;
    if (seg.acked >= seg.count) {
      await this.deleteSegment(seg);
      return 0;
    }
    this.segments.set(seq, seg);
    let live = 0;
    for (const [index, r] of records.entries()) {
      if (acked.has(index)) continue;
      this.lanes[r.signal].push({ signal: r.signal, bytes: r.bytes, segment: seg, index, offset: r.offset, acked: false });
      live++;
    }
    return live;
  }

  private async readAcks(seg: Segment): Promise<Set<number>> {
    const acked = new Set<number>();
    let buf: Buffer;
    try {
      const fh = await open(seg.ackPath, 'r');
      try {
        buf = await fh.readFile();
      } finally {
        await fh.close();
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return acked;
      throw err;
    }
    for (let p = 0; p + ACK_ENTRY_BYTES <= buf.byteLength; p += ACK_ENTRY_BYTES) {
      const index = buf.readUInt32LE(p);
      if (buf.readUInt32LE(p + 4) === (~index >>> 0) && index < seg.count) acked.add(index);
    }
    return acked;
  }

  private newSegment(seq: number): Segment {
    return {
      seq,
      dataPath: path.join(this.dir, segmentName(seq, 'seg')),
      ackPath: path.join(this.dir, segmentName(seq, 'ack')),
      size: 0,
      count: 0,
      acked: 0,
      writer: null,
      reader: null,
      acker: null,
      ackChain: Promise.resolve(),
      deleted: false,
    };
  }

  /** Durably appends a payload; resolves once it is fsynced. Rejects with QueueFullError at the cap. */
  append(payload: ForwardPayload): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`forward queue ${this.dir} is closed; cannot append`));
    let buf: Buffer;
    try {
      buf = encodeRecord(payload);
    } catch (err) {
      return Promise.reject(err);
    }
    if (buf.byteLength > this.maxBytes) {
      return Promise.reject(new PayloadTooLargeError(`the logs or spans to forward are ${buf.byteLength} bytes, more than the whole forward queue holds (${this.maxBytes} bytes): send smaller batches, or raise forward.queue.maxBytes`));
    }
    if (this.reservedBytes() + buf.byteLength > this.maxBytes) {
      return Promise.reject(new QueueFullError(`forward queue ${this.dir} is full (${this.reservedBytes()} of ${this.maxBytes} bytes); retry later`));
    }
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ buf, signal: payload.signal, resolve, reject });
      this.pendingBytes += buf.byteLength;
      this.scheduleFlush();
    });
  }

  private reservedBytes(): number {
    return this.lanes.logs.bytes + this.lanes.traces.bytes + this.pendingBytes;
  }

  private scheduleFlush(): void {
    if (this.flushing) return; // the running flush picks up what is pending when it ends
    if (this.pendingBytes >= FLUSH_NOW_BYTES || this.flushDelayMs <= 0) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      this.startFlush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.startFlush();
      }, this.flushDelayMs);
    }
  }

  private startFlush(): void {
    if (this.flushing || this.pending.length === 0) return;
    this.flushing = (async () => {
      try {
        while (this.pending.length > 0) {
          const batch = this.pending;
          this.pending = [];
          await this.writeBatch(batch);
        }
      } finally {
        this.flushing = null;
        this.notifyIfEmpty();
      }
    })();
  }

  private async writeBatch(batch: PendingAppend[]): Promise<void> {
    const batchBytes = batch.reduce((n, p) => n + p.buf.byteLength, 0);
    let seg: Segment | null = null;
    try {
      seg = await this.writableSegment();
      for (let i = 0; i < batch.length; i += WRITEV_CHUNK) {
        const bufs = batch.slice(i, i + WRITEV_CHUNK).map((p) => p.buf);
        const want = bufs.reduce((n, b) => n + b.byteLength, 0);
        const { bytesWritten } = await seg.writer!.writev(bufs);
        if (bytesWritten !== want) throw new Error(`short write (${bytesWritten} of ${want} bytes); is the disk full?`);
      }
      await seg.writer!.datasync();
    } catch (err) {
      // The segment may now hold part of this batch; never append after it, so record
      // indices on disk keep matching the ones acknowledged.
      if (seg) await this.retireActive();
      this.pendingBytes -= batchBytes;
      const e = new Error(`forward queue ${this.dir}: could not write ${batch.length} payloads durably: ${errorMessage(err)}`);
      for (const p of batch) p.reject(e);
      return;
    }
    for (const p of batch) {
      const entry: RecordEntry = { signal: p.signal, bytes: p.buf.byteLength, segment: seg, index: seg.count++, offset: seg.size, acked: false };
      seg.size += p.buf.byteLength;
      this.lanes[p.signal].push(entry);
    }
    this.pendingBytes -= batchBytes;
    for (const p of batch) p.resolve();
    for (const signal of SIGNALS) this.wake(this.lanes[signal]);
  }

  /** The active segment, rolled over when it is big, or fully delivered and worth deleting. */
  private async writableSegment(): Promise<Segment> {
    const a = this.active;
    if (a && (a.size >= this.segmentBytes || (a.acked === a.count && a.size >= this.segmentBytes / 8))) await this.retireActive();
    if (this.active) return this.active;
    const seg = this.newSegment(this.nextSeq++);
    seg.writer = await open(seg.dataPath, 'a');
    // A new file is durable only once its directory entry is.
    const dirHandle = await open(this.dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
    this.segments.set(seg.seq, seg);
    this.active = seg;
    return seg;
  }

  private async retireActive(): Promise<void> {
    const seg = this.active;
    if (!seg) return;
    this.active = null;
    await seg.writer?.close().catch(() => {});
    seg.writer = null;
    if (seg.acked === seg.count) await this.deleteSegment(seg);
  }

  private async deleteSegment(seg: Segment): Promise<void> {
    if (seg.deleted) return;
    seg.deleted = true;
    this.segments.delete(seg.seq);
    await seg.ackChain;
    for (const fh of [seg.writer, seg.reader, seg.acker]) await fh?.close().catch(() => {});
    seg.writer = seg.reader = seg.acker = null;
    // Data first: a crash between the two leaves an orphan .ack, which open() removes.
    await unlink(seg.dataPath).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') this.log?.warn(`forward queue ${this.dir}: could not delete ${seg.dataPath}: ${err.message}`);
    });
    await unlink(seg.ackPath).catch(() => {});
  }

  /** The oldest unacknowledged record of a signal, or undefined when there is none. */
  head(signal: Signal): QueuedRecord | undefined {
    return this.lanes[signal].peek();
  }

  /** Resolves when `signal` has a record, the queue closes, or `abort` fires. */
  waitForRecord(signal: Signal, abort?: AbortSignal): Promise<void> {
    const lane = this.lanes[signal];
    if (lane.payloads > 0 || this.closed || abort?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        abort?.removeEventListener('abort', done);
        const i = lane.waiters.indexOf(done);
        if (i >= 0) lane.waiters.splice(i, 1);
        resolve();
      };
      lane.waiters.push(done);
      abort?.addEventListener('abort', done, { once: true });
    });
  }

  private wake(lane: Lane): void {
    if (lane.payloads === 0 && !this.closed) return;
    for (const w of [...lane.waiters]) w();
  }

  /** Reads a queued record back; throws when its bytes no longer check out (disk damage). */
  async read(record: QueuedRecord): Promise<ForwardPayload> {
    const r = record as RecordEntry;
    if (this.closed) throw new Error(`forward queue ${this.dir} is closed; cannot read`);
    if (r.acked || r.segment.deleted) throw new Error(`forward queue ${this.dir}: record ${r.index} of ${segmentName(r.segment.seq, 'seg')} was already acknowledged`);
    const seg = r.segment;
    seg.reader ??= await open(seg.dataPath, 'r');
    const buf = await readExactly(seg.reader, r.offset, r.bytes);
    const header = readHeader(buf, buf.byteLength);
    const payload = header && header.contentBytes === r.bytes - HEADER_BYTES ? decodeContent(buf.subarray(HEADER_BYTES), header.crc) : null;
    if (!payload) throw new Error(`forward queue ${this.dir}: record ${r.index} of ${segmentName(seg.seq, 'seg')} is damaged on disk (CRC or length mismatch)`);
    return payload;
  }

  /** Marks a record delivered (or given up on); deletes its segment once all of it is. */
  async ack(record: QueuedRecord): Promise<void> {
    const r = record as RecordEntry;
    if (this.closed) throw new Error(`forward queue ${this.dir} is closed; cannot acknowledge`);
    if (r.acked) return;
    r.acked = true;
    this.lanes[r.signal].remove(r);
    const seg = r.segment;
    seg.acked++;
    const write = seg.ackChain.then(async () => {
      if (seg.deleted) return;
      seg.acker ??= await open(seg.ackPath, 'a');
      await seg.acker.write(ackEntry(r.index));
    });
    seg.ackChain = write.catch((err: unknown) => {
      this.log?.warn(`forward queue ${this.dir}: could not record delivery in ${seg.ackPath} (${errorMessage(err)}); the payload may be sent again after a restart`);
    });
    await seg.ackChain;
    if (seg.acked === seg.count && seg !== this.active) await this.deleteSegment(seg);
    this.notifyIfEmpty();
  }

  stats(): DiskQueueStats {
    const { logs, traces } = this.lanes;
    return {
      payloads: logs.payloads + traces.payloads,
      bytes: logs.bytes + traces.bytes,
      bySignal: { logs: { payloads: logs.payloads, bytes: logs.bytes }, traces: { payloads: traces.payloads, bytes: traces.bytes } },
      pendingAppends: this.pending.length,
      segments: this.segments.size,
    };
  }

  private isEmpty(): boolean {
    return this.lanes.logs.payloads === 0 && this.lanes.traces.payloads === 0 && this.pending.length === 0 && !this.flushing;
  }

  private notifyIfEmpty(): void {
    if (!this.isEmpty() && !this.closed) return;
    const waiters = this.emptyWaiters;
    this.emptyWaiters = [];
    for (const w of waiters) w();
  }

  /** Resolves true once nothing is queued or pending, false when `timeoutMs` passes first (or the queue closes non-empty). */
  whenEmpty(timeoutMs: number): Promise<boolean> {
    if (this.isEmpty()) return Promise.resolve(true);
    if (this.closed) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        const i = this.emptyWaiters.indexOf(done);
        if (i >= 0) this.emptyWaiters.splice(i, 1);
        resolve(false);
      }, Math.max(0, timeoutMs));
      const done = (): void => {
        clearTimeout(timer);
        resolve(this.isEmpty());
      };
      this.emptyWaiters.push(done);
    });
  }

  /** Finishes pending appends, records pending acknowledgements, closes files. The data stays. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.startFlush();
    while (this.flushing) await this.flushing;
    for (const seg of this.segments.values()) await seg.ackChain;
    if (this.active && this.active.acked === this.active.count) await this.retireActive();
    await this.closeHandles();
    openDirs.delete(this.dir);
    for (const signal of SIGNALS) this.wake(this.lanes[signal]);
    this.notifyIfEmpty();
  }

  private async closeHandles(): Promise<void> {
    for (const seg of this.segments.values()) {
      for (const fh of [seg.writer, seg.reader, seg.acker]) await fh?.close().catch(() => {});
      seg.writer = seg.reader = seg.acker = null;
    }
    this.active = null;
  }
}
