import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memoryRequestStore, planEviction } from './persistence.ts';

test('planEviction drops the oldest entries until the new one fits and refuses one larger than the budget', () => {
  const entries = [{ id: 3, bytes: 40, createdAt: 30 }, { id: 1, bytes: 40, createdAt: 10 }, { id: 2, bytes: 40, createdAt: 20 }];
  assert.deepEqual(planEviction(entries, 10, 200), { accept: true, evict: [] });
  assert.deepEqual(planEviction(entries, 50, 150), { accept: true, evict: [1] });
  assert.deepEqual(planEviction(entries, 100, 150), { accept: true, evict: [1, 2] });
  assert.deepEqual(planEviction(entries, 151, 150), { accept: false, evict: [] });
  assert.deepEqual(planEviction([], 150, 150), { accept: true, evict: [] });
});

test('the store keeps within its byte budget, hands entries out once, and discards stale ones', async () => {
  let now = 1000;
  const store = memoryRequestStore(100, () => now);
  const a = await store.put('a'.repeat(40));
  now += 10;
  await store.put('b'.repeat(40));
  now += 10;
  await store.put('c'.repeat(40)); // evicts a
  assert.equal(await store.put('x'.repeat(101)), null);
  assert.deepEqual(store.entries.map((e) => e.body[0]), ['b', 'c']);
  assert.ok(a !== null);
  await store.remove(store.entries[0]!.id);
  now += 1000;
  await store.put('d'.repeat(10));
  const taken = await store.takeAll(500);
  assert.deepEqual(taken.map((e) => e.body[0]), ['d'], 'c is older than 500 ms and dropped');
  assert.deepEqual(await store.takeAll(1e9), [], 'taken entries are gone');
});
