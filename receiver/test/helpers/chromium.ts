// Launches Debian's Chromium through playwright-core for tests in a real browser. Nothing
// is downloaded: the browser is /usr/bin/chromium (apt-get install chromium), started
// with the flags this machine needs and a fresh profile directory.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface LaunchedBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** The flags Chromium needs on these machines (headless, as root, no network of its own). */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

/** Fails with what to install when Debian's Chromium is not there (a missing peer is a failure, not a skip). */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`Chromium is missing at ${CHROMIUM_PATH}: install it with apt-get install -y chromium (or set CHROMIUM_PATH)`);
}

export async function launchChromium(): Promise<LaunchedBrowser> {
  requireChromium();
  const profile = mkdtempSync(path.join(os.tmpdir(), 'otel-replay-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
