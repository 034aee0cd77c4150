// Long work on the main thread in slices: a 60-minute recording arrives as megabytes of
// NDJSON, and parsing it and handing it to the player in one go would freeze the page (and
// hold back the first frame's paint) for as long as that takes.

/** Milliseconds of work before the browser gets a turn to paint and handle input. */
export const SLICE_BUDGET_MS = 10;

type Scheduler = { yield?: () => Promise<void> };

/**
 * Gives the browser a turn. `scheduler.yield()` where it exists; otherwise a message round
 * trip, which (unlike setTimeout) is not clamped to once a second in background tabs.
 */
export function yieldToBrowser(): Promise<void> {
  const scheduler = (globalThis as { scheduler?: Scheduler }).scheduler;
  if (typeof scheduler?.yield === 'function') {
    return scheduler.yield();
  }
  if (typeof MessageChannel === 'function') {
    return new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        channel.port1.close();
        resolve();
      };
      channel.port2.postMessage(null);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Longest wait for a paint before going on anyway (a throttled or hidden page may not paint). */
export const PAINT_WAIT_CAP_MS = 100;

/**
 * Resolves after the browser has painted what the DOM holds now: the first frame of a replay
 * should reach the screen before the rest of a long recording is handled, and a yield alone
 * does not guarantee a rendering opportunity. Never waits on hidden pages (no paint comes).
 */
export function afterNextPaint(): Promise<void> {
  if (typeof requestAnimationFrame !== 'function' || (typeof document !== 'undefined' && document.hidden)) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const cap = setTimeout(resolve, PAINT_WAIT_CAP_MS);
    requestAnimationFrame(() =>
      // rAF runs just before the paint; the next task runs after it.
      setTimeout(() => {
        clearTimeout(cap);
        resolve();
      }, 0)
    );
  });
}

/** Counts the time since the last turn the browser had, and yields once it exceeds the budget. */
export class TaskSlicer {
  private sliceStart = performance.now();

  constructor(
    private readonly budgetMs = SLICE_BUDGET_MS,
    private readonly yieldFn: () => Promise<void> = yieldToBrowser
  ) {}

  async maybeYield(): Promise<void> {
    if (performance.now() - this.sliceStart < this.budgetMs) {
      return;
    }
    await this.yieldFn();
    this.sliceStart = performance.now();
  }
}
