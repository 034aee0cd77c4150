// The app's configuration page: where the receiver is, its read token (kept in
// secureJsonData and sent only when changed, since any value sent replaces the stored one),
// which Loki and Tempo data sources hold the sessions' logs and spans, and the tenant.
import React, { useState } from 'react';
import { lastValueFrom } from 'rxjs';
import { css } from '@emotion/css';
import type { AppPluginMeta, GrafanaTheme2, PluginConfigPageProps, PluginMeta } from '@grafana/data';
import { DataSourcePicker, getBackendSrv } from '@grafana/runtime';
import { Alert, Button, Field, FieldSet, Input, SecretInput, useStyles2 } from '@grafana/ui';
import type { AppSettings } from '../../types';
import { testIds } from '../testIds';

export interface AppConfigProps extends PluginConfigPageProps<AppPluginMeta<AppSettings>> {}

interface State {
  receiverUrl: string;
  lokiUid: string;
  tempoUid: string;
  tenant: string;
  token: string;
  tokenConfigured: boolean;
  tokenChanged: boolean;
}

/** An http(s) URL without credentials, or a message saying what is wrong with it. */
export function checkReceiverUrl(value: string): string | null {
  if (!value.trim()) {
    return 'Enter the receiver URL, e.g. http://otel-replay-receiver:4318';
  }
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return `${value} is not a URL; use the form http://host:port`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `The receiver URL must start with http:// or https://, not ${url.protocol}`;
  }
  if (url.username || url.password) {
    return 'Put the read token in the token field, not in the URL';
  }
  return null;
}

/** The settings request body: secureJsonData only when the token was changed or reset. */
export function settingsPayload(
  meta: Pick<PluginMeta, 'enabled' | 'pinned'>,
  s: State
): Partial<PluginMeta<AppSettings>> & { secureJsonData?: Record<string, string> } {
  const jsonData: AppSettings = { receiverUrl: s.receiverUrl.trim().replace(/\/+$/, '') };
  if (s.lokiUid) {
    jsonData.lokiUid = s.lokiUid;
  }
  if (s.tempoUid) {
    jsonData.tempoUid = s.tempoUid;
  }
  if (s.tenant.trim()) {
    jsonData.tenant = s.tenant.trim();
  }
  return {
    enabled: meta.enabled,
    pinned: meta.pinned,
    jsonData,
    ...(s.tokenChanged ? { secureJsonData: { receiverToken: s.token } } : {}),
  };
}

const AppConfig = ({ plugin }: AppConfigProps) => {
  const styles = useStyles2(getStyles);
  const { enabled, pinned, jsonData, secureJsonFields } = plugin.meta;
  const [state, setState] = useState<State>({
    receiverUrl: jsonData?.receiverUrl ?? '',
    lokiUid: jsonData?.lokiUid ?? '',
    tempoUid: jsonData?.tempoUid ?? '',
    tenant: jsonData?.tenant ?? '',
    token: '',
    tokenConfigured: Boolean(secureJsonFields?.receiverToken),
    tokenChanged: false,
  });
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<string | null>(null);
  const urlError = checkReceiverUrl(state.receiverUrl);

  const onSubmit = async (event: React.FormEvent) => {
    event.preventDefault();
    if (urlError) {
      return;
    }
    setSaving(true);
    setSaveError(null);
    try {
      await lastValueFrom(
        getBackendSrv().fetch({
          url: `/api/plugins/${plugin.meta.id}/settings`,
          method: 'POST',
          data: settingsPayload({ enabled, pinned }, state),
        })
      );
      // Grafana offers no way to refresh an app's meta in place.
      window.location.reload();
    } catch (err) {
      const e = err as { status?: number; data?: { message?: string }; message?: string };
      setSaveError(
        `Saving the settings failed${e.status ? ` (${e.status})` : ''}: ${e.data?.message ?? e.message ?? String(err)}`
      );
    } finally {
      setSaving(false);
    }
  };

  return (
    <form onSubmit={onSubmit}>
      <FieldSet label="Receiver">
        <Field
          label="Receiver URL"
          description="Where Grafana's server reaches the otel-replay receiver's query API"
          invalid={Boolean(state.receiverUrl) && Boolean(urlError)}
          error={urlError}
        >
          <Input
            width={60}
            id="config-receiver-url"
            data-testid={testIds.appConfig.receiverUrl}
            value={state.receiverUrl}
            placeholder="http://otel-replay-receiver:4318"
            onChange={(e) => setState({ ...state, receiverUrl: e.currentTarget.value })}
          />
        </Field>
        <Field
          label="Read token"
          description="A read token of the receiver (auth.tenants[].readTokens); stored encrypted, sent by Grafana's proxy only"
        >
          <SecretInput
            width={60}
            id="config-receiver-token"
            data-testid={testIds.appConfig.receiverToken}
            value={state.token}
            isConfigured={state.tokenConfigured}
            placeholder="rt_…"
            onChange={(e) => setState({ ...state, token: e.currentTarget.value.trim(), tokenChanged: true })}
            onReset={() => setState({ ...state, token: '', tokenConfigured: false, tokenChanged: true })}
          />
        </Field>
        <Field
          label="Tenant"
          description="The tenant the token belongs to; shown on the pages and sent as X-Scope-OrgID for gateways in front of the receiver"
        >
          <Input
            width={60}
            id="config-tenant"
            data-testid={testIds.appConfig.tenant}
            value={state.tenant}
            placeholder="default"
            onChange={(e) => setState({ ...state, tenant: e.currentTarget.value })}
          />
        </Field>
      </FieldSet>
      <FieldSet label="Telemetry" className={styles.marginTop}>
        <Field
          label="Loki data source"
          description="Holds the sessions' events and console logs (structured metadata session_id)"
        >
          <DataSourcePicker
            width={60}
            type="loki"
            current={state.lokiUid || null}
            noDefault
            onChange={(ds) => setState({ ...state, lokiUid: ds.uid })}
          />
        </Field>
        <Field label="Tempo data source" description="Holds the sessions' spans (span attribute session.id)">
          <DataSourcePicker
            width={60}
            type="tempo"
            current={state.tempoUid || null}
            noDefault
            onChange={(ds) => setState({ ...state, tempoUid: ds.uid })}
          />
        </Field>
      </FieldSet>
      {saveError && (
        <div data-testid={testIds.appConfig.error}>
          <Alert severity="error" title="Settings not saved">
            {saveError}
          </Alert>
        </div>
      )}
      <div className={styles.marginTop}>
        <Button type="submit" data-testid={testIds.appConfig.submit} disabled={Boolean(urlError) || saving}>
          {saving ? 'Saving…' : 'Save settings'}
        </Button>
      </div>
    </form>
  );
};

export default AppConfig;

const getStyles = (theme: GrafanaTheme2) => ({
  marginTop: css({ marginTop: theme.spacing(3) }),
});
