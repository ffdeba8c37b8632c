// The pure parts of the OIDC sign-in (PKCE per RFC 7636 and the hosted UI's authorization request), apart
// from the browser-only flow in oidc.ts so they are unit-tested.
import type { OidcConfig } from '../config';

const DEFAULT_SCOPES = ['openid', 'email', 'profile'];

export function base64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The PKCE S256 challenge of a verifier (RFC 7636). */
export async function challengeOf(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64Url(new Uint8Array(digest));
}

/** The hosted UI's authorization request: code flow, PKCE S256. */
export function authorizeUrl(
  oidc: OidcConfig,
  redirectUri: string,
  state: string,
  challenge: string,
): string {
  const url = new URL(`${oidc.authority}/oauth2/authorize`);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: oidc.clientId,
    redirect_uri: redirectUri,
    scope: (oidc.scopes ?? DEFAULT_SCOPES).join(' '),
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  return url.toString();
}

/** Whether the credential is a JWT (an OIDC session) rather than an API key. */
export const isJwt = (credential: string): boolean => credential.split('.').length === 3;
