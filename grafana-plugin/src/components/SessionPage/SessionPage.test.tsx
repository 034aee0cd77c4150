import React from 'react';
import { of, throwError } from 'rxjs';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { getBackendSrv } from '@grafana/runtime';
import { players } from '../../test/rrweb-player.mock';
import { T0, detail, fakeClient, lokiResponse, tempoResponse } from '../../test/fixtures';
import type { FakeClient } from '../../test/fixtures';
import type { AppSettings } from '../../types';
import { AppContextProvider } from '../common/settings';
import { testIds } from '../testIds';
import { SessionView, chooseWindow, parseAt } from './SessionPage';

// Only the network boundary of @grafana/runtime is replaced: the data source proxy calls.
jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getBackendSrv: jest.fn(),
}));

const requests: Array<{ url: string; params: Record<string, string> }> = [];

function mockDataSources(opts: { lokiFails?: boolean } = {}) {
  requests.length = 0;
  (getBackendSrv as jest.Mock).mockReturnValue({
    fetch: (req: { url: string; params: Record<string, string> }) => {
      requests.push(req);
      if (req.url.includes('/loki/')) {
        return opts.lokiFails
          ? throwError(() => ({ status: 400, data: { message: 'parse error at line 1' } }))
          : of({ data: lokiResponse });
      }
      return of({ data: tempoResponse });
    },
  });
}

function renderSession(
  client: FakeClient,
  settings: AppSettings = { lokiUid: 'loki-uid', tempoUid: 'tempo-uid' },
  at?: number
) {
  return render(
    <AppContextProvider settings={settings} client={client}>
      <SessionView sessionId="sess-1" initialAt={at} />
    </AppContextProvider>
  );
}

