// The API client and the deployment config, provided once to every page.
import { createContext, type ReactNode, useContext } from 'react';
import type { ConsoleConfig } from '../config';
import type { ApiClient } from './client';

interface ApiContextValue {
  readonly config: ConsoleConfig;
  readonly api: ApiClient;
}

const ApiContext = createContext<ApiContextValue | undefined>(undefined);

export function ApiProvider(props: { value: ApiContextValue; children: ReactNode }) {
  return <ApiContext.Provider value={props.value}>{props.children}</ApiContext.Provider>;
}

function useApiContext(): ApiContextValue {
  const value = useContext(ApiContext);
  if (!value) throw new Error('useApi outside ApiProvider');
  return value;
}

export const useApi = (): ApiClient => useApiContext().api;
export const useConfig = (): ConsoleConfig => useApiContext().config;
