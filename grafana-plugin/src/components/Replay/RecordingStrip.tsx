// A strip under the player showing the whole recording of one window: where it is now,
// where segments are missing (gaps) and which are damaged. Markers are buttons that seek.
import React from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';
import type { RecordingProblem } from '../../services/playback';
import { formatOffset } from '../../services/time';
import type { WindowDetail } from '../../types';
import { testIds } from '../testIds';

export interface StripMarker {
  kind: 'gap' | 'damaged';
  from: number;
  to: number;
  label: string;
}

/** Gap markers from the index (GET /sessions/:id) plus damaged segments met while streaming. */
export function stripMarkers(window: WindowDetail, problems: RecordingProblem[]): StripMarker[] {
  const out: StripMarker[] = [];
  const segs = window.segments;
  for (const g of window.gaps) {
    const before = [...segs].reverse().find((s) => s.seq < g.fromSeq);
    const after = segs.find((s) => s.seq > g.toSeq);
    const from = before?.lastTimestamp ?? window.firstTimestamp;
    const to = after?.firstTimestamp ?? from;
    out.push({
      kind: 'gap',
      from,
      to: Math.max(from, to),
      label: g.fromSeq === g.toSeq ? `Segment ${g.fromSeq} missing` : `Segments ${g.fromSeq}–${g.toSeq} missing`,
    });
  }
  for (const p of problems) {
    if (p.kind !== 'damaged') {
      continue;
    }
    const seg = segs.find((s) => s.seq === p.fromSeq);
    const from = seg?.firstTimestamp ?? p.at ?? window.firstTimestamp;
    out.push({
      kind: 'damaged',
      from,
      to: seg?.lastTimestamp ?? from,
      label: `Segment ${p.fromSeq} damaged: ${p.reason ?? 'unreadable'}`,
    });
  }
  return out;
}

export function RecordingStrip({
  window,
  problems,
  currentMs,
  onSeek,
}: {
  window: WindowDetail;
  problems: RecordingProblem[];
  currentMs?: number;
  onSeek: (ms: number) => void;
}) {
  const styles = useStyles2(getStyles);
  const span = Math.max(1, window.lastTimestamp - window.firstTimestamp);
  const pct = (t: number) => `${Math.min(100, Math.max(0, ((t - window.firstTimestamp) / span) * 100))}%`;
  const markers = stripMarkers(window, problems);
  return (
    <div className={styles.strip} data-testid={testIds.player.strip} aria-label="Recording overview">
      {currentMs !== undefined && <div className={styles.cursor} style={{ left: pct(currentMs) }} />}
      {markers.map((m, i) => (
        <button
          key={i}
          type="button"
          data-testid={testIds.player.marker}
          data-kind={m.kind}
          className={m.kind === 'gap' ? styles.gap : styles.damaged}
          style={{ left: pct(m.from), width: `max(6px, calc(${pct(m.to)} - ${pct(m.from)}))` }}
          title={`${formatOffset(m.from - window.firstTimestamp)} ${m.label}`}
          aria-label={`${m.label} at ${formatOffset(m.from - window.firstTimestamp)}`}
          onClick={() => onSeek(m.from)}
        />
      ))}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  strip: css({
    position: 'relative',
    height: 12,
    background: theme.colors.background.secondary,
    borderRadius: theme.shape.radius.default,
  }),
  cursor: css({ position: 'absolute', top: 0, bottom: 0, width: 2, background: theme.colors.primary.main }),
  gap: css({
    position: 'absolute',
    top: 0,
    bottom: 0,
    border: 'none',
    padding: 0,
    cursor: 'pointer',
    background: `repeating-linear-gradient(45deg, ${theme.colors.warning.main}, ${theme.colors.warning.main} 3px, transparent 3px, transparent 6px)`,
  }),
  damaged: css({
    position: 'absolute',
    top: 0,
    bottom: 0,
    border: 'none',
    padding: 0,
    cursor: 'pointer',
    background: theme.colors.error.main,
  }),
});
