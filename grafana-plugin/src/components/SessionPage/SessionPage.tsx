// The Session page: the replay with its recording overview, and beside it the timeline of
// the session's events, logs and spans. `?t=<ms>` opens the replay at that moment (the URL
// the SDK's getSessionUrl and the extension links build).
import React, { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useParams, useSearchParams } from 'react-router-dom';
import { css } from '@emotion/css';
import { dateTimeFormat } from '@grafana/data';
import type { GrafanaTheme2 } from '@grafana/data';
import { PluginPage, config } from '@grafana/runtime';
import { LinkButton, RadioButtonGroup, Stack, useStyles2 } from '@grafana/ui';
import { sessionsPath } from '../../constants';
import { logsExploreUrl, traceExploreUrl } from '../../services/explore';
import type { RecordingProblem } from '../../services/playback';
import { formatDuration } from '../../services/time';
import type { SessionDetail } from '../../types';
import { RecordingStrip } from '../Replay/RecordingStrip';
import { ReplayPlayer } from '../Replay/ReplayPlayer';
import type { ReplayPlayerHandle } from '../Replay/ReplayPlayer';
import { useAppContext } from '../common/settings';
import { Empty, ErrorState, Loading } from '../common/States';
import { useKeyedState } from '../common/useKeyedState';
import { testIds } from '../testIds';
import { Timeline } from './Timeline';
import { TruncatedNotice } from './TruncatedNotice';
import { useSessionTelemetry } from './useSessionTelemetry';

/** The longest the timeline waits for the replay's first frame. */
const TIMELINE_AFTER_MS = 1000;

type Load = { state: 'loading' } | { state: 'error'; error: Error } | { state: 'done'; session: SessionDetail };
const LOADING: Load = { state: 'loading' };

export function parseAt(raw: string | null): number | undefined {
  if (raw === null || !/^\d{1,16}$/.test(raw)) {
    return undefined;
  }
  return Number(raw);
}

/** The window (tab) playing at `at`, else the first. */
export function chooseWindow(session: SessionDetail, at: number | undefined): string | undefined {
  if (at !== undefined) {
    const w = session.windows.find((x) => at >= x.firstTimestamp && at <= x.lastTimestamp);
    if (w) {
      return w.windowId;
    }
  }
  return session.windows[0]?.windowId;
}

export function SessionView({ sessionId, initialAt }: { sessionId: string; initialAt?: number }) {
  const styles = useStyles2(getStyles);
  const { client, settings } = useAppContext();
  const [attempt, setAttempt] = useState(0);
  const loadKey = `${attempt}/${sessionId}`;
  const [load, setLoad] = useKeyedState<Load>(loadKey, LOADING);
  /** The tab picked by the viewer; until then the receiver picks (the one playing at `t`, else the first). */
  const [chosenWindow, setChosenWindow] = useState<string | undefined>();
  /** The tab the player is streaming, as the events stream's start line names it. */
  const [playingWindow, setPlayingWindow] = useState<string | undefined>();
  const [currentMs, setCurrentMs] = useState<number | undefined>(initialAt);
  const [problems, setProblems] = useState<RecordingProblem[]>([]);
  const player = useRef<ReplayPlayerHandle>(null);
  /**
   * The Loki/Tempo queries and the timeline wait for the replay's first frame (or a second,
   * whichever comes first): on opening a session, the picture is what the viewer waits for.
   */
  const [timelineDue, setTimelineDue] = useKeyedState(sessionId, false);
  useEffect(() => {
    const timer = setTimeout(() => setTimelineDue(sessionId, true), TIMELINE_AFTER_MS);
    return () => clearTimeout(timer);
  }, [sessionId, setTimelineDue]);
  const onFirstFrame = useCallback(() => setTimelineDue(sessionId, true), [sessionId, setTimelineDue]);

  useEffect(() => {
    const abort = new AbortController();
    client
      .getSession(sessionId, abort.signal)
      .then((session) => !abort.signal.aborted && setLoad(loadKey, { state: 'done', session }))
      .catch((error: Error) => !abort.signal.aborted && setLoad(loadKey, { state: 'error', error }));
    return () => abort.abort();
  }, [client, sessionId, loadKey, setLoad]);

  const session = load.state === 'done' ? load.session : null;
  const telemetryWindow = useMemo(
    () =>
      session && (timelineDue || session.windows.length === 0)
        ? { sessionId: session.sessionId, service: session.service, fromMs: session.firstSeen, toMs: session.lastSeen }
        : null,
    [session, timelineDue]
  );
  const { entries, sources } = useSessionTelemetry(settings, telemetryWindow);

  if (load.state === 'error') {
    return (
      <ErrorState
        title={`Session ${sessionId} could not be loaded`}
        error={load.error}
        onRetry={() => setAttempt((a) => a + 1)}
        testId={testIds.session.error}
      />
    );
  }
  const s = session;
  const windowId = chosenWindow ?? playingWindow ?? (s ? chooseWindow(s, initialAt) : undefined);
  const window = s?.windows.find((w) => w.windowId === windowId);
  // The player starts streaming at once, beside the session summary: the first frame does
  // not wait for the summary. Only a summary that says there is no recording replaces it.
  const noReplay = s !== null && s.windows.length === 0;
  const orgId = config.bootData?.user?.orgId;
  const seek = (ms: number) => {
    setCurrentMs(ms);
    player.current?.seek(ms);
  };

  return (
    <div data-testid={testIds.session.container}>
      {s ? (
        <SessionFacts session={s} tenant={settings.tenant} lokiUid={settings.lokiUid} orgId={orgId} exportUrl={client.exportUrl(s.sessionId)} />
      ) : (
        <Loading text={`Loading session ${sessionId}…`} />
      )}
      {s && <TruncatedNotice session={s} />}
      {s && s.windows.length > 1 && (
        <RadioButtonGroup
          className={styles.windows}
          options={s.windows.map((w, i) => ({
            label: `Tab ${i + 1}`,
            value: w.windowId,
            description: `${formatDuration(w.lastTimestamp - w.firstTimestamp)}, from ${dateTimeFormat(w.firstTimestamp)}`,
          }))}
          value={windowId}
          onChange={setChosenWindow}
        />
      )}
      <div className={styles.layout}>
        <div className={styles.replay}>
          {noReplay ? (
            <Empty message="This session has no replay">
              The SDK sent events and spans for it but no recording (replay off, sampled out or blocked).
            </Empty>
          ) : (
            <>
              <ReplayPlayer
                ref={player}
                client={client}
                sessionId={sessionId}
                windowId={chosenWindow}
                initialAt={initialAt}
                onWindow={setPlayingWindow}
                onTime={setCurrentMs}
                onProblems={setProblems}
                onFirstFrame={onFirstFrame}
                allowedAssetOrigins={settings.allowedAssetOrigins}
              />
              {window && <RecordingStrip window={window} problems={problems} currentMs={currentMs} onSeek={seek} />}
            </>
          )}
        </div>
        {s && telemetryWindow && (
          <Timeline
            entries={entries}
            startMs={window?.firstTimestamp ?? s.firstSeen}
            currentMs={currentMs}
            sources={sources}
            onSelect={(e) => seek(e.time)}
            exploreUrl={(e) =>
              settings.tempoUid && e.traceId
                ? traceExploreUrl({
                    tempoUid: settings.tempoUid,
                    traceId: e.traceId,
                    fromMs: e.time,
                    toMs: e.time + (e.durationMs ?? 0),
                    orgId,
                  })
                : undefined
            }
          />
        )}
      </div>
    </div>
  );
}

