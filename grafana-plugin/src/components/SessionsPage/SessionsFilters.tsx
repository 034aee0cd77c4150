// The Sessions page's filter bar. Text fields commit on Enter or when they lose focus, so
// typing does not fire a search per keystroke; toggles commit at once.
import React, { useState } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Checkbox, Field, Input, useStyles2 } from '@grafana/ui';
import type { SessionFilters } from '../../services/urlState';

type TextKey = 'q' | 'service' | 'user' | 'url' | 'browser' | 'minDuration' | 'maxDuration';

const TEXT_FIELDS: Array<{ key: TextKey; label: string; placeholder: string; width: number }> = [
  { key: 'q', label: 'Search', placeholder: 'session id, user, URL, user agent…', width: 32 },
  { key: 'service', label: 'Service', placeholder: 'shop-web', width: 18 },
  { key: 'user', label: 'User', placeholder: 'user id', width: 18 },
  { key: 'url', label: 'URL contains', placeholder: '/checkout', width: 20 },
  { key: 'browser', label: 'Browser', placeholder: 'Chrome', width: 14 },
  { key: 'minDuration', label: 'Min duration (s)', placeholder: '0', width: 12 },
  { key: 'maxDuration', label: 'Max duration (s)', placeholder: '∞', width: 12 },
];

export function SessionsFilters({
  filters,
  onChange,
}: {
  filters: SessionFilters;
  onChange: (change: Partial<SessionFilters>) => void;
}) {
  const styles = useStyles2(getStyles);
  // The text being typed, reset whenever the filters change from outside (URL, other
  // controls): adjusted while rendering, as React advises, rather than in an effect.
  const [draft, setDraft] = useState(filters);
  const [draftOf, setDraftOf] = useState(filters);
  if (draftOf !== filters) {
    setDraftOf(filters);
    setDraft(filters);
  }

  const commit = (key: TextKey) => {
    let value = draft[key].trim();
    if ((key === 'minDuration' || key === 'maxDuration') && value && !/^\d+(\.\d+)?$/.test(value)) {
      value = '';
    }
    if (value !== filters[key]) {
      onChange({ [key]: value });
    }
  };

  return (
    <div className={styles.bar} role="search">
      {TEXT_FIELDS.map((f) => (
        <Field key={f.key} label={f.label} className={styles.field}>
          <Input
            width={f.width}
            aria-label={f.label}
            value={draft[f.key]}
            placeholder={f.placeholder}
            onChange={(e) => setDraft({ ...draft, [f.key]: e.currentTarget.value })}
            onBlur={() => commit(f.key)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') {
                commit(f.key);
              }
            }}
          />
        </Field>
      ))}
      <div className={styles.toggles}>
        <Checkbox
          label="Has errors"
          value={filters.hasErrors}
          onChange={(e) => onChange({ hasErrors: e.currentTarget.checked })}
        />
        <Checkbox
          label="Rage clicks"
          value={filters.rageClicks}
          onChange={(e) => onChange({ rageClicks: e.currentTarget.checked })}
        />
      </div>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  bar: css({
    display: 'flex',
    flexWrap: 'wrap',
    gap: theme.spacing(1),
    alignItems: 'flex-end',
    marginBottom: theme.spacing(2),
  }),
  field: css({ marginBottom: 0 }),
  toggles: css({ display: 'flex', gap: theme.spacing(2), paddingBottom: theme.spacing(1) }),
});
