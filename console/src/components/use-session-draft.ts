// A text field's draft kept in sessionStorage: when the API refuses the credential (401) the tab goes to
// sign-in, and signing in again comes back to the page with what was typed still there. Signing out on
// purpose drops every draft (session.ts), so the next person in the tab does not find them.
import { useCallback, useState } from 'react';
import { DRAFT_PREFIX } from '../auth/session';

/** The draft under `key`, its setter, and a clear for when it has been sent. */
export function useSessionDraft(key: string): [string, (value: string) => void, () => void] {
  const storageKey = `${DRAFT_PREFIX}${key}`;
  const [value, setValue] = useState(() => sessionStorage.getItem(storageKey) ?? '');
  const set = useCallback(
    (next: string) => {
      setValue(next);
      if (next) sessionStorage.setItem(storageKey, next);
      else sessionStorage.removeItem(storageKey);
    },
    [storageKey],
  );
  const clear = useCallback(() => set(''), [set]);
  return [value, set, clear];
}
