// Load shedding for ingest: decides, before a request's body is read, whether the process
// is too busy to take it, so that a CPU-starved receiver answers 503 + Retry-After at once
// (clients back off and resend the same bytes) instead of accepting work it finishes only
// after the client has given up, and the requests it does accept stay fast.
//
// Two signals, each one a CPU-starved Node process really has:
// - Event-loop delay, sampled by a timer: how late the loop gets to a callback that was due.
//   Every stage of an ingest request (headers, body, inflate callback, decode, index and
//   commit callbacks, the answer) waits that long for its turn, so it is the queueing delay
//   of the whole process, whatever causes it (CPU taken by other processes, JSON and
//   protobuf decoding, a synchronous SQLite commit, GC). The sampler runs in the timers
//   phase, before the poll phase that picks up new requests, so requests that queued
//   behind a stall are judged with the stall already known. We do not use "arrival to
//   handler start" of each request: Node sees a request only when the loop reads it, and
//   a small body arrives with its headers, so that wait is ~0 even while the loop is
//   starved (the queueing happens in the socket, where we cannot time it).
// - Ingest requests in flight (admitted, not yet answered): Little's law bounds latency by
//   in-flight / throughput, and it also catches waits the loop delay does not see
//   (inflate on the thread pool, fsync, a slow store) and bounds memory held by bodies.
//
// The loop delay is smoothed (exponentially, weighted by the time each sample covers) so
// that one GC pause does not shed, while a stall as long as the time constant does. From
// half of `maxEventLoopDelayMs` a growing share of requests is shed, all of them at the
// maximum: a proportional controller that settles where the loop delay stays under the
// maximum instead of flapping between "take everything" and "take nothing". The share is
// applied by a credit counter, not at random, so tests are deterministic.

export interface LoadSheddingConfig {
  /** Smoothed event-loop delay at which every ingest request is shed; from half of it a growing share is. 0 = off. */
  maxEventLoopDelayMs: number;
  /** Ingest requests admitted and not yet answered; beyond it new ones are shed. 0 = no limit. */
  maxInFlight: number;
  /** Retry-After of a shed request: whole seconds drawn from [this, 2 × this]. */
  retryAfterSeconds: number;
}

export type ShedReason = 'event_loop_delay' | 'in_flight';

export type Admission =
  | { admitted: true; /** Call once the request is answered (or aborted); extra calls are ignored. */ release(): void }
  | { admitted: false; reason: ShedReason; retryAfterSeconds: number; message: string };

export interface LoadShedderStats {
  /** Smoothed event-loop delay in ms. */
  eventLoopDelayMs: number;
  inFlight: number;
  /** Share of ingest requests shed for the loop delay right now, 0..1. */
  shedShare: number;
}

export interface LoadShedderOptions {
  /** Milliseconds clock (performance.now by default); tests pass their own. */
  now?: () => number;
  /** Uniform [0, 1), for the Retry-After jitter. */
  random?: () => number;
  /** How often the sampler looks at the loop. */
  sampleIntervalMs?: number;
  /** Time constant of the smoothing. */
  smoothingMs?: number;
}

const DEFAULT_SAMPLE_INTERVAL_MS = 50;
// A stall of about this long (or a loop that stays this slow) counts in full; a single GC
// pause of a fifth of it moves the smoothed delay by a fifth or so.
const DEFAULT_SMOOTHING_MS = 500;

export class LoadShedder {
  readonly #config: LoadSheddingConfig;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #sampleIntervalMs: number;
  readonly #smoothingMs: number;
  #delayMs = 0;
  #lastSampleAt: number | null = null;
  #inFlight = 0;
  #credit = 0;
  #timer: NodeJS.Timeout | null = null;

  constructor(config: LoadSheddingConfig, options: LoadShedderOptions = {}) {
    this.#config = config;
    this.#now = options.now ?? (() => performance.now());
    this.#random = options.random ?? Math.random;
    this.#sampleIntervalMs = options.sampleIntervalMs ?? DEFAULT_SAMPLE_INTERVAL_MS;
    this.#smoothingMs = options.smoothingMs ?? DEFAULT_SMOOTHING_MS;
  }

