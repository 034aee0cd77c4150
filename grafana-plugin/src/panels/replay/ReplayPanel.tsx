// The panel's body. It talks to the receiver through the app's proxy route, so the app must
// be enabled and configured; it says so when it is not. The player is fetched only when the
// panel replays (LazyReplayPlayer): a dashboard listing sessions never downloads it.
import React, { useEffect, useMemo } from 'react';
import { css } from '@emotion/css';
import type { PanelProps } from '@grafana/data';
import { ScrollContainer } from '@grafana/ui';
import { LazyReplayPlayer } from '../../components/Replay/LazyReplayPlayer';
import type { ReplayPlayerModule } from '../../components/Replay/LazyReplayPlayer';
import { SessionsTable } from '../../components/SessionsPage/SessionsTable';
import { Empty, ErrorState, Loading } from '../../components/common/States';
import { useKeyedState } from '../../components/common/useKeyedState';
import { createReceiverClient } from '../../services/receiver';
import type { ReceiverClient } from '../../services/receiver';
import type { SessionPage } from '../../types';

export interface ReplayPanelOptions {
  mode: 'recent' | 'replay';
  sessionId: string;
  limit: number;
  errorsOnly: boolean;
}

export function recentQuery(fromMs: number, toMs: number, limit: number, errorsOnly: boolean): URLSearchParams {
  const p = new URLSearchParams({
    from: String(fromMs),
    to: String(toMs),
    sort: 'firstSeen',
    order: 'desc',
    limit: String(Math.min(500, Math.max(1, Math.round(limit || 10)))),
    offset: '0',
  });
  if (errorsOnly) {
    p.set('hasErrors', 'true');
  }
  return p;
}

type Load = { state: 'loading' } | { state: 'error'; error: Error } | { state: 'done'; page: SessionPage };
const LOADING: Load = { state: 'loading' };

export type ReplayPanelProps = PanelProps<ReplayPanelOptions> & {
  /** Tests hand in a fake receiver and a controllable player loader. */
  client?: ReceiverClient;
  loadPlayer?: () => Promise<ReplayPlayerModule>;
};

export function ReplayPanel(props: ReplayPanelProps) {
  const { options, timeRange, width, height, replaceVariables } = props;
  const client = useMemo(() => props.client ?? createReceiverClient(), [props.client]);
  const sessionId = options.mode === 'replay' ? replaceVariables(options.sessionId ?? '').trim() : '';
  const from = timeRange.from.valueOf();
  const to = timeRange.to.valueOf();
  const query = recentQuery(from, to, options.limit, options.errorsOnly).toString();
  const [load, setLoad] = useKeyedState<Load>(query, LOADING);

  useEffect(() => {
    if (options.mode !== 'recent') {
      return;
    }
    const abort = new AbortController();
    client
      .searchSessions(new URLSearchParams(query), abort.signal)
      .then((page) => !abort.signal.aborted && setLoad(query, { state: 'done', page }))
      .catch((error: Error) => !abort.signal.aborted && setLoad(query, { state: 'error', error }));
    return () => abort.abort();
  }, [client, options.mode, query, setLoad]);

  if (options.mode === 'replay') {
    if (!sessionId || sessionId.startsWith('$')) {
      return (
        <Empty message="No session chosen">
          Set a session id in the panel options, or pick a session in the dashboard variable {options.sessionId}.
        </Empty>
      );
    }
    return (
      <div className={css({ width, height, overflow: 'hidden' })}>
        <LazyReplayPlayer
          key={sessionId}
          load={props.loadPlayer}
          client={client}
          sessionId={sessionId}
          width={width}
          height={Math.max(120, height - 90)}
          autoPlay={false}
        />
      </div>
    );
  }
  if (load.state === 'loading') {
    return <Loading text="Loading sessions…" />;
  }
  if (load.state === 'error') {
    return <ErrorState title="Sessions could not be loaded" error={load.error} />;
  }
  if (load.page.sessions.length === 0) {
    return <Empty message="No sessions in this time range" />;
  }
  return (
    <ScrollContainer>
      <SessionsTable sessions={load.page.sessions} />
    </ScrollContainer>
  );
}
