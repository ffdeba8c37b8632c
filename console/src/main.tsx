// Entry: read config.json, then render the app with its API client, query cache and live connection.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Router } from 'wouter';
import { ApiProvider } from './api/api-context';
import { ApiError, createApiClient } from './api/client';
import { App } from './app';
import { getCredential, onCredentialChange } from './auth/session';
import { loadConfig } from './config';
import { LiveProvider } from './live/live-context';
import './styles.css';

const root = createRoot(document.getElementById('root') as HTMLElement);
const base = import.meta.env.BASE_URL;

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 2_000,
      // Client errors (a 404, a 400 naming a field) do not get better by asking again.
      retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 2,
      refetchOnWindowFocus: false,
    },
  },
});

// Nothing read with one credential is shown to the next one signed in in this tab.
onCredentialChange(() => queryClient.clear());

try {
  const config = await loadConfig(base);
  const api = createApiClient(config.apiUrl, getCredential);
  root.render(
    <StrictMode>
      <ApiProvider value={{ config, api }}>
        <QueryClientProvider client={queryClient}>
          <LiveProvider>
            <Router base={base.replace(/\/$/, '')}>
              <App />
            </Router>
          </LiveProvider>
        </QueryClientProvider>
      </ApiProvider>
    </StrictMode>,
  );
} catch (error) {
  root.render(
    <main className="sign-in">
      <h1>stepwise console</h1>
      <p role="alert" className="error">
        The console could not load its configuration: {error instanceof Error ? error.message : String(error)}
      </p>
    </main>,
  );
}
