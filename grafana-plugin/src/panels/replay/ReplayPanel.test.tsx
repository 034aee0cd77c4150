import React from 'react';
import { MemoryRouter } from 'react-router-dom';
import { act, fireEvent, render as rtlRender, screen, waitFor } from '@testing-library/react';
import { dateTime } from '@grafana/data';
import type { PanelProps } from '@grafana/data';
import { players } from '../../test/rrweb-player.mock';
import { T0, fakeClient, summary } from '../../test/fixtures';
import { testIds } from '../../components/testIds';
import type { ReplayPlayerModule } from '../../components/Replay/LazyReplayPlayer';
import { appPublicPath } from './publicPath';
import { ReplayPanel, recentQuery } from './ReplayPanel';
import type { ReplayPanelOptions } from './ReplayPanel';

// Dashboards render panels inside Grafana's router; so does this test.
const render = (ui: React.ReactElement) => rtlRender(<MemoryRouter>{ui}</MemoryRouter>);

function props(options: Partial<ReplayPanelOptions>, vars: Record<string, string> = {}) {
  return {
    options: { mode: 'recent', sessionId: '$session', limit: 10, errorsOnly: false, ...options },
    timeRange: { from: dateTime(T0), to: dateTime(T0 + 3600_000), raw: { from: 'now-1h', to: 'now' } },
    width: 800,
    height: 500,
    replaceVariables: (s: string) => s.replace(/\$(\w+)/g, (m, name) => vars[name] ?? m),
  } as unknown as PanelProps<ReplayPanelOptions>;
}

describe('dashboard panel', () => {
  it('lists recent sessions of the dashboard time range', async () => {
    const client = fakeClient({ sessions: [summary(), summary({ sessionId: 'sess-2' })] });
    render(<ReplayPanel {...props({ limit: 5, errorsOnly: true })} client={client} />);
    expect(await screen.findAllByTestId(testIds.sessions.row)).toHaveLength(2);
    expect(Object.fromEntries(client.searches[0]!)).toMatchObject({
      from: String(T0),
      to: String(T0 + 3600_000),
      limit: '5',
      hasErrors: 'true',
    });
    expect(recentQuery(0, 1, 9999, false).get('limit')).toBe('500');
  });

  it('replays the session chosen by the dashboard variable', async () => {
    players.length = 0;
    const client = fakeClient();
    render(<ReplayPanel {...props({ mode: 'replay' }, { session: 'sess-1' })} client={client} />);
    await waitFor(() => expect(players).toHaveLength(1));
    expect(client.streams).toHaveLength(1);
  });

  it('says the player is loading until its chunk arrives, then replays', async () => {
    players.length = 0;
    const client = fakeClient();
    let arrive: (m: ReplayPlayerModule) => void = () => {};
    const loadPlayer = jest.fn(() => new Promise<ReplayPlayerModule>((resolve) => (arrive = resolve)));
    render(<ReplayPanel {...props({ mode: 'replay' }, { session: 'sess-1' })} client={client} loadPlayer={loadPlayer} />);
    expect(screen.getByTestId(testIds.player.chunkLoading)).toHaveTextContent('Loading the replay player');
    expect(client.streams).toHaveLength(0);

    const real = await import('../../components/Replay/ReplayPlayer');
    await act(async () => arrive(real));
    await waitFor(() => expect(players).toHaveLength(1));
    expect(screen.queryByTestId(testIds.player.chunkLoading)).not.toBeInTheDocument();
    expect(client.streams).toHaveLength(1);
    expect(loadPlayer).toHaveBeenCalledTimes(1);
  });

  it('says the player could not be loaded when its chunk fails, and a retry fetches it again', async () => {
    players.length = 0;
    const quiet = jest.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const real = await import('../../components/Replay/ReplayPlayer');
      const loadPlayer = jest
        .fn<Promise<ReplayPlayerModule>, []>()
        .mockRejectedValueOnce(new Error('Loading chunk 350 failed.'))
        .mockResolvedValueOnce(real);
      render(<ReplayPanel {...props({ mode: 'replay' }, { session: 'sess-1' })} client={fakeClient()} loadPlayer={loadPlayer} />);

      const error = await screen.findByTestId(testIds.player.loadError);
      expect(error).toHaveTextContent('The replay player could not be loaded');
      expect(error).toHaveTextContent('Loading chunk 350 failed.');
      expect(error).toHaveTextContent('Check the connection to Grafana, then retry.');
      expect(players).toHaveLength(0);

      fireEvent.click(screen.getByRole('button', { name: /Retry/ }));
      await waitFor(() => expect(players).toHaveLength(1));
      expect(loadPlayer).toHaveBeenCalledTimes(2);
      expect(screen.queryByTestId(testIds.player.loadError)).not.toBeInTheDocument();
    } finally {
      quiet.mockRestore();
    }
  });

  it('loads its chunks from the app root, not from the panel directory', () => {
    expect(appPublicPath('public/plugins/otel-replay-app/panels/replay/')).toBe('public/plugins/otel-replay-app/');
    expect(appPublicPath('https://cdn.example/otel-replay-app/1.0.0/public/plugins/otel-replay-app/panels/replay/')).toBe(
      'https://cdn.example/otel-replay-app/1.0.0/public/plugins/otel-replay-app/'
    );
    expect(appPublicPath('public/plugins/otel-replay-app/')).toBe('public/plugins/otel-replay-app/');
  });

  it('asks for a session while the variable is unset', () => {
    render(<ReplayPanel {...props({ mode: 'replay' })} client={fakeClient()} />);
    expect(screen.getByText('No session chosen')).toBeInTheDocument();
  });
});
