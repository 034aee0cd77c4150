// Starts a real receiver (same code path as `npm run receiver`) on 127.0.0.1 with a
// fresh data directory, for tests that talk to it over HTTP.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createReceiver } from '../../src/app.ts';
import type { Receiver } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';

export interface RunningReceiver {
  url: string;
  receiver: Receiver;
  dataDir: string;
  stop(options?: { keepData?: boolean }): Promise<void>;
}

/** `overrides` uses the config file's shape, e.g. { groupCommit: { maxDelayMs: 20 } }. */
export async function startReceiver(overrides: Record<string, unknown> = {}, dataDir?: string): Promise<RunningReceiver> {
  const dir = dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'otel-replay-receiver-'));
  const config = loadConfig({
    env: {},
    // No shedding for event-loop delay by default: in-process, the loop is shared with the
    // test's own synchronous work, whose delays are not the receiver's overload.
    overrides: deepMerge({ dataDir: dir, server: { port: 0, logLevel: 'silent' }, groupCommit: { maxDelayMs: 20 }, loadShedding: { maxEventLoopDelayMs: 0 } }, overrides),
  });
  const receiver = await createReceiver(config);
  const address = await receiver.app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url: address,
    receiver,
    dataDir: dir,
    async stop(options = {}) {
      await receiver.close();
      if (!options.keepData) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    out[k] = cur && typeof cur === 'object' && !Array.isArray(cur) && v && typeof v === 'object' && !Array.isArray(v)
      ? deepMerge(cur as Record<string, unknown>, v as Record<string, unknown>)
      : v;
  }
  return out;
}

/**
 * Holds every object PUT of an in-process receiver's store until the returned function
 * is called (a store that hangs, without failing); calling it again does nothing.
 */
export function stallStorePuts(rx: RunningReceiver): () => void {
  const store = rx.receiver.services.store;
  const put = store.put.bind(store);
  let release!: () => void;
  const stalled = new Promise<void>((resolve) => {
    release = resolve;
  });
  store.put = async (key, bytes) => {
    await stalled;
    return put(key, bytes);
  };
  return release;
}
