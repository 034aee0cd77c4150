// The app's routes: the Sessions list and one Session. Pages are lazy so the module that
// Grafana loads for extension links stays small.
import React, { Suspense, lazy, useEffect } from 'react';
import { Route, Routes } from 'react-router-dom';
import type { AppRootProps } from '@grafana/data';
import { ROUTES } from '../../constants';
import type { AppSettings } from '../../types';
import { AppContextProvider } from '../common/settings';
import { Loading } from '../common/States';

const SessionsPage = lazy(() => import('../SessionsPage/SessionsPage'));
const loadSessionPage = () => import('../SessionPage/SessionPage');
const SessionPage = lazy(loadSessionPage);

/**
 * Fetches the Session page's chunk (with the player) once the browser is idle after the app
 * has opened: every click in the list leads there, and the chunk should not stand between
 * that click and the first frame. A failed prefetch is retried by the real navigation.
 */
function usePrefetchSessionPage() {
  useEffect(() => {
    const prefetch = () => void loadSessionPage().catch(() => {});
    if (typeof window.requestIdleCallback === 'function') {
      const id = window.requestIdleCallback(prefetch, { timeout: 2000 });
      return () => window.cancelIdleCallback(id);
    }
    const id = window.setTimeout(prefetch, 200);
    return () => window.clearTimeout(id);
  }, []);
}

function App(props: AppRootProps<AppSettings>) {
  usePrefetchSessionPage();
  return (
    <AppContextProvider settings={props.meta.jsonData ?? {}}>
      <Suspense fallback={<Loading text="Loading…" />}>
        <Routes>
          <Route path={`${ROUTES.Session}/:sessionId`} element={<SessionPage />} />
          <Route path={ROUTES.Sessions} element={<SessionsPage />} />
          <Route path="*" element={<SessionsPage />} />
        </Routes>
      </Suspense>
    </AppContextProvider>
  );
}

export default App;