  /** Starts sampling the event loop (nothing to do when the delay rule is off). */
  start(): void {
    if (this.#timer || this.#config.maxEventLoopDelayMs <= 0) return;
    this.#lastSampleAt = this.#now();
    this.#timer = setInterval(() => this.tick(), this.#sampleIntervalMs);
    // The sampler alone must not keep a process alive.
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** One sampler tick: the time since the previous tick beyond the interval is loop delay. */
  tick(): void {
    const now = this.#now();
    const last = this.#lastSampleAt;
    this.#lastSampleAt = now;
    // The first tick only sets the reference point.
    if (last !== null) this.observeDelay(Math.max(0, now - last - this.#sampleIntervalMs), now - last);
  }

  /** Adds one loop-delay sample that describes the last `coversMs` of time. */
  observeDelay(delayMs: number, coversMs: number): void {
    this.#delayMs = this.#smoothed(delayMs, coversMs);
  }

  #smoothed(delayMs: number, coversMs: number): number {
    const weight = 1 - Math.exp(-Math.max(0, coversMs) / this.#smoothingMs);
    return this.#delayMs + weight * (delayMs - this.#delayMs);
  }

  /**
   * The smoothed delay as of now. When the loop was stalled while idle in poll (a frozen or
   * descheduled process), the requests that queued meanwhile are read before the overdue
   * sampler runs; an overdue sampler is then itself the news, so count it without waiting.
   */
  #currentDelayMs(): number {
    if (this.#lastSampleAt === null) return this.#delayMs;
    const sinceSample = this.#now() - this.#lastSampleAt;
    const overdue = sinceSample - this.#sampleIntervalMs;
    return overdue > 0 ? Math.max(this.#delayMs, this.#smoothed(overdue, sinceSample)) : this.#delayMs;
  }

  /** Share of requests to shed for a loop delay: 0 below half the maximum, 1 at it. */
  #shareFor(delayMs: number): number {
    const max = this.#config.maxEventLoopDelayMs;
    if (max <= 0) return 0;
    return Math.min(1, Math.max(0, (delayMs - max / 2) / (max / 2)));
  }

  /** Whether to take one more ingest request now; an admitted one must be released when answered. */
  admit(): Admission {
    const { maxInFlight } = this.#config;
    if (maxInFlight > 0 && this.#inFlight >= maxInFlight) {
      return this.#shed('in_flight', `${this.#inFlight} ingest requests are already being handled (loadShedding.maxInFlight ${maxInFlight})`);
    }
    const delayMs = this.#config.maxEventLoopDelayMs > 0 ? this.#currentDelayMs() : 0;
    const share = this.#shareFor(delayMs);
    if (share <= 0) {
      this.#credit = 0;
    } else {
      this.#credit += share;
      if (this.#credit >= 1) {
        this.#credit -= 1;
        return this.#shed('event_loop_delay', `its event loop is running ${Math.round(delayMs)} ms late (loadShedding.maxEventLoopDelayMs ${this.#config.maxEventLoopDelayMs})`);
      }
    }
    this.#inFlight++;
    let released = false;
    return {
      admitted: true,
      release: () => {
        if (released) return;
        released = true;
        this.#inFlight--;
      },
    };
  }

  stats(): LoadShedderStats {
    return { eventLoopDelayMs: this.#delayMs, inFlight: this.#inFlight, shedShare: this.#shareFor(this.#delayMs) };
  }

  #shed(reason: ShedReason, why: string): Admission {
    // Clients (the OTel JS exporters, our SDK) wait exactly Retry-After; jitter spreads a
    // crowd shed together over [base, 2 × base] instead of bringing it back at once.
    const base = this.#config.retryAfterSeconds;
    const retryAfterSeconds = base + Math.floor(this.#random() * (base + 1));
    return { admitted: false, reason, retryAfterSeconds, message: `the receiver is overloaded: ${why}; nothing was read, retry the same request after ${retryAfterSeconds} s` };
  }
}
