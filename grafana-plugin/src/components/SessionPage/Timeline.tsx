// The session's timeline beside the player: page views, clicks, rage clicks, errors and
// console logs from Loki and network spans from Tempo, in time order. Selecting an entry
// seeks the player; a span opens its trace in Explore.
import React, { useMemo, useState } from 'react';
import { css, cx } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Alert, Icon, LinkButton, Stack, TagList, useStyles2 } from '@grafana/ui';
import type { IconName } from '@grafana/ui';
import { activeEntryIndex } from '../../services/timeline';
import type { TimelineEntry, TimelineKind } from '../../services/timeline';
import { formatDuration, formatOffset } from '../../services/time';
import { testIds } from '../testIds';

const ICONS: Record<TimelineKind, IconName> = {
  page_view: 'file-alt',
  click: 'crosshair',
  rage_click: 'fire',
  dead_click: 'crosshair',
  error: 'exclamation-triangle',
  console: 'brackets-curly',
  custom: 'star',
  log: 'align-left',
  span: 'exchange-alt',
};

export interface TimelineSource {
  name: string;
  state: 'loading' | 'ok' | 'error' | 'off';
  message?: string;
}

export interface TimelineProps {
  entries: TimelineEntry[];
  startMs: number;
  currentMs?: number;
  sources: TimelineSource[];
  onSelect: (entry: TimelineEntry) => void;
  exploreUrl?: (entry: TimelineEntry) => string | undefined;
}

export function Timeline({ entries, startMs, currentMs, sources, onSelect, exploreUrl }: TimelineProps) {
  const styles = useStyles2(getStyles);
  const [errorsOnly, setErrorsOnly] = useState(false);
  const shown = useMemo(
    () => (errorsOnly ? entries.filter((e) => e.level !== 'info') : entries),
    [entries, errorsOnly]
  );
  const active = currentMs === undefined ? -1 : activeEntryIndex(shown, currentMs);
  return (
    <div className={styles.container} data-testid={testIds.timeline.container}>
      <Stack justifyContent="space-between" alignItems="center">
        <h3 className={styles.heading}>Timeline</h3>
        <label className={styles.toggle}>
          <input type="checkbox" checked={errorsOnly} onChange={(e) => setErrorsOnly(e.currentTarget.checked)} />{' '}
          Problems only
        </label>
      </Stack>
      {sources
        .filter((s) => s.state === 'error' || s.state === 'off')
        .map((s) => (
          <div key={s.name} data-testid={testIds.timeline.error}>
            <Alert
              severity={s.state === 'error' ? 'error' : 'info'}
              title={s.state === 'error' ? `${s.name} could not be queried` : `${s.name} is not configured`}
            >
              {s.message}
            </Alert>
          </div>
        ))}
      {sources.some((s) => s.state === 'loading') && (
        <div className={styles.secondary}>
          Loading{' '}
          {sources
            .filter((s) => s.state === 'loading')
            .map((s) => s.name)
            .join(' and ')}
          …
        </div>
      )}
      {shown.length === 0 && sources.every((s) => s.state !== 'loading') && (
        <div className={styles.secondary} data-testid={testIds.timeline.empty}>
          {errorsOnly ? 'No errors or warnings in this session.' : 'No events, logs or spans found for this session.'}
        </div>
      )}
      <ol className={styles.list}>
        {shown.map((e, i) => {
          const href = e.kind === 'span' ? exploreUrl?.(e) : undefined;
          return (
            <li
              key={e.id}
              className={cx(styles.entry, i === active && styles.active)}
              data-testid={testIds.timeline.entry}
              data-kind={e.kind}
            >
              <button
                type="button"
                className={styles.select}
                onClick={() => onSelect(e)}
                aria-label={`Seek to ${formatOffset(e.time - startMs)}: ${e.title}`}
              >
                <span className={styles.time}>{formatOffset(e.time - startMs)}</span>
                <Icon
                  name={ICONS[e.kind]}
                  className={
                    e.level === 'error' ? styles.errorIcon : e.level === 'warning' ? styles.warnIcon : undefined
                  }
                />
                <span className={styles.title}>
                  {e.title}
                  {(e.detail || e.durationMs !== undefined) && (
                    <span className={styles.secondary}>
                      {' '}
                      {[e.detail, e.durationMs !== undefined ? formatDuration(e.durationMs) : undefined]
                        .filter(Boolean)
                        .join(' · ')}
                    </span>
                  )}
                </span>
              </button>
              {href && (
                <LinkButton
                  href={href}
                  size="sm"
                  variant="secondary"
                  fill="text"
                  icon="compass"
                  data-testid={testIds.timeline.explore}
                  tooltip="Open this trace in Explore"
                >
                  Trace
                </LinkButton>
              )}
              {e.kind === 'rage_click' && <TagList tags={['rage']} />}
            </li>
          );
        })}
      </ol>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  container: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(1), minWidth: 0 }),
  heading: css({ margin: 0, fontSize: theme.typography.h5.fontSize }),
  toggle: css({
    color: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
    display: 'flex',
    gap: theme.spacing(0.5),
    alignItems: 'center',
  }),
  list: css({ listStyle: 'none', margin: 0, padding: 0, overflowY: 'auto', maxHeight: 640 }),
  entry: css({
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(1),
    borderBottom: `1px solid ${theme.colors.border.weak}`,
  }),
  active: css({ background: theme.colors.action.selected }),
  select: css({
    all: 'unset',
    flex: 1,
    minWidth: 0,
    display: 'flex',
    gap: theme.spacing(1),
    alignItems: 'baseline',
    padding: theme.spacing(0.5, 1),
    cursor: 'pointer',
    '&:hover': { background: theme.colors.action.hover },
    '&:focus-visible': { outline: `2px solid ${theme.colors.primary.main}` },
  }),
  time: css({ fontFamily: theme.typography.fontFamilyMonospace, color: theme.colors.text.secondary, flexShrink: 0 }),
  title: css({ overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }),
  secondary: css({ color: theme.colors.text.secondary, fontSize: theme.typography.bodySmall.fontSize }),
  errorIcon: css({ color: theme.colors.error.text }),
  warnIcon: css({ color: theme.colors.warning.text }),
});
