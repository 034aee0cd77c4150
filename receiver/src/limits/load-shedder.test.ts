import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LoadShedder } from './load-shedder.ts';
import type { Admission, LoadSheddingConfig } from './load-shedder.ts';

const INTERVAL = 50;

/** A shedder on a fake clock whose loop sampler is driven by hand. */
function shedderAt(config: Partial<LoadSheddingConfig> = {}, random = () => 0.5) {
  let now = 1000;
  const shedder = new LoadShedder({ maxEventLoopDelayMs: 400, maxInFlight: 0, retryAfterSeconds: 2, ...config }, { now: () => now, random, sampleIntervalMs: INTERVAL, smoothingMs: 500 });
  shedder.tick();
  return {
    shedder,
    /** The loop runs on time for `ms` (one sample per interval). */
    idle(ms: number) {
      for (let t = 0; t < ms; t += INTERVAL) {
        now += INTERVAL;
        shedder.tick();
      }
    },
    /** The clock moves `ms` and the sampler has not run yet (requests read before the timers phase). */
    freeze(ms: number) {
      now += ms;
    },
    /** The loop is stuck for `ms`, then the overdue sample runs. */
    stall(ms: number) {
      now += INTERVAL + ms;
      shedder.tick();
    },
  };
}

function shedCount(shedder: LoadShedder, requests: number): number {
  let shed = 0;
  for (let i = 0; i < requests; i++) {
    const a = shedder.admit();
    if (a.admitted) a.release();
    else shed++;
  }
  return shed;
}

test('a loop on time sheds nothing', () => {
  const { shedder, idle } = shedderAt();
  idle(5000);
  assert.equal(shedder.stats().eventLoopDelayMs, 0);
  assert.equal(shedCount(shedder, 1000), 0);
});

test('one short pause (a GC) does not shed; a stall as long as the maximum sheds everything', () => {
  const { shedder, idle, stall } = shedderAt();
  idle(1000);
  stall(100);
  assert.ok(shedder.stats().eventLoopDelayMs < 100, `a 100 ms pause moves the smoothed delay a little (${shedder.stats().eventLoopDelayMs} ms)`);
  assert.equal(shedCount(shedder, 100), 0);
  idle(2000);
  stall(2000);
  assert.ok(shedder.stats().eventLoopDelayMs > 1500, `${shedder.stats().eventLoopDelayMs}`);
  assert.equal(shedder.stats().shedShare, 1);
  const a = shedder.admit();
  assert.equal(a.admitted, false);
  if (!a.admitted) {
    assert.equal(a.reason, 'event_loop_delay');
    assert.match(a.message, /overloaded: its event loop is running \d+ ms late \(loadShedding\.maxEventLoopDelayMs 400\)/);
    assert.match(a.message, /retry the same request after \d s/);
  }
  assert.equal(shedCount(shedder, 100), 100);
});

test('between half the maximum and the maximum the shed share grows linearly, applied exactly', () => {
  const { shedder } = shedderAt({ maxEventLoopDelayMs: 400 });
  // A long sample at 300 ms sets the smoothed delay to ~300 ms: (300 − 200) / 200 = half.
  shedder.observeDelay(300, 1e9);
  assert.equal(shedder.stats().shedShare, 0.5);
  assert.equal(shedCount(shedder, 1000), 500);
  shedder.observeDelay(250, 1e9);
  assert.equal(shedder.stats().shedShare, 0.25);
  assert.equal(shedCount(shedder, 1000), 250);
  shedder.observeDelay(199, 1e9);
  assert.equal(shedder.stats().shedShare, 0);
  assert.equal(shedCount(shedder, 1000), 0);
});

