// The replay: an rrweb-player fed progressively by PlaybackLoader. It draws the first frame
// as soon as the first full snapshot arrives, appends the rest while it streams, and seeks
// either inside what is loaded or by reloading from the nearest full snapshot. Gaps and
// damaged segments met on the way are reported, never smoothed over. Every event passes
// protocol's ReplaySanitizer before the player sees it: the recording cannot make the
// viewer's browser fetch anything outside `allowedAssetOrigins` (none by default).
import React, { forwardRef, useCallback, useEffect, useImperativeHandle, useRef, useState } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Alert, useStyles2 } from '@grafana/ui';
import { ReplaySanitizer } from '@otel-replay/protocol';
import 'rrweb-player/dist/style.css';
import { PlaybackLoader } from '../../services/playback';
import type { RecordingProblem } from '../../services/playback';
import type { ReceiverClient } from '../../services/receiver';
import type { RrwebEvent } from '../../types';
import { ErrorState, Loading } from '../common/States';
import { testIds } from '../testIds';
import { createPlayer } from './player';
import type { PlayerHandle } from './player';

export interface ReplayPlayerHandle {
  /** Seek to an epoch ms moment of the recording. */
  seek(atMs: number): void;
}

export interface ReplayPlayerProps {
  client: ReceiverClient;
  sessionId: string;
  windowId?: string;
  /** Epoch ms to start at (the `t` of the Session URL). */
  initialAt?: number;
  autoPlay?: boolean;
  width?: number;
  height?: number;
  /** The window (tab) being played, as the receiver chose it when windowId is not given. */
  onWindow?: (windowId: string) => void;
  /** Epoch ms of the frame on screen, while playing or after a seek. */
  onTime?: (atMs: number) => void;
  onProblems?: (problems: RecordingProblem[]) => void;
  /** Time to first frame, for the bench and the harness. */
  onFirstFrame?: (ms: number) => void;
  /** Origins whose recorded assets may load during replay (jsonData.allowedAssetOrigins); default none. */
  allowedAssetOrigins?: string[];
}

const SEEK_STEP_MS = 5000;

export function describeProblem(p: RecordingProblem): string {
  if (p.kind === 'gap') {
    return p.fromSeq === p.toSeq ? `segment ${p.fromSeq} is missing` : `segments ${p.fromSeq}–${p.toSeq} are missing`;
  }
  if (p.kind === 'damaged') {
    return `segment ${p.fromSeq} is damaged: ${p.reason ?? 'unreadable'}`;
  }
  return `the stream stopped early: ${p.reason ?? 'unknown error'}`;
}

