// Test helper process for the crash test of disk-queue.test.ts: appends numbered payloads
// to the queue in argv[2] from several concurrent writers and prints each id only after
// its append resolved, until the parent kills it (or a safety limit ends it).

import { DiskQueue } from '../disk-queue.ts';

const dir = process.argv[2];
if (!dir) throw new Error('usage: append-child.ts <queue dir>');
// If the parent died without killing us, do not run forever.
setTimeout(() => process.exit(3), 30_000).unref();

const queue = await DiskQueue.open({ dir, maxBytes: 256 * 1024 * 1024, segmentBytes: 64 * 1024 });
let next = 0;
const LIMIT = 200_000;

async function writer(): Promise<void> {
  while (next < LIMIT) {
    const id = next++;
    const body = Buffer.from(JSON.stringify({ id, pad: 'x'.repeat(id % 700) }));
    await queue.append({ signal: id % 3 === 0 ? 'traces' : 'logs', tenant: 'crash', contentType: 'application/json', body });
    process.stdout.write(`${id}\n`);
  }
}

process.stdout.write('ready\n');
await Promise.all(Array.from({ length: 16 }, writer));
await queue.close();
