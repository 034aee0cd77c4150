// Everything a harness browser test stands on, started and stopped as one: the built
// plugin and the harness bundle, a real receiver holding the test's recording, the
// harness page server (Grafana stood in for) and Chromium.

import { rmSync } from 'node:fs';
import type { Segment } from '@otel-replay/protocol';
import { launchChromium } from '../../receiver/test/helpers/chromium.ts';
import type { LaunchedBrowser } from '../../receiver/test/helpers/chromium.ts';
import { startReceiver } from '../../receiver/test/helpers/receiver.ts';
import type { RunningReceiver } from '../../receiver/test/helpers/receiver.ts';
import { buildHarness, ensurePluginBuilt } from './build.ts';
import { ingestRecording } from './recording.ts';
import { startHarnessServer } from './server.ts';
import type { HarnessServer } from './server.ts';

export interface Harness {
  rx: RunningReceiver;
  server: HarnessServer;
  browser: LaunchedBrowser;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Stored in the receiver before the page server starts. */
  segments: Segment[];
  /** The app's jsonData. */
  jsonData: Record<string, unknown>;
  /** Forward the plugin's receiver proxy route to the receiver (default true); tests that route it themselves say false. */
  proxyReceiver?: boolean;
}

export async function startHarness(options: HarnessOptions): Promise<Harness> {
  ensurePluginBuilt();
  const bundle = await buildHarness();
  const started: Partial<Harness> = {};
  const close = async (): Promise<void> => {
    await started.browser?.close();
    await started.server?.close();
    await started.rx?.stop();
    rmSync(bundle.dir, { recursive: true, force: true });
  };
  try {
    const rx = (started.rx = await startReceiver());
    await ingestRecording(rx.url, options.segments);
    started.server = await startHarnessServer({ bundleDir: bundle.dir, jsonData: options.jsonData, receiverUrl: options.proxyReceiver === false ? undefined : rx.url });
    started.browser = await launchChromium();
    return { rx, server: started.server, browser: started.browser, close };
  } catch (err) {
    await close();
    throw err;
  }
}
