// The app's settings (jsonData) and receiver client, provided once at the root so pages,
// the panel and tests can all supply their own.
import React, { createContext, useContext, useMemo } from 'react';
import { createReceiverClient } from '../../services/receiver';
import type { ReceiverClient } from '../../services/receiver';
import type { AppSettings } from '../../types';

interface AppContextValue {
  settings: AppSettings;
  client: ReceiverClient;
}

const AppContext = createContext<AppContextValue | null>(null);

export function AppContextProvider({
  settings,
  client,
  children,
}: {
  settings: AppSettings;
  client?: ReceiverClient;
  children: React.ReactNode;
}) {
  const value = useMemo(() => ({ settings, client: client ?? createReceiverClient() }), [settings, client]);
  return <AppContext.Provider value={value}>{children}</AppContext.Provider>;
}

export function useAppContext(): AppContextValue {
  const ctx = useContext(AppContext);
  if (!ctx) {
    throw new Error('useAppContext outside AppContextProvider: wrap the page in <AppContextProvider>');
  }
  return ctx;
}
