import React from 'react';
import { MemoryRouter } from 'react-router-dom';
import { render as rtlRender, screen, waitFor } from '@testing-library/react';
import { dateTime } from '@grafana/data';
import type { PanelProps } from '@grafana/data';
import { players } from '../../test/rrweb-player.mock';
import { T0, fakeClient, summary } from '../../test/fixtures';
import { testIds } from '../../components/testIds';
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

  it('asks for a session while the variable is unset', () => {
    render(<ReplayPanel {...props({ mode: 'replay' })} client={fakeClient()} />);
    expect(screen.getByText('No session chosen')).toBeInTheDocument();
  });
});
