import React from 'react';
import { of, throwError } from 'rxjs';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { PluginType } from '@grafana/data';
import type { AppPluginMeta, PluginMeta } from '@grafana/data';
import { getBackendSrv, setDataSourceSrv } from '@grafana/runtime';
import AppConfig, { checkReceiverUrl } from './AppConfig';
import type { AppConfigProps } from './AppConfig';
import { testIds } from '../testIds';

// @grafana/runtime is mocked only where it reaches the network: getBackendSrv (settings API).
// The data source pickers read their list from the runtime's data source service, set here.
jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getBackendSrv: jest.fn(),
}));

const DATA_SOURCES = [
  { uid: 'loki-1', name: 'Loki', type: 'loki', meta: { id: 'loki', info: { logos: {} } } },
  { uid: 'tempo-1', name: 'Tempo', type: 'tempo', meta: { id: 'tempo', info: { logos: {} } } },
];
setDataSourceSrv({
  getList: ({ type }: { type?: string } = {}) => DATA_SOURCES.filter((d) => !type || d.type === type),
  getInstanceSettings: (ref: string | { uid?: string } | null) =>
    DATA_SOURCES.find((d) => d.uid === (typeof ref === 'string' ? ref : ref?.uid)),
  get: async () => ({}),
  reload: async () => {},
  registerRuntimeDataSource: () => {},
} as unknown as Parameters<typeof setDataSourceSrv>[0]);

function props(meta: Partial<PluginMeta> = {}): AppConfigProps {
  return {
    plugin: {
      meta: {
        id: 'otel-replay-app',
        name: 'Replay',
        type: PluginType.app,
        enabled: true,
        pinned: true,
        jsonData: {},
        ...meta,
      } as AppPluginMeta,
    },
    query: {},
  } as unknown as AppConfigProps;
}

describe('configuration page', () => {
  const fetch = jest.fn();
  const reload = jest.fn();
  beforeEach(() => {
    fetch.mockReset().mockReturnValue(of({ data: {} }));
    reload.mockReset();
    (getBackendSrv as jest.Mock).mockReturnValue({ fetch });
    Object.defineProperty(window, 'location', { value: { ...window.location, reload }, writable: true });
  });

  it('sends the token when it was typed, with the URL, data sources and tenant', async () => {
    render(<AppConfig {...props({ jsonData: { lokiUid: 'loki-1', tempoUid: 'tempo-1' } })} />);
    fireEvent.change(screen.getByTestId(testIds.appConfig.receiverUrl), { target: { value: 'http://receiver:4318/' } });
    fireEvent.change(screen.getByTestId(testIds.appConfig.receiverToken), { target: { value: ' rt_secret ' } });
    fireEvent.change(screen.getByTestId(testIds.appConfig.tenant), { target: { value: 'shop' } });
    fireEvent.click(screen.getByTestId(testIds.appConfig.submit));
    await waitFor(() => expect(reload).toHaveBeenCalled());
    expect(fetch).toHaveBeenCalledWith({
      url: '/api/plugins/otel-replay-app/settings',
      method: 'POST',
      data: {
        enabled: true,
        pinned: true,
        jsonData: { receiverUrl: 'http://receiver:4318', lokiUid: 'loki-1', tempoUid: 'tempo-1', tenant: 'shop' },
        secureJsonData: { receiverToken: 'rt_secret' },
      },
    });
  });

  it('leaves the stored token alone when it was not touched', async () => {
    render(
      <AppConfig
        {...props({ jsonData: { receiverUrl: 'http://r:4318' }, secureJsonFields: { receiverToken: true } })}
      />
    );
    expect(screen.getByDisplayValue('configured')).toBeInTheDocument();
    fireEvent.click(screen.getByTestId(testIds.appConfig.submit));
    await waitFor(() => expect(fetch).toHaveBeenCalled());
    expect(fetch.mock.calls[0][0].data).not.toHaveProperty('secureJsonData');
  });

  it('sends an empty token after a reset, so the stored one is removed', async () => {
    render(
      <AppConfig
        {...props({ jsonData: { receiverUrl: 'http://r:4318' }, secureJsonFields: { receiverToken: true } })}
      />
    );
    fireEvent.click(screen.getByRole('button', { name: 'Reset' }));
    fireEvent.click(screen.getByTestId(testIds.appConfig.submit));
    await waitFor(() => expect(fetch).toHaveBeenCalled());
    expect(fetch.mock.calls[0][0].data.secureJsonData).toEqual({ receiverToken: '' });
  });

  it('refuses to save a URL that is not http(s) and says why', () => {
    render(<AppConfig {...props()} />);
    fireEvent.change(screen.getByTestId(testIds.appConfig.receiverUrl), { target: { value: 'ftp://x' } });
    expect(screen.getByTestId(testIds.appConfig.submit)).toBeDisabled();
    expect(screen.getByText(/must start with http/)).toBeInTheDocument();
    expect(checkReceiverUrl('http://user:pw@x')).toMatch(/token field/);
    expect(checkReceiverUrl('not a url')).toMatch(/is not a URL/);
  });

  it('shows why saving failed and does not reload', async () => {
    fetch.mockReturnValue(throwError(() => ({ status: 403, data: { message: 'permission denied' } })));
    render(<AppConfig {...props({ jsonData: { receiverUrl: 'http://r:4318' } })} />);
    fireEvent.click(screen.getByTestId(testIds.appConfig.submit));
    expect(await screen.findByTestId(testIds.appConfig.error)).toHaveTextContent(
      'Saving the settings failed (403): permission denied'
    );
    expect(reload).not.toHaveBeenCalled();
  });
});
