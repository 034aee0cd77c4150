// Progressive loading of a recording into a player: reads the events stream from a moment,
// hands the first full snapshot to the player as soon as it arrives (first frame before the
// session has loaded), appends the rest as it streams, and records gaps and damaged
// segments so the page can show them. A seek outside what is loaded restarts the stream at
// the nearest full snapshot before the target.
import type { RrwebEvent } from '../types';
import type { ReceiverClient } from './receiver';
import { afterNextPaint } from './yield';

export interface RecordingProblem {
  kind: 'gap' | 'damaged' | 'error';
  /** seq range for gaps, seq for damaged segments. */
  fromSeq?: number;
  toSeq?: number;
  reason?: string;
  /** Epoch ms where the problem sits in the recording, when known. */
  at?: number;
}

export interface PlaybackHandlers {
  /** The first events of a load (they start with a full snapshot); create or reset the player here. */
  onStart(events: RrwebEvent[], load: LoadInfo): void;
  /** Further events of the same load, in order. */
  onEvents(events: RrwebEvent[]): void;
  onProblem(problem: RecordingProblem): void;
  /** The stream ended (complete: an `end` line arrived). */
  onEnd(complete: boolean): void;
  onError(error: Error): void;
}

export interface LoadInfo {
  windowId: string;
  /** The moment asked for. */
  at: number | undefined;
  /** Timestamp of the first event handed to the player. */
  baseTimestamp: number;
}

/** Enough events to show a frame: rrweb's player needs at least two, including a full snapshot. */
function playable(events: RrwebEvent[]): boolean {
  return events.length >= 2 && events.some((e) => e.type === 2);
}

export class PlaybackLoader {
  private abort: AbortController | null = null;
  private loadedFrom = Infinity;
  private loadedUntil = -Infinity;
  private complete = false;
  private windowId: string | undefined;

  constructor(
    private readonly client: ReceiverClient,
    private readonly sessionId: string,
    private readonly handlers: PlaybackHandlers,
    /** Waits until the first frame is on screen before the rest of the stream is handled. */
    private readonly paint: () => Promise<void> = afterNextPaint
  ) {}

  /** True when `atMs` is inside what the current load has already handed to the player. */
  hasLoaded(atMs: number): boolean {
    return atMs >= this.loadedFrom && (atMs <= this.loadedUntil || this.complete);
  }

  get loadedRange(): { from: number; until: number; complete: boolean } {
    return { from: this.loadedFrom, until: this.loadedUntil, complete: this.complete };
  }

  stop(): void {
    this.abort?.abort();
    this.abort = null;
  }

  /** Starts (or restarts) streaming from the nearest full snapshot at or before `at`. */
  async load(at: number | undefined, windowId?: string): Promise<void> {
    this.stop();
    const abort = new AbortController();
    this.abort = abort;
    this.loadedFrom = Infinity;
    this.loadedUntil = -Infinity;
    this.complete = false;
    let pending: RrwebEvent[] = [];
    let started = false;
    let ended = false;
    let window = windowId ?? this.windowId;
    let lastSegmentEnd: number | undefined;
    const live = () => this.abort === abort;

    /** Hands pending events to the player; after the first frame, waits for it to be painted. */
    const flush = (): Promise<void> | undefined => {
      if (!pending.length) {
        return undefined;
      }
      if (!started) {
        if (!playable(pending)) {
          return undefined;
        }
        started = true;
        this.loadedFrom = pending[0]!.timestamp;
        this.handlers.onStart(pending, { windowId: window ?? '', at, baseTimestamp: pending[0]!.timestamp });
        pending = [];
        return this.paint();
      }
      this.handlers.onEvents(pending);
      pending = [];
      return undefined;
    };

    try {
      await this.client.streamEvents(
        this.sessionId,
        { at, window },
        (line) => {
          if (!live()) {
            return undefined;
          }
          switch (line.type) {
            case 'start':
              window = line.windowId;
              this.windowId = line.windowId;
              break;
            case 'segment':
              pending.push(...line.events);
              this.loadedUntil = Math.max(this.loadedUntil, line.lastTimestamp);
              lastSegmentEnd = line.lastTimestamp;
              return flush();
            case 'gap':
              this.handlers.onProblem({ kind: 'gap', fromSeq: line.fromSeq, toSeq: line.toSeq, at: lastSegmentEnd });
              break;
            case 'damaged':
              this.handlers.onProblem({
                kind: 'damaged',
                fromSeq: line.seq,
                toSeq: line.seq,
                reason: line.reason,
                at: lastSegmentEnd,
              });
              break;
            case 'error':
              this.handlers.onProblem({ kind: 'error', reason: line.reason, at: lastSegmentEnd });
              break;
            case 'end':
              ended = true;
              break;
          }
          return undefined;
        },
        abort.signal
      );
      if (!live()) {
        return;
      }
      if (!started && pending.length) {
        // A recording without a full snapshot cannot be drawn; say so rather than show nothing.
        this.handlers.onError(
          new Error(
            `the recording of session ${this.sessionId} has no full snapshot from this moment on, so nothing can be drawn; try an earlier moment`
          )
        );
        return;
      }
      if (!started) {
        this.handlers.onError(
          new Error(`the recording of session ${this.sessionId} has no events from this moment on`)
        );
        return;
      }
      this.complete = ended;
      this.handlers.onEnd(ended);
    } catch (err) {
      if (!live() || (err as Error)?.name === 'AbortError') {
        return;
      }
      this.handlers.onError(err instanceof Error ? err : new Error(String(err)));
    }
  }
}