/** The session's summary line and its actions (back to the list, logs in Explore, export). */
function SessionFacts(props: { session: SessionDetail; tenant?: string; lokiUid?: string; orgId?: number; exportUrl: string }) {
  const { session: s, tenant, lokiUid, orgId, exportUrl } = props;
  const styles = useStyles2(getStyles);
  return (
    <Stack justifyContent="space-between" alignItems="center" wrap="wrap">
      <div className={styles.facts}>
        <strong>{s.userId ?? 'anonymous'}</strong>
        <span>{dateTimeFormat(s.firstSeen)}</span>
        <span>{formatDuration(s.durationMs)}</span>
        {s.service && <span>{s.service}</span>}
        {s.browser && <span>{[s.browser, s.os].filter(Boolean).join(' on ')}</span>}
        <span>{s.pageViews} pages</span>
        <span className={s.errors ? styles.error : undefined}>{s.errors} errors</span>
        {tenant && <span>tenant {tenant}</span>}
      </div>
      <Stack gap={1}>
        <LinkButton variant="secondary" icon="arrow-left" href={sessionsPath()}>
          Sessions
        </LinkButton>
        {lokiUid && (
          <LinkButton
            variant="secondary"
            icon="compass"
            href={logsExploreUrl({ lokiUid, sessionId: s.sessionId, service: s.service, fromMs: s.firstSeen, toMs: s.lastSeen, orgId })}
          >
            Logs in Explore
          </LinkButton>
        )}
        {s.hasReplay && (
          <LinkButton
            variant="secondary"
            icon="download-alt"
            href={exportUrl}
            download={`session-${s.sessionId}.html`}
            data-testid={testIds.session.export}
          >
            Export HTML
          </LinkButton>
        )}
      </Stack>
    </Stack>
  );
}

export default function SessionPage() {
  const { sessionId = '' } = useParams<{ sessionId: string }>();
  const [params] = useSearchParams();
  const at = parseAt(params.get('t'));
  return (
    <PluginPage>
      <SessionView sessionId={sessionId} initialAt={at} />
    </PluginPage>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  facts: css({
    display: 'flex',
    flexWrap: 'wrap',
    gap: theme.spacing(2),
    color: theme.colors.text.secondary,
    strong: { color: theme.colors.text.primary },
  }),
  error: css({ color: theme.colors.error.text }),
  windows: css({ marginTop: theme.spacing(1) }),
  layout: css({
    display: 'grid',
    gridTemplateColumns: 'minmax(0, 3fr) minmax(280px, 1fr)',
    gap: theme.spacing(2),
    marginTop: theme.spacing(2),
    [theme.breakpoints.down('lg')]: { gridTemplateColumns: '1fr' },
  }),
  replay: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(1), minWidth: 0 }),
});
