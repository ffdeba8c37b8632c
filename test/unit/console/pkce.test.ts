// The console's OIDC sign-in request (Cognito hosted UI, authorization code with PKCE) and its config.
import { describe, expect, it } from 'vitest';
import { authorizeUrl, challengeOf, isJwt } from '../../../console/src/auth/pkce';
import { ConfigError, parseConfig } from '../../../console/src/config';

describe('console OIDC sign-in', () => {
  it('derives the S256 challenge of RFC 7636 appendix B', async () => {
    expect(await challengeOf('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });

  it('asks the hosted UI for a code with the challenge, state, client and scopes', () => {
    const url = new URL(
      authorizeUrl(
        { authority: 'https://auth.example.com', clientId: 'client-1' },
        'https://console.example.com/console/sign-in',
        'state-1',
        'challenge-1',
      ),
    );
    expect(url.origin + url.pathname).toBe('https://auth.example.com/oauth2/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'client-1',
      redirect_uri: 'https://console.example.com/console/sign-in',
      scope: 'openid email profile',
      state: 'state-1',
      code_challenge: 'challenge-1',
      code_challenge_method: 'S256',
    });
  });

  it('tells an ID token from an API key', () => {
    expect(isJwt('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln')).toBe(true);
    expect(isJwt('sw_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG')).toBe(false);
  });

  it('reads config.json, trimming trailing slashes, and refuses one without an API URL', () => {
    expect(
      parseConfig({
        apiUrl: 'https://api.example.com/',
        liveUrl: 'wss://live.example.com/live',
        oidc: { authority: 'https://auth.example.com/', clientId: 'c', scopes: ['openid'] },
      }),
    ).toEqual({
      apiUrl: 'https://api.example.com',
      liveUrl: 'wss://live.example.com/live',
      oidc: { authority: 'https://auth.example.com', clientId: 'c', scopes: ['openid'] },
    });
    expect(() => parseConfig({ liveUrl: 'x' })).toThrow(ConfigError);
    expect(() => parseConfig({ apiUrl: 'x', liveUrl: 'y', oidc: { clientId: 'c' } })).toThrow(/authority/);
  });
});
