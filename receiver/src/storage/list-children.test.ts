// FilesystemStore.listChildren (one level below a prefix, as S3 with Delimiter '/') and
// the pruning of a directory emptied by delete, which retention relies on to stop finding
// days it already removed. The S3 side runs in retention/retention-job.test.ts (s3rver).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { FilesystemStore } from './fs-store.ts';
import { InvalidObjectKeyError } from './object-key-check.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'otel-replay-children-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('FilesystemStore.listChildren', () => {
  it('lists one level, drops a day directory once its last object is deleted, and refuses bad prefixes', async () => {
    const store = new FilesystemStore(path.join(dir, 'objects'));
    const bytes = new Uint8Array([1, 2, 3]);
    for (const k of ['t1/segments/v1/2025-01-01/a.orp', 't1/segments/v1/2025-01-01/b.orp', 't1/segments/v1/2025-01-02/c.orp', 't2/segments/v1/2025-01-01/d.orp']) await store.put(k, bytes);
    assert.deepEqual(await store.listChildren(''), ['t1', 't2']);
    assert.deepEqual(await store.listChildren('t1/segments/v1/'), ['2025-01-01', '2025-01-02']);
    assert.deepEqual(await store.listChildren('t1/segments/v1/2025-01-01/'), ['a.orp', 'b.orp']);
    assert.deepEqual(await store.listChildren('nobody/'), []);
    await store.delete('t1/segments/v1/2025-01-01/a.orp');
    assert.deepEqual(await store.listChildren('t1/segments/v1/'), ['2025-01-01', '2025-01-02'], 'not empty yet');
    await store.delete('t1/segments/v1/2025-01-01/b.orp');
    assert.deepEqual(await store.listChildren('t1/segments/v1/'), ['2025-01-02']);
    assert.deepEqual(await store.get('t1/segments/v1/2025-01-02/c.orp'), bytes);
    // The day can be written again (a late put recreates its directory).
    await store.put('t1/segments/v1/2025-01-01/e.orp', bytes);
    assert.deepEqual(await store.list('t1/segments/v1/2025-01-01/'), ['t1/segments/v1/2025-01-01/e.orp']);
    for (const bad of ['t1/segments', '../', '/t1/', 't1/../', 'a\u0000/']) {
      await assert.rejects(store.listChildren(bad), InvalidObjectKeyError, bad);
    }
  });
});
