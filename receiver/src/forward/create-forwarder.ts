// Builds the Forwarder the receiver runs with, from config.forward. With no target
// configured nothing is forwarded and no queue directory is created.

import type { ForwardLog } from './http-forwarder.ts';
import { HttpForwarder } from './http-forwarder.ts';
import type { ForwardConfig } from './http-forwarder.ts';
import type { Forwarder, ForwardPayload } from './forwarder.ts';

/** Used when neither logsUrl nor tracesUrl is set. */
class DisabledForwarder implements Forwarder {
  enabled(): boolean {
    return false;
  }

  async enqueue(payload: ForwardPayload): Promise<void> {
    throw new Error(`no forward target is configured for ${String(payload?.signal)} (forward.logsUrl and forward.tracesUrl are null); check enabled() before enqueue()`);
  }

  stats(): { queuedPayloads: number; queuedBytes: number; delivered: number; failedAttempts: number; dropped: number } {
    return { queuedPayloads: 0, queuedBytes: 0, delivered: 0, failedAttempts: 0, dropped: 0 };
  }

  async drain(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {}
}

export async function createForwarder(config: ForwardConfig, log?: ForwardLog): Promise<Forwarder> {
  if (config.logsUrl === null && config.tracesUrl === null) return new DisabledForwarder();
  return HttpForwarder.open(config, log);
}
