import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { SeqStore } from './seq-store.ts';

function fakeSessionStorage(fail = false): Map<string, string> {
  const map = new Map<string, string>();
  (globalThis as { sessionStorage?: unknown }).sessionStorage = {
    getItem: (k: string) => (fail ? (() => { throw new Error('denied'); })() : map.get(k) ?? null),
    setItem: (k: string, v: string) => {
      if (fail) throw new Error('denied');
      map.set(k, v);
    },
  };
  return map;
}

afterEach(() => {
  delete (globalThis as { sessionStorage?: unknown }).sessionStorage;
});

test('sequence numbers continue across page loads of one window and restart at 0 for a new session', () => {
  fakeSessionStorage();
  const first = new SeqStore('w1');
  assert.deepEqual([first.next('s1'), first.next('s1'), first.next('s1')], [0, 1, 2]);
  const reloaded = new SeqStore('w1');
  assert.equal(reloaded.next('s1'), 3);
  assert.equal(reloaded.next('s2'), 0);
  assert.equal(reloaded.next('s2'), 1);
  assert.equal(new SeqStore('w2').next('s2'), 0, 'another window has its own counter');
});

test('corrupt or unavailable storage falls back to memory without going backwards', () => {
  const map = fakeSessionStorage();
  map.set('otel-replay.seq.w1', '{"s":"s1","n":-4}');
  const store = new SeqStore('w1');
  assert.equal(store.next('s1'), 0);
  map.set('otel-replay.seq.w1', 'not json');
  assert.equal(store.next('s1'), 1);
  fakeSessionStorage(true);
  const denied = new SeqStore('w9');
  assert.deepEqual([denied.next('s'), denied.next('s')], [0, 1]);
});
