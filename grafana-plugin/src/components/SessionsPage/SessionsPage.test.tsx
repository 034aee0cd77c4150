import React from 'react';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router-dom';
import { fireEvent, render, screen, within } from '@testing-library/react';
import { fakeClient, summary } from '../../test/fixtures';
import type { FakeClient } from '../../test/fixtures';
import { AppContextProvider } from '../common/settings';
import { testIds } from '../testIds';
import { SessionsView } from './SessionsPage';

// The router's current query string, rendered so the tests can read it (a component must
// not write to variables outside itself).
function LocationSpy() {
  return <output data-testid="location-search" hidden>{useLocation().search}</output>;
}
const lastSearch = () => screen.getByTestId('location-search').textContent ?? '';

function renderPage(client: FakeClient, search = '') {
  return render(
    <MemoryRouter initialEntries={[`/a/otel-replay-app/sessions${search}`]}>
      <AppContextProvider settings={{ tenant: 'shop' }} client={client}>
        <Routes>
          <Route
            path="*"
            element={
              <>
                <SessionsView />
                <LocationSpy />
              </>
            }
          />
        </Routes>
      </AppContextProvider>
    </MemoryRouter>
  );
}

describe('Sessions page', () => {
  it('reads its filters from the URL and asks the receiver for that page', async () => {
    const client = fakeClient({ sessions: [summary()], total: 130 });
    renderPage(client, '?service=shop-web&errors=true&sort=duration&order=asc&page=2&pageSize=25&from=1000&to=2000');
    expect(await screen.findAllByTestId(testIds.sessions.row)).toHaveLength(1);
    const q = Object.fromEntries(client.searches[0]!);
    expect(q).toMatchObject({
      from: '1000',
      to: '2000',
      service: 'shop-web',
      hasErrors: 'true',
      sort: 'duration',
      order: 'asc',
      limit: '25',
      offset: '25',
    });
    expect(screen.getByTestId(testIds.sessions.range)).toHaveTextContent('26–50 of 130');
    expect(screen.getByText('Tenant shop')).toBeInTheDocument();
  });

  it('shows user, duration, pages, errors and entry URL, linking to the session at its start', async () => {
    renderPage(fakeClient({ sessions: [summary({ userId: null, durationMs: 125_000 })] }));
    const row = (await screen.findAllByTestId(testIds.sessions.row))[0]!;
    expect(within(row).getByText('anonymous').closest('a')).toHaveAttribute(
      'href',
      `/a/otel-replay-app/session/sess-1?t=${summary().firstSeen}`
    );
    expect(row).toHaveTextContent('2m 5s');
    expect(row).toHaveTextContent('https://shop.example.com/');
  });

  it('puts a sort into the URL and goes back to page 1', async () => {
    // Page 3 exists (200 sessions): going back to page 1 is the sort's doing, not the
    // move of a link past the last page.
    const client = fakeClient({ total: 200 });
    renderPage(client, '?page=3');
    await screen.findAllByTestId(testIds.sessions.row);
    expect(Object.fromEntries(client.searches.at(-1)!)).toMatchObject({ offset: '100' });
    fireEvent.click(screen.getByRole('button', { name: 'Errors' }));
    await screen.findAllByTestId(testIds.sessions.row);
    expect(new URLSearchParams(lastSearch()).get('sort')).toBe('errors');
    expect(new URLSearchParams(lastSearch()).get('page')).toBeNull();
    expect(Object.fromEntries(client.searches.at(-1)!)).toMatchObject({ sort: 'errors', order: 'desc', offset: '0' });
  });

  it('commits a text filter on Enter and pages with the pagination control', async () => {
    const client = fakeClient({ total: 200 });
    renderPage(client);
    await screen.findAllByTestId(testIds.sessions.row);
    const search = screen.getByLabelText('Search');
    fireEvent.change(search, { target: { value: 'checkout' } });
    fireEvent.keyDown(search, { key: 'Enter' });
    await screen.findAllByTestId(testIds.sessions.row);
    expect(new URLSearchParams(lastSearch()).get('q')).toBe('checkout');
    fireEvent.click(screen.getByRole('button', { name: '2' }));
    await screen.findAllByTestId(testIds.sessions.row);
    expect(new URLSearchParams(lastSearch()).get('page')).toBe('2');
    expect(Object.fromEntries(client.searches.at(-1)!)).toMatchObject({ q: 'checkout', offset: '50' });
  });

  it('moves a link past the last page to the last page', async () => {
    const client = fakeClient({ sessions: [], total: 60 });
    renderPage(client, '?page=9');
    await screen.findByTestId(testIds.sessions.empty);
    expect(new URLSearchParams(lastSearch()).get('page')).toBe('2');
  });

  it('says when nothing matches', async () => {
    renderPage(fakeClient({ sessions: [], total: 0 }));
    expect(await screen.findByTestId(testIds.sessions.empty)).toHaveTextContent('No sessions match these filters');
  });

  it('shows the receiver error and retries', async () => {
    const client = fakeClient({
      fail: new Error('Grafana could not reach the receiver while loading sessions (502).'),
    });
    renderPage(client);
    expect(await screen.findByTestId(testIds.sessions.error)).toHaveTextContent('could not reach the receiver');
    fireEvent.click(screen.getByRole('button', { name: /Retry/ }));
    await screen.findByTestId(testIds.sessions.error);
    expect(client.searches.length).toBe(2);
  });
});
