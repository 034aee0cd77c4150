#!/usr/bin/env node
// Starts the demo on its own: `npm run demo` (or `node demo/src/main.ts`). Settings come
// from DEMO_* environment variables (see config.ts and demo/README.md); `npm start`
// (scripts/start.ts) runs it next to a receiver. SIGINT/SIGTERM close it after the
// backend's pending spans are exported.

import { DemoConfigError, loadDemoConfig } from './config.ts';
import { startDemo } from './server.ts';

function fail(message: string): never {
  process.stderr.write(`otel-replay demo: ${message}\n`);
  process.exit(2);
}

let config;
try {
  config = loadDemoConfig();
} catch (err) {
  if (err instanceof DemoConfigError) fail(`configuration error: ${err.message}`);
  throw err;
}

const log = (line: string): void => void process.stdout.write(`otel-replay demo: ${line}\n`);
const demo = await startDemo(config, log).catch((err: unknown) => fail(`could not start: ${(err as Error).message}`));
log(`listening on ${demo.url} (sending to ${config.browserEndpoint}, backend spans to ${config.tracesUrl})`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    demo.close().then(() => process.exit(0), (err: unknown) => {
      process.stderr.write(`otel-replay demo: error while closing: ${(err as Error).message}\n`);
      process.exit(1);
    });
  });
}
