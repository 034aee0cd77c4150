// The recording engine, loaded lazily (with rrweb and fflate) by ReplayInstrumentation
// once the page has rendered: runs rrweb's recorder, passes every event through the
// mutation-storm guard and the attribute scrubber into the segmenter, compresses sealed
// segments off the main thread and emits each as an OTLP LogRecord. It also owns the
// recording's life cycle: idle pause and resume, session changes, buffer mode, page hide.

import { record } from '@rrweb/record';
import { gzipSync } from 'fflate';
import type { RrwebEvent, SegmentMeta } from '@otel-replay/protocol';
import type { ReplayOptions } from '../config.ts';
import type { SessionChange, SessionProvider } from '../session/session.ts';
import { privacyRecordOptions, scrubConfig } from './privacy.ts';
import { scrubEvent } from './scrub.ts';
import { dropBlockedShadow } from './shadow-block.ts';
import type { ScrubConfig } from './scrub.ts';
import { Segmenter, trimBuffer } from './segmenter.ts';
import type { SealedSegment } from './segmenter.ts';
import { SeqStore } from './seq-store.ts';
import { StormGuard } from './storm-guard.ts';

const FULL_SNAPSHOT = 2;
const CUSTOM = 5;

/**
 * Raw JSON per segment before it is sealed. rrweb JSON gzips 5-15×, so this keeps a
 * segment's body near 15-40 KiB: under the page-hide keepalive budget with room to spare.
 */
export const MAX_RAW_SEGMENT_CHARS = 256 * 1024;

/** Custom event tags the engine writes into recordings. */
export const ReplayTag = {
  paused: 'otel_replay.paused',
  throttled: 'otel_replay.mutations_throttled',
  throttleEnd: 'otel_replay.mutations_resumed',
  dropped: 'otel_replay.segment_dropped',
} as const;

/** Synchronous gzip (fflate): at page hide there is no time to wait for the worker, and without CompressionStream. */
function gzipNow(text: string): Uint8Array {
  return gzipSync(new TextEncoder().encode(text), { level: 6, mtime: 0 });
}

const INPUT_EVENTS = ['pointerdown', 'pointermove', 'keydown', 'input', 'scroll', 'wheel', 'touchstart'] as const;

export interface EngineConfig {
  session: SessionProvider;
  options: ReplayOptions;
  /**
   * Emits one segment as an OTLP log record (the replay instrumentation does it, so this
   * lazily loaded chunk shares no code with the eager part).
   */
  emitSegment: (meta: Omit<SegmentMeta, 'protocolVersion'>, body: Uint8Array | string) => void;
  /** SegmentLimits.maxBodyBytes and the page's off-main-thread gzip (compress.ts), passed in for the same reason. */
  maxBodyBytes: number;
  gzip: (text: string) => Promise<Uint8Array>;
  /** Pushes emitted records to the exporter now (page hide); the provider's forceFlush. */
  forceFlush: () => unknown;
}

interface Outgoing {
  segment: SealedSegment;
  sessionId: string;
  seq: number;
  done: boolean;
}

export class ReplayEngine {
  readonly #config: EngineConfig;
  readonly #options: ReplayOptions;
  readonly #segmenter = new Segmenter({ maxRawChars: MAX_RAW_SEGMENT_CHARS });
  readonly #guard: StormGuard;
  readonly #scrub: ScrubConfig;
  readonly #block: string | undefined;
  readonly #seqs: SeqStore;
  readonly #windowId: string;
  #stopRrweb: (() => void) | null = null;
  /** Session the current recording belongs to; null while not recording. */
  #sessionId: string | null = null;
  #running = false;
  #paused = false;
  #buffering: boolean;
  #buffered: SealedSegment[] = [];
  #outgoing: Outgoing[] = [];
  #chain: Promise<void> = Promise.resolve();
  #lastInputAt = Date.now();
  #pendingCustom: RrwebEvent[] = [];
  #cleanups: (() => void)[] = [];

