// Tests of backend selection from configuration.

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ConfigError, defaultConfig } from '../config.ts';
import { createObjectStore } from './create-store.ts';
import { FilesystemStore } from './fs-store.ts';
import { S3Store } from './s3-store.ts';

it('builds a filesystem store on the configured directory', () => {
  const storage = defaultConfig().storage;
  storage.filesystem.dir = '/var/lib/otel-replay/objects';
  const store = createObjectStore(storage);
  assert.ok(store instanceof FilesystemStore);
  assert.equal(store.description, 'filesystem:/var/lib/otel-replay/objects');
});

it('builds an S3 store with bucket, endpoint and prefix', async () => {
  const storage = defaultConfig().storage;
  storage.backend = 's3';
  storage.s3 = { ...storage.s3, bucket: 'replays', endpoint: 'http://127.0.0.1:9', forcePathStyle: true, accessKeyId: 'k', secretAccessKey: 's', prefix: 'otel' };
  const store = createObjectStore(storage);
  assert.ok(store instanceof S3Store);
  assert.equal(store.description, 's3:http://127.0.0.1:9/replays/otel/');
  await store.close();
});

it('refuses half-configured S3 credentials and unknown backends', () => {
  const storage = defaultConfig().storage;
  storage.backend = 's3';
  storage.s3 = { ...storage.s3, accessKeyId: 'only-the-id' };
  assert.throws(() => createObjectStore(storage), (err: Error) => err instanceof ConfigError && /secretAccessKey/.test(err.message));
  assert.throws(() => createObjectStore({ ...storage, backend: 'ftp' as 's3' }), ConfigError);
});
