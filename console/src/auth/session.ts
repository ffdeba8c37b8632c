// The signed-in credential (an API key, or the ID token of an OIDC sign-in), kept in sessionStorage so
// it lasts for the tab and goes with it; a tiny store the UI subscribes to.
import { useSyncExternalStore } from 'react';

export const CREDENTIAL_KEY = 'stepwise.credential';

const listeners = new Set<() => void>();

function notify(): void {
  for (const listener of listeners) listener();
}

export function getCredential(): string | undefined {
  return sessionStorage.getItem(CREDENTIAL_KEY) ?? undefined;
}

export function signIn(credential: string): void {
  sessionStorage.setItem(CREDENTIAL_KEY, credential);
  notify();
}

export function signOut(): void {
  sessionStorage.removeItem(CREDENTIAL_KEY);
  notify();
}

/** Calls `listener` after every sign-in and sign-out. */
export function onCredentialChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useCredential(): string | undefined {
  return useSyncExternalStore(onCredentialChange, getCredential);
}
