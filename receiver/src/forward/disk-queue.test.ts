import { spawn } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DiskQueue } from './disk-queue.ts';
import type { DiskQueueOptions } from './disk-queue.ts';
import { PayloadTooLargeError, QueueFullError } from './forwarder.ts';
import type { ForwardPayload, Signal } from './forwarder.ts';
import { encodeRecord, RECORD_MAGIC } from './queue-record.ts';

let root = '';
before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'disk-queue-test-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

let dirCounter = 0;
function freshDir(): string {
  return path.join(root, `q${++dirCounter}`);
}

function payload(id: number, signal: Signal = 'logs', extra = 0): ForwardPayload {
  return {
    signal,
    tenant: `tenant-${id % 2}`,
    contentType: id % 2 ? 'application/x-protobuf' : 'application/json',
    body: Buffer.from(JSON.stringify({ id, pad: 'p'.repeat(extra) })),
  };
}

function idOf(p: ForwardPayload): number {
  return (JSON.parse(Buffer.from(p.body).toString('utf8')) as { id: number }).id;
}

/** Reads and acknowledges everything queued for a signal, oldest first. */
async function consumeAll(q: DiskQueue, signal: Signal, limit = Infinity): Promise<ForwardPayload[]> {
  const out: ForwardPayload[] = [];
  for (let r = q.head(signal); r && out.length < limit; r = q.head(signal)) {
    out.push(await q.read(r));
    await q.ack(r);
  }
  return out;
}

async function openQueue(dir: string, extra: Partial<DiskQueueOptions> = {}): Promise<DiskQueue> {
  return DiskQueue.open({ dir, maxBytes: 16 * 1024 * 1024, ...extra });
}

async function segmentFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.endsWith('.seg')).sort();
}

