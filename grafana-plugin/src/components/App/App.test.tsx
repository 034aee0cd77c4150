import React from 'react';
import { MemoryRouter } from 'react-router-dom';
import { render, screen } from '@testing-library/react';
import { PluginType } from '@grafana/data';
import type { AppRootProps } from '@grafana/data';
import App from './App';
import { testIds } from '../testIds';

const fetchMock = jest.fn(async () => ({
  ok: true,
  status: 200,
  text: async () => JSON.stringify({ sessions: [], total: 0, limit: 50, offset: 0 }),
}));

describe('App', () => {
  beforeAll(() => {
    (global as unknown as { fetch: unknown }).fetch = fetchMock;
  });

  it('routes the app root to the Sessions page, which asks the receiver through the proxy route', async () => {
    const props = {
      basename: '/a/otel-replay-app',
      meta: { id: 'otel-replay-app', name: 'Replay', type: PluginType.app, enabled: true, jsonData: {} },
      path: '',
      query: {},
    } as unknown as AppRootProps;
    render(
      <MemoryRouter initialEntries={['/']}>
        <App {...props} />
      </MemoryRouter>
    );
    expect(await screen.findByTestId(testIds.sessions.empty, {}, { timeout: 5000 })).toBeInTheDocument();
    expect(String((fetchMock.mock.calls[0] as unknown[])[0])).toMatch(
      /^\/api\/plugin-proxy\/otel-replay-app\/receiver\/api\/v1\/sessions\?from=\d+&to=\d+&sort=firstSeen/
    );
  });
});
