import React from 'react';
import { of } from 'rxjs';
import { render, screen, within } from '@testing-library/react';
import { getBackendSrv } from '@grafana/runtime';
import { players } from '../../test/rrweb-player.mock';
import { T0, detail, fakeClient, lokiResponse, tempoResponse } from '../../test/fixtures';
import { AppContextProvider } from '../common/settings';
import { testIds } from '../testIds';
import { SessionView } from './SessionPage';
import { TruncatedNotice } from './TruncatedNotice';

// Only the network boundary of @grafana/runtime is replaced: the data source proxy calls.
jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getBackendSrv: jest.fn(),
}));

describe('TruncatedNotice', () => {
  it('says when and why the receiver cut the recording', () => {
    render(<TruncatedNotice session={{ firstSeen: T0, truncatedAt: T0 + 90_000, truncatedReason: 'max-bytes' }} />);
    const notice = screen.getByTestId(testIds.session.truncated);
    expect(within(notice).getByText('Recording cut short')).toBeInTheDocument();
    expect(notice).toHaveTextContent('maximum recording size');
    expect(notice).toHaveTextContent('sessionLimits.maxBytes');
    expect(notice).toHaveTextContent('1m 30s into the session');
  });

  it('names the duration cap, and stays general for a reason it does not know', () => {
    const { rerender } = render(<TruncatedNotice session={{ firstSeen: T0, truncatedAt: T0, truncatedReason: 'max-duration' }} />);
    expect(screen.getByTestId(testIds.session.truncated)).toHaveTextContent('maximum recording duration');
    rerender(<TruncatedNotice session={{ firstSeen: T0, truncatedAt: T0, truncatedReason: 'from-the-future' as never }} />);
    expect(screen.getByTestId(testIds.session.truncated)).toHaveTextContent('a per-session limit of the receiver');
  });

  it('renders nothing for a session that was not cut', () => {
    const { container } = render(<TruncatedNotice session={{ firstSeen: T0 }} />);
    expect(container).toBeEmptyDOMElement();
  });
});

describe('Session page with a cut recording', () => {
  beforeEach(() => {
    players.length = 0;
    (getBackendSrv as jest.Mock).mockReturnValue({
      fetch: (req: { url: string }) => of({ data: req.url.includes('/loki/') ? lokiResponse : tempoResponse }),
    });
  });

  it('shows the notice beside the session facts, and none for an uncut session', async () => {
    const cut = detail({ truncatedAt: T0 + 30_000, truncatedReason: 'max-duration' });
    const { unmount } = render(
      <AppContextProvider settings={{ lokiUid: 'loki-uid', tempoUid: 'tempo-uid' }} client={fakeClient({ detail: cut })}>
        <SessionView sessionId="sess-1" />
      </AppContextProvider>
    );
    expect(await screen.findByTestId(testIds.session.truncated)).toHaveTextContent('maximum recording duration');
    unmount();
    render(
      <AppContextProvider settings={{ lokiUid: 'loki-uid', tempoUid: 'tempo-uid' }} client={fakeClient({ detail: detail() })}>
        <SessionView sessionId="sess-1" />
      </AppContextProvider>
    );
    // The facts line has arrived (user alice), and no notice came with it.
    expect(await screen.findByText('alice')).toBeInTheDocument();
    expect(screen.queryByTestId(testIds.session.truncated)).toBeNull();
  });
});
