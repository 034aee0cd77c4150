// The panel's body. It talks to the receiver through the app's proxy route, so the app must
// be enabled and configured; it says so when it is not.
import React, { useEffect, useMemo, useState } from 'react';
import { css } from '@emotion/css';
import type { PanelProps } from '@grafana/data';
import { ScrollContainer } from '@grafana/ui';
import { ReplayPlayer } from '../../components/Replay/ReplayPlayer';
import { SessionsTable } from '../../components/SessionsPage/SessionsTable';
import { Empty, ErrorState, Loading } from '../../components/common/States';
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

export function ReplayPanel(props: PanelProps<ReplayPanelOptions> & { client?: ReceiverClient }) {
  const { options, timeRange, width, height, replaceVariables } = props;
  const client = useMemo(() => props.client ?? createReceiverClient(), [props.client]);
  const sessionId = options.mode === 'replay' ? replaceVariables(options.sessionId ?? '').trim() : '';
  const from = timeRange.from.valueOf();
  const to = timeRange.to.valueOf();
  const [load, setLoad] = useState<Load>({ state: 'loading' });

  useEffect(() => {
    if (options.mode !== 'recent') {
      return;
    }
    const abort = new AbortController();
    setLoad({ state: 'loading' });
    client
      .searchSessions(recentQuery(from, to, options.limit, options.errorsOnly), abort.signal)
      .then((page) => !abort.signal.aborted && setLoad({ state: 'done', page }))
      .catch((error: Error) => !abort.signal.aborted && setLoad({ state: 'error', error }));
    return () => abort.abort();
  }, [client, options.mode, options.limit, options.errorsOnly, from, to]);

  if (options.mode === 'replay') {
    if (!sessionId || sessionId.startsWith('$')) {
      return (
        <Empty message="No session chosen">
          Set the panel's session id, or pick a session in the dashboard variable {options.sessionId}.
        </Empty>
      );
    }
    return (
      <div className={css({ width, height, overflow: 'hidden' })}>
        <ReplayPlayer
          key={sessionId}
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
