import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { readAhead } from './read-ahead.ts';

test('results come out in input order while reads overlap up to the limit', async () => {
  let inFlight = 0;
  let peak = 0;
  const read = async (n: number) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    // Later items finish first, so ordering is really enforced.
    await sleep(20 - n);
    inFlight--;
    return n * 10;
  };
  const out: number[] = [];
  for await (const v of readAhead([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], read, { concurrency: 4 })) out.push(v);
  assert.deepEqual(out, [0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
  assert.equal(peak, 4);
});

test('a failed read surfaces at its position, after the earlier results', async () => {
  const read = async (n: number) => {
    if (n === 2) throw new Error('boom at 2');
    return n;
  };
  const out: number[] = [];
  await assert.rejects(async () => {
    for await (const v of readAhead([0, 1, 2, 3], read, { concurrency: 3 })) out.push(v);
  }, /boom at 2/);
  assert.deepEqual(out, [0, 1]);
});

test('leaving early or aborting stops new reads and leaves no unhandled rejection', async () => {
  const started: number[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  try {
    const read = async (n: number) => {
      started.push(n);
      await sleep(5);
      throw new Error(`fail ${n}`);
    };
    const it = readAhead(Array.from({ length: 100 }, (_, i) => i), read, { concurrency: 4 });
    await assert.rejects(it.next(), /fail 0/);
    await sleep(30);
    assert.deepEqual(started, [0, 1, 2, 3]);

    const controller = new AbortController();
    const seen: number[] = [];
    const slow = async (n: number) => {
      await sleep(2);
      return n;
    };
    for await (const v of readAhead(Array.from({ length: 100 }, (_, i) => i), slow, { concurrency: 2, signal: controller.signal })) {
      seen.push(v);
      if (v === 3) controller.abort();
    }
    assert.deepEqual(seen, [0, 1, 2, 3]);
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});
