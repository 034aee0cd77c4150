// The replay player loaded on demand: rrweb-player and the playback code are most of the
// plugin's weight, and the dashboard panel must not make every dashboard download them
// (only a panel in replay mode needs them). While the chunk loads it says so; when the
// chunk cannot be fetched (offline, Grafana redeployed with a newer plugin) it says that,
// and offers a retry that really fetches again.
import React, { Component, Suspense, lazy, useState } from 'react';
import type { ComponentType, ErrorInfo, ReactNode } from 'react';
import { ErrorState, Loading } from '../common/States';
import { testIds } from '../testIds';
import type { ReplayPlayerProps } from './ReplayPlayer';

/** What the player chunk exports that is used here. */
export interface ReplayPlayerModule {
  ReplayPlayer: ComponentType<ReplayPlayerProps>;
}

/** Fetches the player's chunk (webpack splits at this import). */
export const loadReplayPlayer = (): Promise<ReplayPlayerModule> => import('./ReplayPlayer');

/** The player chunk could not be fetched or evaluated: a load failure, not a replay failure. */
export class PlayerLoadError extends Error {
  constructor(cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`The replay player's code could not be downloaded (${why}). Check the connection to Grafana, then retry.`);
    this.name = 'PlayerLoadError';
  }
}

function lazyPlayer(load: () => Promise<ReplayPlayerModule>) {
  return lazy(() =>
    load().then(
      (m) => ({ default: m.ReplayPlayer }),
      (err: unknown) => {
        throw new PlayerLoadError(err);
      }
    )
  );
}

interface BoundaryProps {
  onRetry: () => void;
  children: ReactNode;
}

/** Catches the failed load (React.lazy throws it while rendering) and whatever the player throws. */
class PlayerBoundary extends Component<BoundaryProps, { error: Error | null }> {
  state = { error: null as Error | null };

  static getDerivedStateFromError(error: unknown) {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  componentDidCatch(error: Error, info: ErrorInfo) {
    console.error('replay player failed', error, info.componentStack);
  }

  render() {
    const { error } = this.state;
    if (!error) {
      return this.props.children;
    }
    const loadFailed = error instanceof PlayerLoadError;
    return (
      <ErrorState
        testId={testIds.player.loadError}
        title={loadFailed ? 'The replay player could not be loaded' : 'The replay player failed'}
        error={error}
        onRetry={this.props.onRetry}
      />
    );
  }
}

export interface LazyReplayPlayerProps extends ReplayPlayerProps {
  /** Where the player comes from; tests hand in a controllable loader. */
  load?: () => Promise<ReplayPlayerModule>;
}

export function LazyReplayPlayer({ load = loadReplayPlayer, ...props }: LazyReplayPlayerProps) {
  // React.lazy remembers a rejected load for good, so a retry needs a new lazy component;
  // webpack forgets a failed chunk, so calling load() again really fetches again.
  const [attempt, setAttempt] = useState(() => ({ n: 0, Player: lazyPlayer(load) }));
  const { Player } = attempt;
  const retry = () => setAttempt((a) => ({ n: a.n + 1, Player: lazyPlayer(load) }));
  return (
    <PlayerBoundary key={attempt.n} onRetry={retry}>
      <Suspense fallback={<Loading text="Loading the replay player…" testId={testIds.player.chunkLoading} />}>
        <Player {...props} />
      </Suspense>
    </PlayerBoundary>
  );
}
