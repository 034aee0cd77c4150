// Chooses the session index engine from configuration and brings its schema up to date,
// so the rest of the receiver only ever sees the SessionIndex interface.

import type { ReceiverConfig } from '../config.ts';
import type { SessionIndex } from './session-index.ts';
import { PostgresIndex } from './postgres-index.ts';
import { SqliteIndex } from './sqlite-index.ts';

/** Opens the configured index and runs its migrations; closes it again if they fail. */
export async function createSessionIndex(config: ReceiverConfig['index']): Promise<SessionIndex> {
  const index: SessionIndex = config.engine === 'postgres'
    ? new PostgresIndex({ url: config.postgres.url, maxConnections: config.postgres.maxConnections })
    : new SqliteIndex({ path: config.sqlite.path });
  try {
    await index.migrate();
  } catch (err) {
    await index.close().catch(() => {});
    throw err;
  }
  return index;
}
