// A text field's draft kept in sessionStorage: when the API refuses the credential (401) the tab goes to
// sign-in, and signing in again comes back to the page with what was typed still there. Signing out on
// purpose drops every draft (session.ts), so the next person in the tab does not find them. The caller
// puts who is signed in into the key: after a refused credential the tab may be signed in to by another
// person, who must not find (and send as theirs) what the first one typed.
import { useCallback, useState } from 'react';
import { DRAFT_PREFIX } from '../auth/session';

const stored = (storageKey: string | undefined) =>
  storageKey === undefined ? undefined : (sessionStorage.getItem(storageKey) ?? undefined);

/**
 * The draft under `key`, its setter, and a clear for when it has been sent. While `key` is undefined (who
 * is signed in is not known yet) the draft is only in memory; a new key reads its own draft.
 */
export function useSessionDraft(key: string | undefined): [string, (value: string) => void, () => void] {
  const storageKey = key === undefined ? undefined : `${DRAFT_PREFIX}${key}`;
  const [draft, setDraft] = useState(() => ({ storageKey, value: stored(storageKey) ?? '' }));
  let current = draft;
  if (draft.storageKey !== storageKey) {
    // Typed before the key was known: kept, under the key, unless a draft is stored there already.
    const value = stored(storageKey) ?? (draft.storageKey === undefined ? draft.value : '');
    if (storageKey !== undefined && value) sessionStorage.setItem(storageKey, value);
    current = { storageKey, value };
    setDraft(current);
  }
  const set = useCallback(
    (next: string) => {
      setDraft({ storageKey, value: next });
      if (storageKey === undefined) return;
      if (next) sessionStorage.setItem(storageKey, next);
      else sessionStorage.removeItem(storageKey);
    },
    [storageKey],
  );
  const clear = useCallback(() => set(''), [set]);
  return [current.value, set, clear];
}
