// Loads a session's Loki logs and Tempo spans side by side; each source reports its own
// state so one failing data source never hides the other's entries.
import { useEffect, useState } from 'react';
import { fetchSessionLogs, fetchSessionSpans } from '../../services/telemetry';
import type { SessionWindow } from '../../services/telemetry';
import { mergeTimeline } from '../../services/timeline';
import type { TimelineEntry } from '../../services/timeline';
import type { AppSettings } from '../../types';
import type { TimelineSource } from './Timeline';

export function useSessionTelemetry(
  settings: AppSettings,
  session: SessionWindow | null
): { entries: TimelineEntry[]; sources: TimelineSource[] } {
  const [logs, setLogs] = useState<TimelineEntry[]>([]);
  const [spans, setSpans] = useState<TimelineEntry[]>([]);
  const [loki, setLoki] = useState<TimelineSource>({ name: 'Loki', state: 'loading' });
  const [tempo, setTempo] = useState<TimelineSource>({ name: 'Tempo', state: 'loading' });
  const key = session ? `${session.sessionId}|${session.fromMs}|${session.toMs}` : '';

  useEffect(() => {
    if (!session) {
      return;
    }
    let live = true;
    const run = (
      uid: string | undefined,
      name: 'Loki' | 'Tempo',
      fetcher: (uid: string, s: SessionWindow) => Promise<TimelineEntry[]>,
      setEntries: (e: TimelineEntry[]) => void,
      setSource: (s: TimelineSource) => void
    ) => {
      if (!uid) {
        setSource({
          name,
          state: 'off',
          message: `Choose a ${name} data source on the app's configuration page to see this session's ${name === 'Loki' ? 'events and logs' : 'network spans'}.`,
        });
        return;
      }
      setSource({ name, state: 'loading' });
      fetcher(uid, session)
        .then((entries) => {
          if (live) {
            setEntries(entries);
            setSource({ name, state: 'ok' });
          }
        })
        .catch((err: Error) => {
          if (live) {
            setSource({ name, state: 'error', message: err.message });
          }
        });
    };
    run(settings.lokiUid, 'Loki', fetchSessionLogs, setLogs, setLoki);
    run(settings.tempoUid, 'Tempo', fetchSessionSpans, setSpans, setTempo);
    return () => {
      live = false;
    };
    // key captures the session fields that matter
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, settings.lokiUid, settings.tempoUid]);

  return { entries: mergeTimeline(logs, spans), sources: [loki, tempo] };
}
