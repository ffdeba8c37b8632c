// OIDC sign-in with the Cognito hosted UI: authorization code flow with PKCE (a public client, no
// secret). The verifier and state live in sessionStorage between the redirect and the callback; the ID
// token (audience = the client id, groups = org and role) becomes the session's bearer credential.
import type { OidcConfig } from '../config';
import { authorizeUrl, base64Url, challengeOf } from './pkce';

const PENDING_KEY = 'stepwise.oidc.pending';

interface PendingSignIn {
  readonly state: string;
  readonly verifier: string;
  readonly redirectUri: string;
  readonly next: string;
}

function randomString(): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(32)));
}

/** Sends the browser to the hosted UI; it comes back to `redirectUri` with `?code&state`. */
export async function startOidcSignIn(oidc: OidcConfig, redirectUri: string, next: string): Promise<void> {
  const pending: PendingSignIn = { state: randomString(), verifier: randomString(), redirectUri, next };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  window.location.assign(authorizeUrl(oidc, redirectUri, pending.state, await challengeOf(pending.verifier)));
}

export class OidcError extends Error {
  override readonly name = 'OidcError';
}

/**
 * Finishes a sign-in from the callback's query: checks the state, trades the code for tokens and
 * returns the ID token and where to go next.
 */
export async function completeOidcSignIn(
  oidc: OidcConfig,
  params: URLSearchParams,
): Promise<{ idToken: string; next: string }> {
  const raw = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  const error = params.get('error');
  if (error) throw new OidcError(params.get('error_description') ?? error);
  if (!raw) throw new OidcError('No sign-in in progress in this tab');
  const pending = JSON.parse(raw) as PendingSignIn;
  if (params.get('state') !== pending.state)
    throw new OidcError('The sign-in response does not match its request');
  const code = params.get('code');
  if (!code) throw new OidcError('The sign-in response has no code');
  const response = await fetch(`${oidc.authority}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: oidc.clientId,
      code,
      redirect_uri: pending.redirectUri,
      code_verifier: pending.verifier,
    }),
  });
  if (!response.ok) throw new OidcError(`The token endpoint answered ${response.status}`);
  const tokens = (await response.json()) as { id_token?: string };
  if (!tokens.id_token) throw new OidcError('The token endpoint returned no ID token');
  return { idToken: tokens.id_token, next: pending.next };
}

/** The hosted UI's logout, which ends its own session too and comes back to `logoutUri`. */
export function oidcLogoutUrl(oidc: OidcConfig, logoutUri: string): string {
  const url = new URL(`${oidc.authority}/logout`);
  url.search = new URLSearchParams({ client_id: oidc.clientId, logout_uri: logoutUri }).toString();
  return url.toString();
}
