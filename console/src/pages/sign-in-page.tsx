// Sign-in: an API key (kept in sessionStorage for the tab), or the OIDC provider's hosted UI when the
// deployment configures one; also the OIDC callback (`?code&state` land here).
import { type FormEvent, useEffect, useState } from 'react';
import { useLocation, useSearch } from 'wouter';
import { useConfig } from '../api/api-context';
import { completeOidcSignIn, startOidcSignIn } from '../auth/oidc';
import { signIn, signOutReason } from '../auth/session';

/** Only paths inside the console: a `next` pointing elsewhere would be an open redirect. */
export function safeNext(next: string | null): string {
  return next?.startsWith('/') && !next.startsWith('//') ? next : '/';
}

export function SignInPage() {
  const config = useConfig();
  const search = useSearch();
  const [, navigate] = useLocation();
  const [apiKey, setApiKey] = useState('');
  const [error, setError] = useState<string>();
  // Back here because the API refused the key (a mistyped or revoked one): say so, not just ask again.
  const refused = signOutReason();
  const params = new URLSearchParams(search);
  const next = safeNext(params.get('next'));
  const callback = config.oidc && (params.has('code') || params.has('error'));

  useEffect(() => {
    if (!callback || !config.oidc) return;
    completeOidcSignIn(config.oidc, new URLSearchParams(search))
      .then(({ idToken, next: after }) => {
        signIn(idToken);
        navigate(safeNext(after), { replace: true });
      })
      .catch((cause: unknown) => setError(cause instanceof Error ? cause.message : String(cause)));
  }, [callback, config.oidc, search, navigate]);

  function submit(event: FormEvent) {
    event.preventDefault();
    const key = apiKey.trim();
    if (!key) {
      setError('Enter an API key');
      return;
    }
    signIn(key);
    navigate(next, { replace: true });
  }

  const redirectUri = `${window.location.origin}${import.meta.env.BASE_URL}sign-in`;
  return (
    <main className="sign-in">
      <h1>Sign in to stepwise</h1>
      {(error ?? refused) && (
        <p role="alert" className="error">
          {error ?? `The API refused the credential (${refused}): sign in again.`}
        </p>
      )}
      <form onSubmit={submit} className="card">
        <label htmlFor="api-key">API key</label>
        <input
          id="api-key"
          type="password"
          autoComplete="off"
          spellCheck={false}
          placeholder="sw_…"
          value={apiKey}
          onChange={(event) => setApiKey(event.target.value)}
        />
        <button type="submit">Sign in</button>
      </form>
      {config.oidc && (
        <div className="card">
          <button
            type="button"
            onClick={() => config.oidc && void startOidcSignIn(config.oidc, redirectUri, next)}
          >
            Sign in with your organization
          </button>
        </div>
      )}
    </main>
  );
}
