import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SessionActivity } from '../index/session-index.ts';
import { IndexUnavailableError } from '../index/session-index.ts';
import { ActivityBatcher } from './activity-batcher.ts';

function delta(sessionId: string, clicks = 1): SessionActivity {
  return {
    tenant: 't', sessionId, firstSeen: 1000, lastSeen: 2000, service: null, userId: null, entryUrl: null, urls: [], browser: null, os: null, device: null, userAgent: null,
    pageViews: 0, clicks, errors: 0, rageClicks: 0, deadClicks: 0, networkFailures: 0, consoleErrors: 0, spans: 0, segments: 0, replayBytes: 0,
  };
}

/** A writer that records each call and finishes when told to. */
function gatedWriter() {
  const calls: string[][] = [];
  const gates: (() => void)[] = [];
  let failWith: ((deltas: SessionActivity[]) => unknown) | null = null;
  const write = async (deltas: SessionActivity[]) => {
    calls.push(deltas.map((d) => d.sessionId));
    await new Promise<void>((resolve) => gates.push(resolve));
    const err = failWith?.(deltas);
    if (err) throw err;
  };
  return {
    write,
    calls,
    release: () => gates.splice(0).forEach((g) => g()),
    failWhen: (f: (deltas: SessionActivity[]) => unknown) => {
      failWith = f;
    },
  };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

test('requests of one event-loop turn share one write, and each resolves only after that write committed', async () => {
  const w = gatedWriter();
  const batcher = new ActivityBatcher(w.write);
  const done: string[] = [];
  const all = ['a', 'b', 'c'].map((id) => batcher.apply([delta(id)]).then(() => done.push(id)));
  await settle();
  assert.deepEqual(w.calls, [['a', 'b', 'c']]);
  assert.deepEqual(done, [], 'nothing is answered before the commit');
  w.release();
  await Promise.all(all);
  assert.deepEqual(done.sort(), ['a', 'b', 'c']);
});

test('requests arriving while a write runs wait for it and then go together in the next one', async () => {
  const w = gatedWriter();
  const batcher = new ActivityBatcher(w.write);
  const first = batcher.apply([delta('a')]);
  await settle();
  const later = [batcher.apply([delta('b')]), batcher.apply([delta('c'), delta('c', 2)])];
  await settle();
  assert.deepEqual(w.calls, [['a']], 'one write at a time');
  w.release();
  await first;
  await settle();
  assert.deepEqual(w.calls, [['a'], ['b', 'c', 'c']], 'the next write carries everything that waited, several deltas of one session included');
  w.release();
  await Promise.all(later);
});

test('an unavailable index fails every request of the batch (each answers 503); the next request is written normally', async () => {
  const w = gatedWriter();
  const batcher = new ActivityBatcher(w.write);
  w.failWhen(() => new IndexUnavailableError('database down'));
  const batch = [batcher.apply([delta('a')]), batcher.apply([delta('b')])];
  await settle();
  w.release();
  for (const p of batch) await assert.rejects(p, IndexUnavailableError);
  assert.equal(w.calls.length, 1, 'not retried one by one: nobody could be written');
  w.failWhen(() => null);
  const next = batcher.apply([delta('c')]);
  await settle();
  w.release();
  await next;
  assert.deepEqual(w.calls.at(-1), ['c']);
});

test('any other failure is isolated: each request is written alone and only the bad one fails', async () => {
  const w = gatedWriter();
  const batcher = new ActivityBatcher(w.write);
  w.failWhen((deltas) => (deltas.some((d) => d.sessionId === 'bad') ? new RangeError('bad delta') : null));
  const outcomes = ['a', 'bad', 'c'].map((id) => batcher.apply([delta(id)]).then(() => 'ok', (e: Error) => e.message));
  for (let round = 0; round < 5; round++) {
    await settle();
    w.release();
  }
  assert.deepEqual(await Promise.all(outcomes), ['ok', 'bad delta', 'ok']);
  assert.deepEqual(w.calls, [['a', 'bad', 'c'], ['a'], ['bad'], ['c']]);
});

test('no deltas: resolves at once without writing', async () => {
  const w = gatedWriter();
  await new ActivityBatcher(w.write).apply([]);
  assert.deepEqual(w.calls, []);
});
