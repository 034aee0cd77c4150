// The app's routes: the Sessions list and one Session. Pages are lazy so the module that
// Grafana loads for extension links stays small.
import React, { Suspense, lazy } from 'react';
import { Route, Routes } from 'react-router-dom';
import type { AppRootProps } from '@grafana/data';
import { ROUTES } from '../../constants';
import type { AppSettings } from '../../types';
import { AppContextProvider } from '../common/settings';
import { Loading } from '../common/States';

const SessionsPage = lazy(() => import('../SessionsPage/SessionsPage'));
const SessionPage = lazy(() => import('../SessionPage/SessionPage'));

function App(props: AppRootProps<AppSettings>) {
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