  constructor(config: EngineConfig) {
    this.#config = config;
    this.#options = config.options;
    this.#buffering = config.options.mode === 'buffer';
    this.#windowId = config.session.windowId();
    this.#seqs = new SeqStore(this.#windowId);
    this.#guard = new StormGuard({
      maxMutationsPerNodePerSecond: config.options.maxMutationsPerNodePerSecond,
      maxMutationsPerBatch: config.options.maxMutationsPerBatch,
    });
    // Only an app's own selector can name a shadow host (media, canvas and iframes have no
    // recorded shadow roots), and the filter costs a lookup per mutation: skip it otherwise.
    this.#block = config.options.blockSelector?.trim() || undefined;
    this.#scrub = scrubConfig(config.options, (id) => {
      const node = record.mirror.getNode(id);
      return node && node.nodeType === 1 ? (node as Element) : node?.parentElement ?? null;
    });
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#lastInputAt = Date.now();
    this.#listen();
    this.#startRecording();
  }

  stop(): void {
    if (!this.#running) return;
    this.#sealAndSend(false);
    this.#stopRecording();
    this.#running = false;
    for (const cleanup of this.#cleanups.splice(0)) cleanup();
  }

  isRecording(): boolean {
    return this.#stopRrweb !== null;
  }

  /** Seals the current segment and sends it; on page hide synchronously, with what is still compressing. */
  async flush(pageHide = false): Promise<void> {
    this.#sealAndSend(pageHide);
    if (pageHide) {
      for (const o of this.#outgoing) if (!o.done) this.#emit(o, gzipNow(o.segment.json));
      this.#outgoing = [];
      await this.#config.forceFlush();
      return;
    }
    await this.#chain;
  }

  /** Buffer mode: an error happened, so the buffer is sent and recording continues normally. */
  notifyError(): void {
    if (!this.#buffering) return;
    this.#buffering = false;
    const current = this.#segmenter.seal();
    if (current) this.#buffered.push(current);
    const segments = trimBuffer(this.#buffered, Date.now(), this.#options.bufferSeconds * 1000);
    this.#buffered = [];
    for (const s of segments) this.#send(s, false);
  }

  addCustomEvent(tag: string, payload: unknown): void {
    const event: RrwebEvent = { type: CUSTOM, timestamp: Date.now(), data: { tag, payload } };
    if (this.isRecording()) this.#onEvent(event);
    else if (this.#pendingCustom.length < 50) this.#pendingCustom.push(event);
  }

  #startRecording(): void {
    if (this.#stopRrweb || !this.#running) return;
    const session = this.#config.session.current();
    // current() may have just begun a session, whose change listener started recording.
    if (this.#stopRrweb || !session.sampled) return;
    if (this.#sessionId !== session.id) {
      this.#segmenter.clear();
      this.#buffered = [];
    }
    this.#sessionId = session.id;
    const options = this.#options;
    const checkoutMs = this.#buffering ? Math.min(options.fullSnapshotIntervalMs, options.bufferSeconds * 1000) : options.fullSnapshotIntervalMs;
    const stop = record({
      emit: (event) => this.#onEvent(event as unknown as RrwebEvent),
      checkoutEveryNms: checkoutMs,
      ...privacyRecordOptions(options),
      // Missing CSS is the most common replay complaint; inline what the page can read.
      inlineStylesheet: true,
      recordCanvas: options.recordCanvas,
      recordCrossOriginIframes: false,
      collectFonts: false,
      inlineImages: false,
      sampling: { mousemove: 50, scroll: 150, media: 800, input: 'last' },
      slimDOMOptions: { script: true, comment: true, headFavicon: true, headWhitespace: true, headMetaSocial: true, headMetaRobots: true, headMetaHttpEquiv: true, headMetaVerification: true, headMetaAuthorship: true, headMetaDescKeywords: true },
      // An rrweb bug must never break the page.
      errorHandler: () => true,
    });
    this.#stopRrweb = stop ?? null;
    this.#guard.snapshotTaken();
    for (const event of this.#pendingCustom.splice(0)) this.#onEvent({ ...event, timestamp: Math.max(event.timestamp, Date.now()) });
  }

  #stopRecording(): void {
    const stop = this.#stopRrweb;
    this.#stopRrweb = null;
    try {
      stop?.();
    } catch {
      // rrweb failing to detach must not stop us from flushing
    }
  }

  #onEvent(raw: RrwebEvent): void {
    if (!this.#sessionId) return;
    let event: RrwebEvent | null = raw;
    const wasDirty = this.#guard.isDirty();
    const filtered = this.#guard.filter(raw);
    event = filtered.event;
    if (filtered.report && !wasDirty) {
      this.#push({ type: CUSTOM, timestamp: raw.timestamp, data: { tag: ReplayTag.throttled, payload: filtered.report } });
    }
    if (event && this.#block) event = dropBlockedShadow(event, this.#block, (id) => record.mirror.getNode(id) as Node | null);
    if (!event) return;
    if (event.type === FULL_SNAPSHOT) this.#guard.snapshotTaken();
    event = scrubEvent(event, this.#scrub);
    if (event) this.#push(event);
  }

  #push(event: RrwebEvent): void {
    for (const sealed of this.#segmenter.push(event)) this.#sealed(sealed);
  }

  #sealed(segment: SealedSegment): void {
    if (this.#buffering) {
      this.#buffered.push(segment);
      this.#buffered = trimBuffer(this.#buffered, Date.now(), this.#options.bufferSeconds * 1000);
    } else {
      this.#send(segment, false);
    }
  }

  #sealAndSend(pageHide: boolean): void {
    const segment = this.#segmenter.seal();
    if (!segment) return;
    if (this.#buffering) this.#sealed(segment);
    else this.#send(segment, pageHide);
  }

  /** Numbers the segment now (order of sealing = order of seq) and compresses it. */
  #send(segment: SealedSegment, pageHide: boolean): void {
    if (!this.#sessionId) return;
    const o: Outgoing = { segment, sessionId: this.#sessionId, seq: this.#seqs.next(this.#sessionId), done: false };
    if (pageHide) {
      this.#emit(o, gzipNow(segment.json));
      return;
    }
    this.#outgoing.push(o);
    this.#chain = this.#chain.then(async () => {
      if (o.done) return;
      let body: Uint8Array;
      try {
        body = await this.#config.gzip(segment.json);
      } catch {
        body = gzipNow(segment.json);
      }
      if (!o.done) this.#emit(o, body);
      this.#outgoing = this.#outgoing.filter((x) => x !== o);
    });
  }

  #emit(o: Outgoing, body: Uint8Array): void {
    o.done = true;
    let segment = o.segment;
    const size = body.length;
    if (size > this.#config.maxBodyBytes) {
      // One event too large to ever be accepted: say so in the recording instead of a silent gap.
      const marker = JSON.stringify([{ type: CUSTOM, timestamp: segment.firstTimestamp, data: { tag: ReplayTag.dropped, payload: { reason: 'too-large', bytes: size, events: segment.eventCount } } }]);
      segment = { json: marker, firstTimestamp: segment.firstTimestamp, lastTimestamp: segment.firstTimestamp, eventCount: 1, hasFullSnapshot: false };
      body = gzipNow(marker);
    }
    this.#config.emitSegment({
      sessionId: o.sessionId,
      windowId: this.#windowId,
      seq: o.seq,
      firstTimestamp: segment.firstTimestamp,
      lastTimestamp: segment.lastTimestamp,
      eventCount: segment.eventCount,
      hasFullSnapshot: segment.hasFullSnapshot,
      encoding: 'gzip-json',
    }, body);
  }

  #pause(): void {
    if (!this.#stopRrweb || this.#paused) return;
    this.#onEvent({ type: CUSTOM, timestamp: Date.now(), data: { tag: ReplayTag.paused, payload: { idleMs: this.#options.idlePauseMs } } });
    this.#sealAndSend(false);
    this.#stopRecording();
    this.#paused = true;
  }

  #resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    // A fresh rrweb recording starts with Meta + FullSnapshot: a new seekable segment.
    this.#startRecording();
  }

  #onSessionChange(change: SessionChange): void {
    if (change.type === 'end') {
      if (change.session.id === this.#sessionId) {
        this.#sealAndSend(false);
        this.#stopRecording();
        this.#sessionId = null;
        this.#buffered = [];
      }
      return;
    }
    if (change.session.id === this.#sessionId) return;
    if (this.#sessionId) {
      this.#sealAndSend(false);
      this.#stopRecording();
      this.#sessionId = null;
    }
    if (!this.#paused) this.#startRecording();
  }

  #tick(): void {
    if (!this.#running) return;
    const now = Date.now();
    if (this.#stopRrweb && this.#sessionId && this.#config.session.current().id !== this.#sessionId) {
      // The session expired without telling us (e.g. max duration while the tab slept).
      this.#onSessionChange({ type: 'start', session: this.#config.session.current() });
      return;
    }
    if (this.#guard.shouldResnapshot() && this.#stopRrweb) {
      const dropped = this.#guard.droppedSinceSnapshot;
      this.#push({ type: CUSTOM, timestamp: now, data: { tag: ReplayTag.throttleEnd, payload: { dropped } } });
      this.#guard.snapshotTaken();
      record.takeFullSnapshot(true);
    }
    if (now - this.#lastInputAt >= this.#options.idlePauseMs) this.#pause();
  }

  #listen(): void {
    if (typeof window === 'undefined') return;
    const onInput = (): void => {
      this.#lastInputAt = Date.now();
      if (this.#paused) this.#resume();
    };
    for (const type of INPUT_EVENTS) window.addEventListener(type, onInput, { capture: true, passive: true });
    const onHide = (): void => void this.flush(true);
    const onVisibility = (): void => {
      if (document.visibilityState === 'hidden') onHide();
    };
    window.addEventListener('pagehide', onHide);
    document.addEventListener('visibilitychange', onVisibility);
    const flushTimer = setInterval(() => this.#sealAndSend(false), Math.max(250, this.#options.flushIntervalMs));
    const tickTimer = setInterval(() => this.#tick(), Math.max(100, Math.min(1000, this.#options.idlePauseMs / 4)));
    const unsubscribe = this.#config.session.onChange((change) => this.#onSessionChange(change));
    this.#cleanups.push(() => {
      for (const type of INPUT_EVENTS) window.removeEventListener(type, onInput, { capture: true });
      window.removeEventListener('pagehide', onHide);
      document.removeEventListener('visibilitychange', onVisibility);
      clearInterval(flushTimer);
      clearInterval(tickTimer);
      unsubscribe();
    });
  }
}
