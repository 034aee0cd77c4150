// Picks the object store backend from configuration, so nothing else in the receiver
// branches on which store is in use.

import type { ReceiverConfig } from '../config.ts';
import { ConfigError } from '../config.ts';
import { FilesystemStore } from './fs-store.ts';
import type { ObjectStore } from './object-store.ts';
import { S3Store } from './s3-store.ts';

export function createObjectStore(config: ReceiverConfig['storage']): ObjectStore {
  switch (config.backend) {
    case 'filesystem':
      return new FilesystemStore(config.filesystem.dir);
    case 's3':
      return new S3Store(config.s3);
    default:
      throw new ConfigError(`storage.backend ${JSON.stringify((config as { backend: unknown }).backend)} is not filesystem or s3; fix the receiver configuration`);
  }
}