describe('DiskQueue', () => {
  it('delivers in append order per signal, with every field intact', async () => {
    const q = await openQueue(freshDir());
    try {
      const sent = Array.from({ length: 50 }, (_, i) => payload(i, i % 3 === 0 ? 'traces' : 'logs', i * 7));
      await Promise.all(sent.map((p) => q.append(p)));
      assert.equal(q.stats().payloads, 50);
      const logs = await consumeAll(q, 'logs');
      const traces = await consumeAll(q, 'traces');
      assert.deepEqual(logs.map(idOf), sent.filter((p) => p.signal === 'logs').map(idOf));
      assert.deepEqual(traces.map(idOf), sent.filter((p) => p.signal === 'traces').map(idOf));
      for (const got of [...logs, ...traces]) {
        const want = sent[idOf(got)]!;
        assert.equal(got.signal, want.signal);
        assert.equal(got.tenant, want.tenant);
        assert.equal(got.contentType, want.contentType);
        assert.deepEqual(Buffer.from(got.body), Buffer.from(want.body));
      }
      assert.deepEqual(q.stats().payloads, 0);
      assert.deepEqual(q.stats().bytes, 0);
    } finally {
      await q.close();
    }
  });

  it('keeps an empty body and a non-ASCII tenant', async () => {
    const q = await openQueue(freshDir());
    try {
      await q.append({ signal: 'traces', tenant: 'tenänt-ü', contentType: 'application/x-protobuf', body: new Uint8Array(0) });
      const [got] = await consumeAll(q, 'traces');
      assert.equal(got!.tenant, 'tenänt-ü');
      assert.equal(got!.body.byteLength, 0);
    } finally {
      await q.close();
    }
  });

  it('recovers unacknowledged records after close and reopen, skipping acknowledged ones', async () => {
    const dir = freshDir();
    let q = await openQueue(dir, { segmentBytes: 4096 });
    for (let i = 0; i < 200; i++) await q.append(payload(i, i % 2 ? 'traces' : 'logs', 50));
    const firstLogs = await consumeAll(q, 'logs', 30);
    assert.deepEqual(firstLogs.map(idOf), Array.from({ length: 30 }, (_, i) => i * 2));
    await q.close();

    q = await openQueue(dir, { segmentBytes: 4096 });
    try {
      assert.equal(q.stats().payloads, 170);
      const logs = await consumeAll(q, 'logs');
      const traces = await consumeAll(q, 'traces');
      assert.deepEqual(logs.map(idOf), Array.from({ length: 70 }, (_, i) => 60 + i * 2));
      assert.deepEqual(traces.map(idOf), Array.from({ length: 100 }, (_, i) => 1 + i * 2));
    } finally {
      await q.close();
    }
  });

  it('deletes segment files once all their records are acknowledged', async () => {
    const dir = freshDir();
    const q = await openQueue(dir, { segmentBytes: 2048 });
    try {
      for (let i = 0; i < 100; i++) await q.append(payload(i, 'logs', 100));
      const before = await segmentFiles(dir);
      assert.ok(before.length >= 5, `expected several segments, got ${before.length}`);
      await consumeAll(q, 'logs', 60);
      const during = await segmentFiles(dir);
      assert.ok(during.length < before.length, 'fully delivered segments must be removed');
      assert.equal(during[0]! > before[0]!, true);
      await consumeAll(q, 'logs');
      // The last (active) segment may stay until the next append rolls it over; nothing older remains.
      assert.ok((await segmentFiles(dir)).length <= 1);
    } finally {
      await q.close();
    }
    // A fully delivered active segment is removed on close; a reopen finds nothing.
    const again = await openQueue(dir);
    try {
      assert.equal(again.stats().payloads, 0);
      assert.deepEqual(await segmentFiles(dir), []);
    } finally {
      await again.close();
    }
  });

  it('ignores a record cut short at the tail (truncated) and keeps working', async () => {
    const dir = freshDir();
    let q = await openQueue(dir);
    for (let i = 0; i < 10; i++) await q.append(payload(i, 'logs', 200));
    await q.close();
    const [last] = (await segmentFiles(dir)).slice(-1);
    const file = path.join(dir, last!);
    await truncate(file, (await stat(file)).size - 17);

    q = await openQueue(dir);
    try {
      assert.equal(q.stats().payloads, 9);
      await q.append(payload(100, 'logs'));
      const ids = (await consumeAll(q, 'logs')).map(idOf);
      assert.deepEqual(ids, [0, 1, 2, 3, 4, 5, 6, 7, 8, 100]);
    } finally {
      await q.close();
    }
  });

  it('ignores garbage after the last whole record, and a header claiming a huge length', async () => {
    const dir = freshDir();
    let q = await openQueue(dir);
    for (let i = 0; i < 3; i++) await q.append(payload(i));
    await q.close();
    const file = path.join(dir, (await segmentFiles(dir))[0]!);
    const lying = Buffer.alloc(12);
    lying.writeUInt32LE(RECORD_MAGIC, 0);
    lying.writeUInt32LE(0xffffffff, 4);
    await appendFile(file, lying);
    // A second file: a whole record whose CRC does not match, then random bytes.
    const bad = encodeRecord(payload(9));
    bad[bad.length - 1]! ^= 0xff;
    await writeFile(path.join(dir, 'seg-0000000000000099.seg'), Buffer.concat([bad, Buffer.from('random junk')]));

    q = await openQueue(dir);
    try {
      assert.deepEqual((await consumeAll(q, 'logs')).map(idOf), [0, 1, 2]);
      assert.equal(q.stats().payloads, 0);
      // Appends go to a segment numbered after every existing one, so order survives.
      await q.append(payload(5));
      assert.deepEqual((await consumeAll(q, 'logs')).map(idOf), [5]);
    } finally {
      await q.close();
    }
  });

  it('does not take a zero-filled .ack tail for an acknowledgement, and removes orphan .ack files', async () => {
    const dir = freshDir();
    let q = await openQueue(dir);
    for (let i = 0; i < 4; i++) await q.append(payload(i));
    await q.close();
    const seg = (await segmentFiles(dir))[0]!;
    // Zero-filled entries would read as "record 0 delivered" without the check word; plus a torn entry.
    await writeFile(path.join(dir, seg.replace('.seg', '.ack')), Buffer.alloc(8 * 3 + 5));
    await writeFile(path.join(dir, 'seg-0000000000000042.ack'), Buffer.alloc(8));
    await writeFile(path.join(dir, 'notes.txt'), 'not ours');

    q = await openQueue(dir);
    try {
      assert.deepEqual((await consumeAll(q, 'logs')).map(idOf), [0, 1, 2, 3]);
      const names = await readdir(dir);
      assert.ok(!names.includes('seg-0000000000000042.ack'));
      assert.ok(names.includes('notes.txt'), 'files the queue does not own are left alone');
    } finally {
      await q.close();
    }
  });

  it('rejects appends over maxBytes with QueueFullError and accepts again after draining', async () => {
    const q = await openQueue(freshDir(), { maxBytes: 8 * 1024 });
    try {
      let accepted = 0;
      let full: unknown = null;
      for (let i = 0; i < 100 && !full; i++) {
        try {
          await q.append(payload(i, 'logs', 1000));
          accepted++;
        } catch (err) {
          full = err;
        }
      }
      assert.ok(full instanceof QueueFullError, `expected QueueFullError, got ${String(full)}`);
      assert.match((full as Error).message, /full/);
      assert.ok(accepted >= 6 && accepted <= 8, `accepted ${accepted}`);
      assert.ok(q.stats().bytes <= 8 * 1024);
      // Concurrent appends count against the cap before they are written.
      const burst = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => q.append(payload(500 + i, 'logs', 1000))));
      assert.ok(burst.every((r) => r.status === 'rejected' && r.reason instanceof QueueFullError));

      const drained = await consumeAll(q, 'logs');
      assert.equal(drained.length, accepted);
      await q.append(payload(1000, 'logs', 1000));
      assert.deepEqual((await consumeAll(q, 'logs')).map(idOf), [1000]);
    } finally {
      await q.close();
    }
  });

  it('rejects hostile payloads with clear errors and loses nothing else', async () => {
    const q = await openQueue(freshDir(), { maxBytes: 64 * 1024 });
    try {
      await q.append(payload(1));
      await assert.rejects(q.append({ ...payload(2), body: new Uint8Array(70 * 1024) }), (err: Error) => err instanceof PayloadTooLargeError && /more than the whole forward queue/.test(err.message));
      await assert.rejects(q.append({ ...payload(3), tenant: 't'.repeat(5000) }), RangeError);
      await assert.rejects(q.append({ ...payload(4), body: 'text' as unknown as Uint8Array }), TypeError);
      await assert.rejects(q.append({ ...payload(5), signal: 'metrics' as Signal }), /logs or traces/);
      await assert.rejects(q.append({ ...payload(6), contentType: 'application/json; charset=utf-8' as 'application/json' }), /contentType/);
      await assert.rejects(q.append(null as unknown as ForwardPayload), TypeError);
      await q.append(payload(7));
      assert.deepEqual((await consumeAll(q, 'logs')).map(idOf), [1, 7]);
    } finally {
      await q.close();
    }
  });

  it('fails to open with a clear error when a segment cannot be read, and opens once it is moved away', async () => {
    const dir = freshDir();
    const q = await openQueue(dir);
    await q.append(payload(1));
    await q.close();
    await mkdir(path.join(dir, 'seg-0000000000000007.seg'));
    await assert.rejects(openQueue(dir), /cannot recover seg-0000000000000007\.seg: .*move it out of the directory/);
    await rm(path.join(dir, 'seg-0000000000000007.seg'), { recursive: true });
    const again = await openQueue(dir);
    try {
      assert.deepEqual((await consumeAll(again, 'logs')).map(idOf), [1]);
    } finally {
      await again.close();
    }
  });

  it('refuses a second open of the same directory and appends after close', async () => {
    const dir = freshDir();
    const q = await openQueue(dir);
    await assert.rejects(openQueue(dir), /already open/);
    await q.close();
    await assert.rejects(q.append(payload(1)), /closed/);
    const again = await openQueue(dir);
    await again.close();
  });

  it('whenEmpty and waitForRecord follow appends and acknowledgements', async () => {
    const q = await openQueue(freshDir());
    try {
      assert.equal(await q.whenEmpty(10), true);
      const waiting = q.waitForRecord('traces');
      await q.append(payload(1, 'traces'));
      await waiting;
      assert.equal(await q.whenEmpty(20), false);
      const empty = q.whenEmpty(2000);
      await consumeAll(q, 'traces');
      assert.equal(await empty, true);
      const aborter = new AbortController();
      const aborted = q.waitForRecord('logs', aborter.signal);
      aborter.abort();
      await aborted;
      assert.equal(q.head('logs'), undefined);
    } finally {
      await q.close();
    }
  });

  it('batches many concurrent small appends into few disk flushes', async () => {
    const q = await openQueue(freshDir(), { flushDelayMs: 5 });
    try {
      const started = performance.now();
      await Promise.all(Array.from({ length: 5000 }, (_, i) => q.append(payload(i, 'logs', 20))));
      const ms = performance.now() - started;
      assert.equal(q.stats().payloads, 5000);
      // 5000 separate fsyncs would take far longer than this on any real disk.
      assert.ok(ms < 5000, `5000 appends took ${Math.round(ms)} ms`);
      assert.deepEqual((await consumeAll(q, 'logs')).map(idOf), Array.from({ length: 5000 }, (_, i) => i));
    } finally {
      await q.close();
    }
  });

  it('recovers every append that resolved before the process was SIGKILLed', async () => {
    const dir = freshDir();
    const child = spawn(process.execPath, [path.join(import.meta.dirname, 'testing', 'append-child.ts'), dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let errText = '';
    child.stderr.on('data', (c: Buffer) => (errText += c.toString()));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, sig) => resolve(sig ?? code)));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`child printed too little within 15 s; stderr: ${errText}`)), 15_000);
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          // Kill mid-stream, with appends in flight.
          if ((out.match(/\n/g) ?? []).length > 3000) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.on('exit', () => {
          clearTimeout(timer);
          reject(new Error(`child exited early; stderr: ${errText}`));
        });
      });
    } finally {
      child.kill('SIGKILL');
    }
    assert.equal(await exited, 'SIGKILL');
    const confirmed = out
      .split('\n')
      .filter((l) => /^\d+$/.test(l))
      .map(Number);
    assert.ok(confirmed.length > 3000);

    const q = await openQueue(dir, { maxBytes: 256 * 1024 * 1024 });
    try {
      const logs = (await consumeAll(q, 'logs')).map(idOf);
      const traces = (await consumeAll(q, 'traces')).map(idOf);
      for (const ids of [logs, traces]) {
        for (let i = 1; i < ids.length; i++) assert.ok(ids[i]! > ids[i - 1]!, `order broken or duplicate at ${ids[i]}`);
      }
      const recovered = new Set([...logs, ...traces]);
      const lost = confirmed.filter((id) => !recovered.has(id));
      assert.deepEqual(lost, [], `${lost.length} acknowledged appends lost`);
      assert.ok(traces.every((id) => id % 3 === 0) && logs.every((id) => id % 3 !== 0));
    } finally {
      await q.close();
    }
  });
});

describe('queue files', () => {
  it('a record header is 12 bytes, little-endian magic first', async () => {
    const buf = encodeRecord(payload(1));
    assert.equal(buf.readUInt32LE(0), RECORD_MAGIC);
    assert.equal(buf.readUInt32LE(4), buf.byteLength - 12);
    const dir = freshDir();
    const q = await openQueue(dir);
    await q.append(payload(1));
    await q.close();
    const onDisk = await readFile(path.join(dir, (await segmentFiles(dir))[0]!));
    assert.deepEqual(onDisk, buf);
  });
});