describe('Session page', () => {
  beforeEach(() => {
    players.length = 0;
    mockDataSources();
  });

  it('draws the first frame and merges Loki events and Tempo spans into the timeline', async () => {
    renderSession(fakeClient());
    await waitFor(() => expect(screen.getByTestId(testIds.player.container)).toHaveAttribute('data-status', 'playing'));
    expect(players[0]!.events[0]).toEqual({ type: 4, timestamp: T0 });
    const entries = await screen.findAllByTestId(testIds.timeline.entry);
    expect(entries.map((e) => e.getAttribute('data-kind'))).toEqual([
      'page_view',
      'rage_click',
      'span',
      'error',
      'console',
    ]);
    const loki = requests.find((r) => r.url.includes('loki'))!;
    expect(loki.url).toBe('/api/datasources/proxy/uid/loki-uid/loki/api/v1/query_range');
    expect(loki.params.query).toBe('{service_name="shop-web"} | session_id="sess-1"');
    const tempo = requests.find((r) => r.url.includes('tempo'))!;
    expect(tempo.url).toBe('/api/datasources/proxy/uid/tempo-uid/api/search');
    expect(tempo.params.q).toContain('{ span.session.id = "sess-1" }');
  });

  it('seeks the player when a timeline entry is chosen, reloading from the nearest full snapshot if needed', async () => {
    const client = fakeClient({
      lines: (at) =>
        at === undefined
          ? [
              { type: 'start', sessionId: 's', windowId: 'w1', at: T0, fromSeq: 0, fromTimestamp: T0 },
              {
                type: 'segment',
                seq: 0,
                firstTimestamp: T0,
                lastTimestamp: T0 + 10_000,
                events: [
                  { type: 4, timestamp: T0 },
                  { type: 2, timestamp: T0 + 1 },
                ],
              },
            ]
          : [
              { type: 'start', sessionId: 's', windowId: 'w1', at, fromSeq: 10, fromTimestamp: T0 + 10_000 },
              {
                type: 'segment',
                seq: 10,
                firstTimestamp: T0 + 10_000,
                lastTimestamp: T0 + 20_000,
                events: [
                  { type: 4, timestamp: T0 + 10_000 },
                  { type: 2, timestamp: T0 + 10_001 },
                ],
              },
              { type: 'end', segments: 1 },
            ],
    });
    renderSession(client);
    const entries = await screen.findAllByTestId(testIds.timeline.entry);
    await waitFor(() => expect(players).toHaveLength(1));
    // Inside what is loaded: a plain goto.
    fireEvent.click(within(entries[0]!).getByRole('button'));
    expect(players[0]!.gotos.at(-1)).toEqual({ offset: 2000, play: true });
    // Past it (the stream stopped at T0+10s without an end line): reload from the snapshot at T0+10s.
    fireEvent.click(within(entries[1]!).getByRole('button'));
    await waitFor(() => expect(players).toHaveLength(2));
    expect(client.streams.at(-1)).toEqual({ at: T0 + 12_000, window: 'w1' });
    expect(players[0]!.destroyed).toBe(true);
    // The moment is past the first events streamed: the snapshot shows first, paused, and the
    // player goes to the moment once the stream has reached it (here: its end).
    expect(players[1]!.gotos[0]).toEqual({ offset: 0, play: false });
    await waitFor(() => expect(players[1]!.gotos.at(-1)).toEqual({ offset: 2000, play: true }));
  });

  it('draws the first frame before the session summary has answered', async () => {
    let answer: () => void = () => {};
    const client = fakeClient({ detailGate: new Promise<void>((resolve) => (answer = resolve)) });
    renderSession(client);
    await waitFor(() => expect(screen.getByTestId(testIds.player.container)).toHaveAttribute('data-status', 'playing'));
    expect(client.streams).toEqual([{ at: undefined, window: undefined }]);
    expect(screen.queryByTestId(testIds.session.export)).toBeNull();
    answer();
    expect(await screen.findByTestId(testIds.session.export)).toBeInTheDocument();
    // The summary arriving does not restart the stream.
    expect(client.streams).toHaveLength(1);
  });

  it('queries Loki and Tempo once the first frame is drawn, not before', async () => {
    let release: () => void = () => {};
    renderSession(fakeClient({ streamGate: new Promise<void>((resolve) => (release = resolve)) }));
    expect(await screen.findByTestId(testIds.session.export)).toBeInTheDocument();
    await new Promise((r) => setTimeout(r, 50));
    expect(requests).toHaveLength(0);
    release();
    await waitFor(() => expect(screen.getByTestId(testIds.player.container)).toHaveAttribute('data-status', 'playing'));
    expect(await screen.findAllByTestId(testIds.timeline.entry)).not.toHaveLength(0);
    expect(requests.map((r) => (r.url.includes('loki') ? 'loki' : 'tempo')).sort()).toEqual(['loki', 'tempo']);
  });

  it('replaces the player when the summary says the session has no recording', async () => {
    const d = detail();
    renderSession(fakeClient({ detail: { ...d, hasReplay: false, windows: [] } }));
    expect(await screen.findByText('This session has no replay')).toBeInTheDocument();
    expect(screen.queryByTestId(testIds.player.container)).toBeNull();
  });

  it('links each span to its trace in Explore', async () => {
    renderSession(fakeClient());
    const link = await screen.findByTestId(testIds.timeline.explore);
    const panes = JSON.parse(new URLSearchParams(link.getAttribute('href')!.split('?')[1]).get('panes')!);
    expect(panes.replay.queries[0]).toEqual({
      refId: 'A',
      datasource: { type: 'tempo', uid: 'tempo-uid' },
      queryType: 'traceql',
      query: 'abc123',
    });
  });

  it('shows gaps and damaged segments instead of hiding them', async () => {
    renderSession(fakeClient());
    const problems = await screen.findByTestId(testIds.player.problems);
    await waitFor(() => expect(problems).toHaveTextContent('segment 40 is damaged: body is not gzip'));
    expect(problems).toHaveTextContent('segments 20–29 are missing');
    const kinds = screen.getAllByTestId(testIds.player.marker).map((m) => m.getAttribute('data-kind'));
    expect(kinds).toEqual(['gap', 'damaged']);
  });

  it('keeps the other source when one data source fails, and names the failure', async () => {
    mockDataSources({ lokiFails: true });
    renderSession(fakeClient());
    const err = await screen.findByTestId(testIds.timeline.error);
    expect(err).toHaveTextContent('Loki could not be queried');
    expect(err).toHaveTextContent('parse error at line 1');
    const entries = await screen.findAllByTestId(testIds.timeline.entry);
    expect(entries.map((e) => e.getAttribute('data-kind'))).toEqual(['span']);
  });

  it('says which data source to configure when none is set', async () => {
    renderSession(fakeClient(), {});
    const notes = await screen.findAllByTestId(testIds.timeline.error);
    expect(notes.map((n) => n.textContent)).toEqual([
      expect.stringContaining('Loki is not configured'),
      expect.stringContaining('Tempo is not configured'),
    ]);
    expect(requests).toHaveLength(0);
  });

  it('shows the receiver error for an unknown session', async () => {
    renderSession(fakeClient({ fail: new Error('Loading session sess-1 failed with 404: session sess-1 not found') }));
    expect(await screen.findByTestId(testIds.session.error)).toHaveTextContent('not found');
  });

  it('offers the HTML export through the proxy route', async () => {
    renderSession(fakeClient());
    expect(await screen.findByTestId(testIds.session.export)).toHaveAttribute(
      'href',
      '/api/plugin-proxy/otel-replay-app/receiver/api/v1/sessions/sess-1/export.html'
    );
  });

  it('reads t from the URL and picks the window playing then', () => {
    expect(parseAt('1700000000000')).toBe(1700000000000);
    expect(parseAt('abc')).toBeUndefined();
    const d = detail();
    d.windows.push({ ...d.windows[0]!, windowId: 'w2', firstTimestamp: T0 + 70_000, lastTimestamp: T0 + 90_000 });
    expect(chooseWindow(d, T0 + 80_000)).toBe('w2');
    expect(chooseWindow(d, undefined)).toBe('w1');
  });
});