export const ReplayPlayer = forwardRef<ReplayPlayerHandle, ReplayPlayerProps>(function ReplayPlayer(props, ref) {
  const {
    client,
    sessionId,
    windowId,
    initialAt,
    autoPlay = true,
    width = 1024,
    height = 576,
    onWindow,
    onTime,
    onProblems,
    onFirstFrame,
    allowedAssetOrigins,
  } = props;
  const styles = useStyles2(getStyles);
  const target = useRef<HTMLDivElement>(null);
  const player = useRef<PlayerHandle | null>(null);
  const base = useRef(0);
  const current = useRef<number | undefined>(initialAt);
  const loader = useRef<PlaybackLoader | null>(null);
  const pendingSeek = useRef<number | undefined>(initialAt);
  /** A moment asked for that the stream has not reached yet (see onStart). */
  const deferredSeek = useRef<number | undefined>(undefined);
  const [status, setStatus] = useState<'loading' | 'playing' | 'error'>('loading');
  /** Whether the current load's stream has been read to its end (`end` line: complete). */
  const [stream, setStream] = useState<'streaming' | 'complete' | 'incomplete'>('streaming');
  const [error, setError] = useState<Error | null>(null);
  const [problems, setProblems] = useState<RecordingProblem[]>([]);
  const problemsSoFar = useRef<RecordingProblem[]>([]);
  const callbacks = useRef({ onWindow, onTime, onProblems, onFirstFrame });
  callbacks.current = { onWindow, onTime, onProblems, onFirstFrame };

  const destroyPlayer = () => {
    player.current?.$destroy();
    player.current = null;
    if (target.current) {
      target.current.innerHTML = '';
    }
  };

  /** Goes to a deferred moment after the events just added have reached the player (it adds them in a microtask). */
  const gotoDeferred = (target: number) => {
    deferredSeek.current = undefined;
    void Promise.resolve().then(() => player.current?.goto(Math.max(0, target - base.current), autoPlay));
  };

  useEffect(() => {
    const startedAt = performance.now();
    let firstFrame = false;
    // One per load: a load starts at a full snapshot, and the sanitizer tracks that snapshot's nodes.
    let sanitizer: ReplaySanitizer;
    try {
      sanitizer = new ReplaySanitizer({ allowedOrigins: allowedAssetOrigins });
    } catch (err) {
      // A bad allowedAssetOrigins entry: say so instead of replaying with a policy nobody chose.
      setError(new Error(`the app setting allowedAssetOrigins is invalid: ${(err as Error).message}`));
      setStatus('error');
      return undefined;
    }
    const l = new PlaybackLoader(client, sessionId, {
      onStart(events: RrwebEvent[], info) {
        destroyPlayer();
        sanitizer = new ReplaySanitizer({ allowedOrigins: allowedAssetOrigins });
        sanitizer.sanitize(events);
        if (!target.current) {
          return;
        }
        base.current = info.baseTimestamp;
        callbacks.current.onWindow?.(info.windowId);
        const p = createPlayer({ target: target.current, events, width, height, autoPlay: false });
        player.current = p;
        p.addEventListener('ui-update-current-time', (e) => {
          const offset = (e as { payload?: number }).payload;
          if (typeof offset === 'number') {
            current.current = base.current + offset;
            callbacks.current.onTime?.(current.current);
          }
        });
        const seekTo = pendingSeek.current;
        pendingSeek.current = undefined;
        deferredSeek.current = undefined;
        if (seekTo !== undefined && seekTo > events[events.length - 1]!.timestamp) {
          // rrweb cannot start at a moment it has no events for yet: events added later behind
          // the play head go to its virtual DOM and are never drawn. Show the snapshot now and
          // go to the moment once the stream has reached it.
          deferredSeek.current = seekTo;
          p.goto(0, false);
        } else {
          p.goto(seekTo !== undefined ? Math.max(0, seekTo - base.current) : 0, autoPlay);
        }
        setStatus('playing');
        if (!firstFrame) {
          firstFrame = true;
          callbacks.current.onFirstFrame?.(performance.now() - startedAt);
        }
      },
      onEvents(events) {
        sanitizer.sanitize(events);
        for (const e of events) {
          player.current?.addEvent(e);
        }
        const target = deferredSeek.current;
        if (target !== undefined && events.length > 0 && events[events.length - 1]!.timestamp >= target) {
          gotoDeferred(target);
        }
      },
      onProblem(problem) {
        // Tracked outside React's updater so the parent is told outside any render.
        problemsSoFar.current = [...problemsSoFar.current, problem];
        setProblems(problemsSoFar.current);
        callbacks.current.onProblems?.(problemsSoFar.current);
      },
      onEnd(complete) {
        setStream(complete ? 'complete' : 'incomplete');
        if (deferredSeek.current !== undefined) {
          gotoDeferred(deferredSeek.current);
        }
      },
      onError(err) {
        setError(err);
        setStatus('error');
      },
    });
    loader.current = l;
    setStatus('loading');
    setStream('streaming');
    setError(null);
    problemsSoFar.current = [];
    setProblems([]);
    void l.load(initialAt, windowId);
    return () => {
      l.stop();
      destroyPlayer();
    };
    // initialAt only matters for the first load of a session/window; later seeks go through seek().
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client, sessionId, windowId, (allowedAssetOrigins ?? []).join(' ')]);

  const seek = useCallback(
    (atMs: number) => {
      const l = loader.current;
      if (!l) {
        return;
      }
      current.current = atMs;
      deferredSeek.current = undefined;
      if (player.current && l.hasLoaded(atMs)) {
        player.current.goto(Math.max(0, atMs - base.current), true);
        callbacks.current.onTime?.(atMs);
        return;
      }
      // Outside what is loaded: reload from the nearest full snapshot at or before atMs.
      pendingSeek.current = atMs;
      problemsSoFar.current = [];
      setProblems([]);
      setStream('streaming');
      void l.load(atMs, windowId);
    },
    [windowId]
  );

  useImperativeHandle(ref, () => ({ seek }), [seek]);

  const onKeyDown = (e: React.KeyboardEvent) => {
    if (e.target !== e.currentTarget || !player.current) {
      return;
    }
    if (e.key === ' ' || e.key === 'k') {
      e.preventDefault();
      player.current.toggle();
    } else if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
      e.preventDefault();
      const now = current.current ?? base.current;
      seek(now + (e.key === 'ArrowRight' ? SEEK_STEP_MS : -SEEK_STEP_MS));
    } else if (e.key === 'f') {
      e.preventDefault();
      player.current.toggleFullscreen();
    }
  };

  return (
    <div className={styles.wrapper}>
      <div
        data-testid={testIds.player.container}
        data-status={status}
        data-stream={stream}
        className={styles.player}
        tabIndex={0}
        role="region"
        aria-label="Session replay. Space plays or pauses, arrow keys seek 5 seconds, f toggles fullscreen."
        onKeyDown={onKeyDown}
      >
        <div ref={target} />
      </div>
      {status === 'loading' && <Loading text="Loading the recording…" testId={testIds.player.loading} />}
      {status === 'error' && error && (
        <ErrorState
          title="The recording cannot be played"
          error={error}
          onRetry={() => seek(current.current ?? base.current)}
          testId={testIds.player.error}
        />
      )}
      {problems.length > 0 && (
        <div data-testid={testIds.player.problems}>
          <Alert severity="warning" title="This recording is incomplete">
            <ul>
              {problems.map((p, i) => (
                <li key={i}>{describeProblem(p)}</li>
              ))}
            </ul>
            Playback continues across the missing parts; what happened there is not shown.
          </Alert>
        </div>
      )}
    </div>
  );
});

const getStyles = (theme: GrafanaTheme2) => ({
  wrapper: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(1) }),
  player: css({
    background: theme.colors.background.secondary,
    borderRadius: theme.shape.radius.default,
    overflow: 'hidden',
    '&:focus-visible': { outline: `2px solid ${theme.colors.primary.main}` },
    '.rr-player': { background: theme.colors.background.primary, boxShadow: 'none' },
  }),
});