test('a loop that stays slow is shed within about a second; once it is on time again, everything is taken within ~2 s', () => {
  const { shedder, idle, stall } = shedderAt({ maxEventLoopDelayMs: 400 });
  // Starved: every iteration takes 600 ms.
  let shedWithin = -1;
  for (let i = 0; i < 10; i++) {
    stall(600);
    if (shedder.stats().shedShare === 1) {
      shedWithin = (i + 1) * (600 + INTERVAL);
      break;
    }
  }
  assert.ok(shedWithin > 0 && shedWithin <= 1400, `everything is shed within ~1 s of starvation (${shedWithin} ms)`);
  let takenAfter = -1;
  for (let t = 0; t <= 5000; t += INTERVAL) {
    idle(INTERVAL);
    if (shedCount(shedder, 10) === 0) {
      takenAfter = t + INTERVAL;
      break;
    }
  }
  assert.ok(takenAfter > 0 && takenAfter <= 2000, `accepts again within 2 s of recovery (${takenAfter} ms)`);
});

test('requests read before an overdue sampler runs (a frozen process resuming in poll) are judged by the overdue time', () => {
  const { shedder, idle, freeze } = shedderAt({ maxEventLoopDelayMs: 400 });
  idle(1000);
  freeze(INTERVAL + 20);
  assert.equal(shedCount(shedder, 10), 0, 'a sampler a little late is not news');
  idle(1000);
  freeze(1500);
  assert.ok(shedder.stats().eventLoopDelayMs < 50, 'the sampler has not run');
  assert.equal(shedCount(shedder, 10), 10, 'but 1.5 s without it is a stall');
  idle(INTERVAL);
  assert.ok(shedder.stats().eventLoopDelayMs > 1000, 'then the sampler records it');
});

test('in-flight limit: sheds beyond it until a request is released; release is idempotent', () => {
  const { shedder } = shedderAt({ maxEventLoopDelayMs: 0, maxInFlight: 3 });
  const taken = [shedder.admit(), shedder.admit(), shedder.admit()];
  assert.ok(taken.every((a) => a.admitted));
  assert.equal(shedder.stats().inFlight, 3);
  const refused = shedder.admit();
  assert.equal(refused.admitted, false);
  if (!refused.admitted) {
    assert.equal(refused.reason, 'in_flight');
    assert.match(refused.message, /3 ingest requests are already being handled \(loadShedding\.maxInFlight 3\)/);
  }
  const first = taken[0] as Extract<Admission, { admitted: true }>;
  first.release();
  first.release();
  assert.equal(shedder.stats().inFlight, 2, 'a second release does not count twice');
  assert.equal(shedder.admit().admitted, true);
  assert.equal(shedder.admit().admitted, false);
});

test('the delay rule off (0) never sheds, however late the loop', () => {
  const { shedder, stall } = shedderAt({ maxEventLoopDelayMs: 0 });
  stall(10_000);
  assert.equal(shedder.stats().shedShare, 0);
  assert.equal(shedCount(shedder, 100), 0);
});

test('Retry-After is jittered over whole seconds in [base, 2 × base]', () => {
  const seen = new Set<number>();
  for (const r of [0, 0.2, 0.34, 0.5, 0.67, 0.9, 0.999999]) {
    const { shedder, stall } = shedderAt({ retryAfterSeconds: 2 }, () => r);
    stall(5000);
    const a = shedder.admit();
    assert.equal(a.admitted, false);
    if (!a.admitted) {
      assert.ok(Number.isInteger(a.retryAfterSeconds) && a.retryAfterSeconds >= 2 && a.retryAfterSeconds <= 4, `${a.retryAfterSeconds}`);
      seen.add(a.retryAfterSeconds);
    }
  }
  assert.deepEqual([...seen].sort(), [2, 3, 4]);
});

test('the real sampler sees a blocked loop, and start/stop leave no timer behind', async () => {
  const shedder = new LoadShedder({ maxEventLoopDelayMs: 200, maxInFlight: 0, retryAfterSeconds: 1 }, { sampleIntervalMs: 20 });
  shedder.start();
  try {
    await new Promise((r) => setTimeout(r, 60));
    const until = performance.now() + 600;
    while (performance.now() < until) {
      // Busy: the loop cannot run the sampler.
    }
    await new Promise((r) => setTimeout(r, 30));
    assert.ok(shedder.stats().eventLoopDelayMs > 200, `smoothed delay after a 600 ms block: ${shedder.stats().eventLoopDelayMs} ms`);
    assert.equal(shedder.admit().admitted, false);
  } finally {
    shedder.stop();
  }
});
