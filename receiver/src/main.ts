#!/usr/bin/env node
// Starts a receiver: `npm run receiver` (or `node receiver/src/main.ts [--config FILE]`).
// Configuration comes from the file named by --config or OTEL_REPLAY_CONFIG, then from
// environment variables (see README). SIGINT/SIGTERM close it gracefully: pending
// segments are written and the forward queue stays on disk for the next start.

import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.ts';
import { createReceiver } from './app.ts';

function fail(message: string): never {
  process.stderr.write(`otel-replay receiver: ${message}\n`);
  process.exit(2);
}

const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
if (major < 22 || (major === 22 && minor < 18)) fail(`Node ${process.versions.node} is too old; use Node >= 22.18 (24 recommended)`);

const { values } = parseArgs({ options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  process.stdout.write('usage: otel-replay-receiver [--config receiver.yaml]\nSettings and environment variables: see README.md, "Configuration".\n');
  process.exit(0);
}

let config;
try {
  config = loadConfig({ file: values.config ?? null });
} catch (err) {
  if (err instanceof ConfigError) fail(`configuration error: ${err.message}`);
  throw err;
}

// Connections not yet accepted wait in the kernel's queue. Node's default (511) overflows
// when a busy loop accepts late while many browsers connect at once (after a restart, or
// as keep-alive pools grow under load); the kernel then drops handshakes and clients sit in
// SYN/data retransmission backoff for up to ~30 s before the receiver ever sees the
// request, where no load shedding can answer them. The kernel caps it at net.core.somaxconn.
const LISTEN_BACKLOG = 4096;

const receiver = await createReceiver(config).catch((err: unknown) => fail(`could not start: ${(err as Error).message}`));
const address = await receiver.app.listen({ host: config.server.host, port: config.server.port, backlog: LISTEN_BACKLOG });
receiver.app.log.info({ address, storage: receiver.services.store.description, index: config.index.engine, dataDir: config.dataDir }, `otel-replay receiver listening on ${address}`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    receiver.app.log.info(`${signal}: closing`);
    receiver.close().then(() => process.exit(0), (err: unknown) => {
      receiver.app.log.error({ err }, 'error while closing');
      process.exit(1);
    });
  });
}
