// Headless Chromium for the browser benchmarks (Debian's /usr/bin/chromium through
// playwright-core, nothing downloaded), a fresh browser context — fresh storage, so no
// session or persisted segment leaks from one run into the next — per run, and the
// renderer main thread's CPU and busy time read over CDP (Performance.getMetrics).

import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH, requireChromium } from '../../receiver/test/helpers/chromium.ts';

export async function launchBrowser(): Promise<Browser> {
  requireChromium();
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    timeout: 30_000,
    args: CHROMIUM_ARGS,
  });
}

/** Closes the browser, waiting at most `ms` (a wedged browser must not hang the run). */
export async function closeBrowser(browser: Browser | null, ms = 10_000): Promise<void> {
  if (!browser) return;
  await Promise.race([browser.close().catch(() => {}), new Promise((r) => setTimeout(r, ms).unref())]);
}

export interface BenchPage {
  context: BrowserContext;
  page: Page;
  cdp: CDPSession;
  /** Console errors and uncaught page errors, for error messages. */
  problems: string[];
  close(): Promise<void>;
}

export async function openPage(browser: Browser): Promise<BenchPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
  });
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  return { context, page, cdp, problems, close: () => context.close().catch(() => {}) };
}

export interface MainThreadTime {
  /**
   * CPU time of the renderer main thread, ms (CDP ThreadTime). Unlike task durations it
   * does not grow when other processes compete for the CPU, so it is the figure to compare.
   */
  cpuMs: number;
  /** CPU time of the whole renderer process, every thread (workers, compositor, raster), ms; 10 ms granularity. */
  processCpuMs: number;
  /** Wall time the main thread spent running tasks (script, style, layout, paint, GC), ms. */
  taskMs: number;
  /** Of which running JavaScript, ms. */
  scriptMs: number;
  layoutMs: number;
  styleMs: number;
}

/** Cumulative main-thread figures of the page since it was created. */
export async function mainThreadTime(cdp: CDPSession): Promise<MainThreadTime> {
  const { metrics } = await cdp.send('Performance.getMetrics');
  const get = (name: string): number => {
    const m = metrics.find((x) => x.name === name);
    if (!m) throw new Error(`Chromium's Performance.getMetrics has no ${name}; got ${metrics.map((x) => x.name).join(', ')}`);
    return m.value * 1000;
  };
  return { cpuMs: get('ThreadTime'), processCpuMs: get('ProcessTime'), taskMs: get('TaskDuration'), scriptMs: get('ScriptDuration'), layoutMs: get('LayoutDuration'), styleMs: get('RecalcStyleDuration') };
}

export function minus(a: MainThreadTime, b: MainThreadTime): MainThreadTime {
  return {
    cpuMs: a.cpuMs - b.cpuMs,
    processCpuMs: a.processCpuMs - b.processCpuMs,
    taskMs: a.taskMs - b.taskMs,
    scriptMs: a.scriptMs - b.scriptMs,
    layoutMs: a.layoutMs - b.layoutMs,
    styleMs: a.styleMs - b.styleMs,
  };
}

/** `promise`, or an error naming `what` after `ms`. */
export async function within<T>(what: string, ms: number, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
