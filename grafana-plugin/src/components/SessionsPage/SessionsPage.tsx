// The Sessions page: Grafana's time picker, filters and a sortable, paginated table of
// sessions from the receiver. Everything the user chose lives in the URL.
import React, { useCallback, useEffect, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { css } from '@emotion/css';
import { dateMath, rangeUtil } from '@grafana/data';
import type { GrafanaTheme2, TimeRange } from '@grafana/data';
import { PluginPage } from '@grafana/runtime';
import { Pagination, RadioButtonGroup, TimeRangePicker, useStyles2 } from '@grafana/ui';
import { clampPage, pageCount, pageRangeLabel } from '../../services/pagination';
import {
  PAGE_SIZES,
  filtersFromSearch,
  filtersToSearch,
  toSearchQuery,
  toggleSort,
  updateFilters,
} from '../../services/urlState';
import type { SessionFilters } from '../../services/urlState';
import type { SessionPage } from '../../types';
import { useAppContext } from '../common/settings';
import { Empty, ErrorState, Loading } from '../common/States';
import { useKeyedState } from '../common/useKeyedState';
import { testIds } from '../testIds';
import { SessionsFilters } from './SessionsFilters';
import { SessionsTable } from './SessionsTable';

/** Picker expressions to epoch ms; an unreadable one falls back to the last 24 hours. */
export function resolveTime(raw: string, roundUp: boolean, now: () => number = Date.now): number {
  if (/^\d{1,15}$/.test(raw)) {
    return Number(raw);
  }
  const parsed = dateMath.parse(raw, roundUp);
  return parsed && parsed.isValid() ? parsed.valueOf() : roundUp ? now() : now() - 24 * 3600_000;
}

function rawTime(value: unknown): string {
  return typeof value === 'string' ? value : String((value as { valueOf(): number }).valueOf());
}

type Load = { state: 'loading' } | { state: 'error'; error: Error } | { state: 'done'; page: SessionPage };
const LOADING: Load = { state: 'loading' };

export function SessionsView() {
  const styles = useStyles2(getStyles);
  const { client, settings } = useAppContext();
  const [searchParams, setSearchParams] = useSearchParams();
  const search = searchParams.toString();
  const filters = useMemo(() => filtersFromSearch(search), [search]);
  const [attempt, setAttempt] = useState(0);
  const loadKey = `${attempt}?${search}`;
  const [load, setLoad] = useKeyedState<Load>(loadKey, LOADING);

  const setFilters = useCallback((next: SessionFilters) => setSearchParams(filtersToSearch(next)), [setSearchParams]);
  const change = (c: Partial<SessionFilters>) => setFilters(updateFilters(filters, c));

  useEffect(() => {
    const abort = new AbortController();
    client
      .searchSessions(
        toSearchQuery(filters, (raw, up) => resolveTime(raw, up)),
        abort.signal
      )
      .then((page) => {
        if (!abort.signal.aborted) {
          setLoad(loadKey, { state: 'done', page });
        }
      })
      .catch((error: Error) => {
        if (!abort.signal.aborted) {
          setLoad(loadKey, { state: 'error', error });
        }
      });
    return () => abort.abort();
  }, [client, filters, loadKey, setLoad]);

  // A shared link may point past the last page of today's results.
  useEffect(() => {
    if (load.state === 'done' && load.page.total > 0 && filters.page > pageCount(load.page.total, filters.pageSize)) {
      setFilters({ ...filters, page: clampPage(filters.page, load.page.total, filters.pageSize) });
    }
  }, [load, filters, setFilters]);

  const timeRange: TimeRange = useMemo(
    () => rangeUtil.convertRawToRange({ from: filters.from, to: filters.to }),
    [filters.from, filters.to]
  );

  return (
    <div data-testid={testIds.sessions.container}>
      <div className={styles.toolbar}>
        {settings.tenant && <span className={styles.tenant}>Tenant {settings.tenant}</span>}
        <TimeRangePicker
          value={timeRange}
          timeZone="browser"
          onChange={(r) => change({ from: rawTime(r.raw.from), to: rawTime(r.raw.to) })}
          onChangeTimeZone={() => {}}
          onMoveBackward={() => {
            const span = timeRange.to.valueOf() - timeRange.from.valueOf();
            change({
              from: String(timeRange.from.valueOf() - span / 2),
              to: String(timeRange.to.valueOf() - span / 2),
            });
          }}
          onMoveForward={() => {
            const span = timeRange.to.valueOf() - timeRange.from.valueOf();
            change({
              from: String(timeRange.from.valueOf() + span / 2),
              to: String(timeRange.to.valueOf() + span / 2),
            });
          }}
          onZoom={() => {
            const span = timeRange.to.valueOf() - timeRange.from.valueOf();
            change({
              from: String(Math.round(timeRange.from.valueOf() - span / 2)),
              to: String(Math.round(timeRange.to.valueOf() + span / 2)),
            });
          }}
        />
      </div>
      <SessionsFilters filters={filters} onChange={change} />
      {load.state === 'loading' && <Loading text="Loading sessions…" testId={testIds.sessions.loading} />}
      {load.state === 'error' && (
        <ErrorState
          title="Sessions could not be loaded"
          error={load.error}
          onRetry={() => setAttempt((a) => a + 1)}
          testId={testIds.sessions.error}
        />
      )}
      {load.state === 'done' && load.page.sessions.length === 0 && (
        <Empty
          message={
            load.page.total > 0 ? 'No sessions on this page' : 'No sessions match these filters in this time range'
          }
          testId={testIds.sessions.empty}
        >
          Widen the time range or clear a filter. Sessions appear here once the SDK has sent their first events to the
          receiver.
        </Empty>
      )}
      {load.state === 'done' && load.page.sessions.length > 0 && (
        <>
          <SessionsTable
            sessions={load.page.sessions}
            sort={filters.sort}
            order={filters.order}
            onSort={(field) => setFilters(toggleSort(filters, field))}
          />
          <div className={styles.footer}>
            <span data-testid={testIds.sessions.range}>
              {pageRangeLabel(filters.page, filters.pageSize, load.page.total)}
            </span>
            <Pagination
              currentPage={filters.page}
              numberOfPages={pageCount(load.page.total, filters.pageSize)}
              onNavigate={(page) => change({ page })}
              hideWhenSinglePage
            />
            <RadioButtonGroup
              size="sm"
              options={PAGE_SIZES.map((n) => ({ label: String(n), value: n, description: `${n} per page` }))}
              value={filters.pageSize}
              onChange={(pageSize) => change({ pageSize })}
            />
          </div>
        </>
      )}
    </div>
  );
}

export default function SessionsPage() {
  return (
    <PluginPage>
      <SessionsView />
    </PluginPage>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  toolbar: css({
    display: 'flex',
    justifyContent: 'flex-end',
    alignItems: 'center',
    gap: theme.spacing(2),
    marginBottom: theme.spacing(2),
  }),
  tenant: css({ color: theme.colors.text.secondary }),
  footer: css({
    display: 'flex',
    alignItems: 'center',
    justifyContent: 'space-between',
    gap: theme.spacing(2),
    marginTop: theme.spacing(2),
  }),
});
