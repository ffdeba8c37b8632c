// The signed-in credential (an API key, or the ID token of an OIDC sign-in), kept in sessionStorage so
// it lasts for the tab and goes with it; a tiny store the UI subscribes to.
import { useSyncExternalStore } from 'react';

export const CREDENTIAL_KEY = 'stepwise.credential';
/** Text typed and not yet sent (use-session-draft.ts), kept across a refused credential's sign-in. */
export const DRAFT_PREFIX = 'stepwise.draft.';

const listeners = new Set<() => void>();
/** Why the API ended the session, when it did (a refused credential): the sign-in page says it. */
let refusal: string | undefined;

function notify(): void {
  for (const listener of listeners) listener();
}

export function getCredential(): string | undefined {
  return sessionStorage.getItem(CREDENTIAL_KEY) ?? undefined;
}

export function signIn(credential: string): void {
  refusal = undefined;
  sessionStorage.setItem(CREDENTIAL_KEY, credential);
  notify();
}

/** `reason`: the API refused the credential (what it said); none when the user signs out. */
export function signOut(reason?: string): void {
  refusal = reason;
  sessionStorage.removeItem(CREDENTIAL_KEY);
  if (reason === undefined) {
    const drafts = Object.keys(sessionStorage).filter((key) => key.startsWith(DRAFT_PREFIX));
    for (const key of drafts) sessionStorage.removeItem(key);
  }
  notify();
}

/** What the API said when it ended the last session, until the next sign-in. */
export function signOutReason(): string | undefined {
  return refusal;
}

/** Calls `listener` after every sign-in and sign-out. */
export function onCredentialChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useCredential(): string | undefined {
  return useSyncExternalStore(onCredentialChange, getCredential);
}
