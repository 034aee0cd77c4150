// What the harness test and the playback bench read off the Session page: the replay
// iframe rrweb-player draws into, and the recorded page's clock inside it.

import type { Page } from 'playwright-core';
import { clockSeconds } from './recording.ts';

/** The player's container (testIds.player.container). */
export const REPLAY_PLAYER = '[data-testid="data-testid replay-player"]';
/** The iframe rrweb-player rebuilds the recorded page in. */
export const REPLAY_IFRAME = `${REPLAY_PLAYER} iframe`;
/** The player once its current events stream has been read to its `end` line. */
export const REPLAY_STREAM_COMPLETE = `${REPLAY_PLAYER}[data-stream="complete"]`;

/**
 * Runs `source` (a function expression, as text) in the page with `arg`. Text keeps browser
 * code out of Node's typecheck, which has no DOM types.
 */
export function inPage<T>(page: Page, source: string, arg: unknown): Promise<T> {
  return page.evaluate(`(${source})(${JSON.stringify(arg)})`) as Promise<T>;
}

/** In the page: the replay iframe's clock text, or null (argument: REPLAY_IFRAME). */
export const READ_CLOCK = `(sel) => {
  const frame = document.querySelector(sel);
  return frame?.contentDocument?.getElementById('clock')?.textContent ?? null;
}`;

/** Seconds shown by the replayed page's clock, NaN when nothing is drawn yet. */
export async function replayClock(page: Page): Promise<number> {
  return clockSeconds(await inPage<string | null>(page, READ_CLOCK, REPLAY_IFRAME));
}

/** Waits until the replayed clock shows a second in [min, max]; says what it showed otherwise. */
export async function waitForClock(page: Page, min: number, max: number, timeoutMs = 15_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = NaN;
  while (Date.now() < deadline) {
    last = await replayClock(page);
    if (last >= min && last <= max) return last;
    await page.waitForTimeout(50);
  }
  throw new Error(`the replayed page's clock should show ${min}–${max} s within ${timeoutMs} ms but shows ${Number.isNaN(last) ? 'nothing' : `${last} s`}`);
}
