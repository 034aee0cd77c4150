// The sessions table: one row per session, sortable by the columns the receiver can sort
// on; each row opens the Session page. Plain table markup so it is keyboard and screen
// reader friendly; Grafana's theme gives it its look.
import React from 'react';
import { css } from '@emotion/css';
import { dateTimeFormat } from '@grafana/data';
import type { GrafanaTheme2 } from '@grafana/data';
import { Icon, TextLink, useStyles2 } from '@grafana/ui';
import { sessionPath } from '../../constants';
import { formatDuration } from '../../services/time';
import type { SortField, SortOrder } from '../../services/urlState';
import type { SessionSummary } from '../../types';
import { testIds } from '../testIds';

interface Column {
  title: string;
  sort?: SortField;
  numeric?: boolean;
}

const COLUMNS: Column[] = [
  { title: 'User' },
  { title: 'Start', sort: 'firstSeen' },
  { title: 'Duration', sort: 'duration', numeric: true },
  { title: 'Pages', sort: 'pageViews', numeric: true },
  { title: 'Errors', sort: 'errors', numeric: true },
  { title: 'Entry URL' },
];

export interface SessionsTableProps {
  sessions: SessionSummary[];
  sort?: SortField;
  order?: SortOrder;
  onSort?: (field: SortField) => void;
  timeZone?: string;
}

export function SessionsTable({ sessions, sort, order, onSort, timeZone }: SessionsTableProps) {
  const styles = useStyles2(getStyles);
  return (
    <table className={styles.table} data-testid={testIds.sessions.table}>
      <thead>
        <tr>
          {COLUMNS.map((c) => {
            const active = c.sort !== undefined && c.sort === sort;
            return (
              <th
                key={c.title}
                className={c.numeric ? styles.numeric : undefined}
                aria-sort={active ? (order === 'asc' ? 'ascending' : 'descending') : undefined}
                scope="col"
              >
                {c.sort && onSort ? (
                  <button type="button" className={styles.sortButton} onClick={() => onSort(c.sort!)}>
                    {c.title}
                    {active && <Icon name={order === 'asc' ? 'arrow-up' : 'arrow-down'} size="sm" />}
                  </button>
                ) : (
                  c.title
                )}
              </th>
            );
          })}
        </tr>
      </thead>
      <tbody>
        {sessions.map((s) => (
          <tr key={s.sessionId} data-testid={testIds.sessions.row}>
            <td>
              <TextLink href={sessionPath(s.sessionId, s.firstSeen)} inline={false}>
                {s.userId ?? 'anonymous'}
              </TextLink>
              <div className={styles.secondary}>
                {[s.service, s.browser, s.hasReplay ? null : 'no replay'].filter(Boolean).join(' · ')}
              </div>
            </td>
            <td>{dateTimeFormat(s.firstSeen, { timeZone })}</td>
            <td className={styles.numeric}>{formatDuration(s.durationMs)}</td>
            <td className={styles.numeric}>{s.pageViews}</td>
            <td className={styles.numeric}>
              {s.errors > 0 ? <span className={styles.error}>{s.errors}</span> : 0}
              {s.rageClicks > 0 && <span className={styles.secondary}> · {s.rageClicks} rage</span>}
            </td>
            <td className={styles.url} title={s.entryUrl ?? ''}>
              {s.entryUrl ?? '–'}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  table: css({
    width: '100%',
    borderCollapse: 'collapse',
    'th, td': {
      padding: theme.spacing(1),
      borderBottom: `1px solid ${theme.colors.border.weak}`,
      textAlign: 'left',
      verticalAlign: 'top',
    },
    th: { color: theme.colors.text.secondary, fontWeight: theme.typography.fontWeightMedium },
    'tbody tr:hover': { background: theme.colors.action.hover },
  }),
  sortButton: css({
    all: 'unset',
    cursor: 'pointer',
    display: 'inline-flex',
    gap: theme.spacing(0.5),
    alignItems: 'center',
    '&:focus-visible': { outline: `2px solid ${theme.colors.primary.main}` },
  }),
  numeric: css({ textAlign: 'right !important' as 'right', fontVariantNumeric: 'tabular-nums' }),
  secondary: css({ color: theme.colors.text.secondary, fontSize: theme.typography.bodySmall.fontSize }),
  error: css({ color: theme.colors.error.text, fontWeight: theme.typography.fontWeightBold }),
  url: css({ maxWidth: 360, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }),
});
