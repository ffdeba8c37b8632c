import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createJwtVerifier,
  type JwtConfig,
  loadJwtConfig,
  remoteJwks,
} from '../../../functions/shared/auth/jwt';
import { ConfigurationError } from '../../../functions/shared/config';

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

let server: Server;
let issuer: string;
let rsaKey: PrivateKey;
let ecKey: PrivateKey;
let strangerKey: PrivateKey;
let jwksRequests = 0;

beforeAll(async () => {
  const rsa = await generateKeyPair('RS256');
  const ec = await generateKeyPair('ES256');
  const stranger = await generateKeyPair('RS256');
  rsaKey = rsa.privateKey;
  ecKey = ec.privateKey;
  strangerKey = stranger.privateKey;
  const keys: JWK[] = [
    { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
    { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
  ];
  // A local OIDC issuer serving its JWKS where Cognito does: <issuer>/.well-known/jwks.json.
  server = createServer((request, response) => {
    if (request.url?.endsWith('/.well-known/jwks.json')) {
      jwksRequests++;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys }));
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/us-east-1_pool`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const config = (overrides: Partial<JwtConfig> = {}): JwtConfig =>
  ({
    ...loadJwtConfig({ AUTH_JWT_ISSUER: issuer, AUTH_JWT_AUDIENCE: 'app-client' }),
    ...overrides,
  }) as JwtConfig;

interface TokenOptions {
  readonly claims?: JWTPayload;
  readonly key?: PrivateKey;
  readonly alg?: string;
  readonly kid?: string;
  readonly issuer?: string;
  readonly expiresAt?: number;
}

const idTokenClaims = {
  aud: 'app-client',
  'custom:org_id': 'org-1',
  'custom:role': 'ADMIN',
  token_use: 'id',
};

function token({
  claims = idTokenClaims,
  key = rsaKey,
  alg = 'RS256',
  kid = 'rsa-1',
  ...rest
}: TokenOptions = {}) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg, kid })
    .setSubject('user-123')
    .setIssuer(rest.issuer ?? issuer)
    .setIssuedAt()
    .setExpirationTime(rest.expiresAt ?? '10m')
    .sign(key);
}

describe('loadJwtConfig', () => {
  it('turns JWT authentication off when no issuer is configured', () => {
    expect(loadJwtConfig({})).toBeUndefined();
  });

  it('defaults the JWKS location and the claims to Cognito conventions', () => {
    expect(
      loadJwtConfig({ AUTH_JWT_ISSUER: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc/' }),
    ).toEqual({
      issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc/',
      jwksUri: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc/.well-known/jwks.json',
      orgClaim: 'custom:org_id',
      roleClaim: 'custom:role',
    });
  });

  it('fails fast, naming the variable, when the issuer is not a URL', () => {
    expect(() => loadJwtConfig({ AUTH_JWT_ISSUER: 'not a url' })).toThrow(ConfigurationError);
    expect(() => loadJwtConfig({ AUTH_JWT_ISSUER: 'not a url' })).toThrow(/AUTH_JWT_ISSUER/);
  });
});

describe('createJwtVerifier against a JWKS served over HTTP', () => {
  it('accepts a valid RS256 ID token and maps its claims to an identity', async () => {
    const verify = createJwtVerifier(config());
    expect(await verify(await token())).toEqual({
      orgId: 'org-1',
      role: 'ADMIN',
      principal: 'user-123',
      method: 'jwt',
    });
  });

  it('accepts an ES256 token', async () => {
    const verify = createJwtVerifier(config());
    const result = await verify(await token({ key: ecKey, alg: 'ES256', kid: 'ec-1' }));
    expect(result).toMatchObject({ orgId: 'org-1', role: 'ADMIN' });
  });

  it('accepts a Cognito access token, which names the app client in client_id instead of aud', async () => {
    const verify = createJwtVerifier(config());
    const claims = {
      client_id: 'app-client',
      'custom:org_id': 'org-1',
      'custom:role': 'MEMBER',
      token_use: 'access',
    };
    expect(await verify(await token({ claims }))).toMatchObject({ orgId: 'org-1', role: 'MEMBER' });
  });

  it('takes the strongest role from a list claim such as cognito:groups', async () => {
    const verify = createJwtVerifier(config({ roleClaim: 'cognito:groups' }));
    const claims = { ...idTokenClaims, 'cognito:groups': ['member', 'OWNER', 'beta-testers'] };
    expect(await verify(await token({ claims }))).toMatchObject({ role: 'OWNER' });
  });

  it('denies a token from another issuer', async () => {
    const verify = createJwtVerifier(config());
    const result = await verify(await token({ issuer: 'https://evil.example.com' }));
    expect(result).toEqual({ denied: expect.stringContaining('iss') });
  });

  it('denies a token for another audience', async () => {
    const verify = createJwtVerifier(config());
    const result = await verify(await token({ claims: { ...idTokenClaims, aud: 'other-client' } }));
    expect(result).toEqual({ denied: 'token audience is not accepted' });
  });

  it('denies an expired token', async () => {
    const verify = createJwtVerifier(config());
    const result = await verify(await token({ expiresAt: Math.floor(Date.now() / 1000) - 3600 }));
    expect(result).toEqual({ denied: 'token expired' });
  });

  it('denies a token without the organization claim, naming the claim', async () => {
    const verify = createJwtVerifier(config());
    const { 'custom:org_id': _org, ...claims } = idTokenClaims;
    const result = await verify(await token({ claims }));
    expect(result).toEqual({
      denied: 'token has no organization claim (custom:org_id)',
    });
  });

  it('denies a token without a subject, naming the claim', async () => {
    const verify = createJwtVerifier(config());
    const unsigned = new SignJWT(idTokenClaims)
      .setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' })
      .setIssuer(issuer)
      .setExpirationTime('10m');
    expect(await verify(await unsigned.sign(rsaKey))).toEqual({
      denied: expect.stringContaining('sub'),
    });
  });

  it('denies a token whose role claim is missing or not a stepwise role', async () => {
    const verify = createJwtVerifier(config());
    const { 'custom:role': _role, ...claims } = idTokenClaims;
    for (const tokenClaims of [claims, { ...claims, 'custom:role': 'SUPERUSER' }]) {
      const result = await verify(await token({ claims: tokenClaims }));
      expect(result).toEqual({ denied: expect.stringContaining('custom:role') });
    }
  });

  it('denies a token signed with a key the issuer does not publish (unknown kid)', async () => {
    const verify = createJwtVerifier(config());
    const result = await verify(await token({ key: strangerKey, kid: 'stranger' }));
    expect(result).toEqual({
      denied: 'token signing key is not known to the issuer',
    });
  });

  it('denies a token signed by another key under a published kid', async () => {
    const verify = createJwtVerifier(config());
    const result = await verify(await token({ key: strangerKey, kid: 'rsa-1' }));
    expect(result).toEqual({ denied: 'token signature is invalid' });
  });

  it('denies a symmetric (HS256) token', async () => {
    const verify = createJwtVerifier(config());
    const forged = await new SignJWT(idTokenClaims)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('user-123')
      .setIssuer(issuer)
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode('a-shared-secret-that-is-long-enough!'));
    expect(await verify(forged)).toMatchObject({
      denied: expect.stringContaining('algorithm'),
    });
  });

  it('denies a value that is not a JWT', async () => {
    const verify = createJwtVerifier(config());
    expect(await verify('not.a.jwt')).toEqual({ denied: 'token is malformed' });
  });

  it('throws rather than denies when the issuer cannot serve its keys', async () => {
    const verify = createJwtVerifier(config({ jwksUri: `${issuer}/missing` }));
    await expect(verify(await token())).rejects.toThrow(/200 OK/);
  });

  it('fetches the key set once per container for many verifications', async () => {
    const jwksUri = `${issuer}/cache-test/.well-known/jwks.json`;
    const verify = createJwtVerifier(config({ jwksUri }));
    const before = jwksRequests;
    for (let i = 0; i < 3; i++) await verify(await token());
    expect(remoteJwks(jwksUri)).toBe(remoteJwks(jwksUri));
    expect(jwksRequests - before).toBe(1);
  });
});
