import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Identity } from '../../../functions/shared/auth/identity';
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
  'cognito:groups': ['stepwise:org-1:ADMIN'],
  token_use: 'id',
};

/** Explicit org and role claims, for an identity provider whose claims only administrators set. */
const explicitClaims = (overrides: Partial<JwtConfig> = {}) =>
  config({ claims: { kind: 'claims', orgClaim: 'custom:org_id', roleClaim: 'custom:role' }, ...overrides });

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

  it('defaults the JWKS location and the groups claim to Cognito conventions', () => {
    expect(
      loadJwtConfig({
        AUTH_JWT_ISSUER: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc/',
        AUTH_JWT_AUDIENCE: 'app-client',
      }),
    ).toEqual({
      issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc/',
      audience: 'app-client',
      jwksUri: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc/.well-known/jwks.json',
      claims: { kind: 'groups', groupsClaim: 'cognito:groups' },
    });
  });

  it('requires an audience whenever an issuer is set, naming AUTH_JWT_AUDIENCE', () => {
    expect(() => loadJwtConfig({ AUTH_JWT_ISSUER: issuer })).toThrow(ConfigurationError);
    expect(() => loadJwtConfig({ AUTH_JWT_ISSUER: issuer })).toThrow(/AUTH_JWT_AUDIENCE/);
  });

  it('takes a groups claim, or explicit org and role claims set together', () => {
    const base = { AUTH_JWT_ISSUER: issuer, AUTH_JWT_AUDIENCE: 'a' };
    expect(loadJwtConfig({ ...base, AUTH_JWT_GROUPS_CLAIM: 'groups' })?.claims).toEqual({
      kind: 'groups',
      groupsClaim: 'groups',
    });
    expect(
      loadJwtConfig({ ...base, AUTH_JWT_ORG_CLAIM: 'org', AUTH_JWT_ROLE_CLAIM: 'role' })?.claims,
    ).toEqual({
      kind: 'claims',
      orgClaim: 'org',
      roleClaim: 'role',
    });
    expect(() => loadJwtConfig({ ...base, AUTH_JWT_ORG_CLAIM: 'org' })).toThrow(/AUTH_JWT_ROLE_CLAIM/);
    expect(() =>
      loadJwtConfig({
        ...base,
        AUTH_JWT_GROUPS_CLAIM: 'g',
        AUTH_JWT_ORG_CLAIM: 'o',
        AUTH_JWT_ROLE_CLAIM: 'r',
      }),
    ).toThrow(/AUTH_JWT_GROUPS_CLAIM/);
  });

  it('fails fast, naming the variable, when the issuer is not a URL', () => {
    const env = { AUTH_JWT_ISSUER: 'not a url', AUTH_JWT_AUDIENCE: 'a' };
    expect(() => loadJwtConfig(env)).toThrow(ConfigurationError);
    expect(() => loadJwtConfig(env)).toThrow(/AUTH_JWT_ISSUER/);
  });
});

describe('createJwtVerifier against a JWKS served over HTTP', () => {
  it('accepts a valid RS256 ID token and maps its claims to an identity, with its expiry', async () => {
    const verify = createJwtVerifier(config());
    const issued = Math.floor(Date.now() / 1000);
    const identity = await verify(await token());
    expect(identity).toEqual({
      orgId: 'org-1',
      role: 'ADMIN',
      principal: 'user-123',
      method: 'jwt',
      expiresAt: expect.any(Number),
    });
    // `exp` of a token that expires in 10 minutes, and the 5 s clock tolerance: when it is refused.
    const { expiresAt = 0 } = identity as Identity;
    expect(expiresAt - issued).toBeGreaterThanOrEqual(604);
    expect(expiresAt - issued).toBeLessThanOrEqual(606);
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
      'cognito:groups': ['stepwise:org-1:MEMBER'],
      token_use: 'access',
    };
    expect(await verify(await token({ claims }))).toMatchObject({ orgId: 'org-1', role: 'MEMBER' });
  });

  it('takes the strongest role of the one org in cognito:groups and ignores other groups', async () => {
    const verify = createJwtVerifier(config());
    const claims = {
      ...idTokenClaims,
      'cognito:groups': ['beta-testers', 'stepwise:org-1:MEMBER', 'stepwise:org-1:OWNER', 'OWNER'],
    };
    expect(await verify(await token({ claims }))).toMatchObject({ orgId: 'org-1', role: 'OWNER' });
  });

  // `#` separates the parts of the table's keys: org a#WF#b would read and write org a's workflow b.
  it.each([
    'stepwise:a#WF#b:OWNER',
    'stepwise:org:1:MEMBER',
    'stepwise:Acme Corp:ADMIN',
    'stepwise:a,b:ADMIN',
    // The alert channels' keys put DEPLOYMENT where an org id stands for the deployment's scope.
    'stepwise:DEPLOYMENT:OWNER',
  ])('denies a token whose group %s names no organization id, saying so', async (group) => {
    const verify = createJwtVerifier(config());
    const claims = { ...idTokenClaims, 'cognito:groups': ['stepwise:org-1:MEMBER', group] };
    expect(await verify(await token({ claims }))).toEqual({
      denied: `token group ${group} in cognito:groups does not name an organization id (letters, digits, _, - or ., starting with a letter or digit, at most 64 characters, not DEPLOYMENT)`,
    });
  });

  it('with explicit claims, denies an org claim that is not an organization id', async () => {
    const verify = createJwtVerifier(explicitClaims());
    for (const org of ['a#WF#b', 'org 1', 'x'.repeat(65)]) {
      const claims = { aud: 'app-client', 'custom:org_id': org, 'custom:role': 'OWNER' };
      expect(await verify(await token({ claims })), org).toEqual({
        denied: expect.stringContaining('token organization claim custom:org_id is not an organization id'),
      });
    }
  });

  it('ignores user-writable custom attributes: custom:org_id and custom:role grant nothing by default', async () => {
    const verify = createJwtVerifier(config());
    const claims = { aud: 'app-client', 'custom:org_id': 'org-1', 'custom:role': 'OWNER' };
    expect(await verify(await token({ claims }))).toEqual({
      denied:
        'token has no stepwise group in cognito:groups (stepwise:<orgId>:<OWNER|ADMIN|MEMBER> or stepwise:*:OPERATOR)',
    });
  });

  it('maps the group stepwise:*:OPERATOR to an OPERATOR of the reserved operator org', async () => {
    const verify = createJwtVerifier(config());
    const claims = { ...idTokenClaims, 'cognito:groups': ['stepwise:*:OPERATOR'] };
    expect(await verify(await token({ claims }))).toEqual({
      orgId: '*',
      role: 'OPERATOR',
      principal: 'user-123',
      method: 'jwt',
      expiresAt: expect.any(Number),
    });
  });

  it('grants nothing for OPERATOR in a tenant org or a tenant role in the operator org', async () => {
    const verify = createJwtVerifier(config());
    for (const groups of [['stepwise:org-1:OPERATOR'], ['stepwise:*:OWNER']]) {
      const claims = { ...idTokenClaims, 'cognito:groups': groups };
      expect(await verify(await token({ claims })), groups[0]).toMatchObject({
        denied: expect.stringContaining('token has no stepwise group'),
      });
    }
  });

  it('maps explicit claims org * and role OPERATOR to an operator, and refuses a tenant role in org *', async () => {
    const verify = createJwtVerifier(explicitClaims());
    const operator = { aud: 'app-client', 'custom:org_id': '*', 'custom:role': 'OPERATOR' };
    expect(await verify(await token({ claims: operator }))).toMatchObject({ orgId: '*', role: 'OPERATOR' });
    const owner = { aud: 'app-client', 'custom:org_id': '*', 'custom:role': 'OWNER' };
    expect(await verify(await token({ claims: owner }))).toEqual({
      denied: 'organization * (custom:org_id) is reserved for the OPERATOR role',
    });
    const tenantOperator = { aud: 'app-client', 'custom:org_id': 'org-1', 'custom:role': 'OPERATOR' };
    expect(await verify(await token({ claims: tenantOperator }))).toMatchObject({
      denied: expect.stringContaining('no valid role claim'),
    });
  });

  it('denies a token whose groups name more than one organization, naming them', async () => {
    const verify = createJwtVerifier(config());
    const claims = { ...idTokenClaims, 'cognito:groups': ['stepwise:org-1:OWNER', 'stepwise:org-2:MEMBER'] };
    expect(await verify(await token({ claims }))).toEqual({
      denied: 'token has stepwise groups for more than one organization in cognito:groups (org-1, org-2)',
    });
  });

  it('denies groups with a role that is not a stepwise role (OPERATOR is not granted by groups)', async () => {
    const verify = createJwtVerifier(config());
    for (const groups of [['stepwise:org-1:OPERATOR'], ['stepwise:org-1:owner'], ['stepwise::ADMIN'], []]) {
      const result = await verify(await token({ claims: { ...idTokenClaims, 'cognito:groups': groups } }));
      expect(result, JSON.stringify(groups)).toEqual({
        denied: expect.stringContaining('no stepwise group'),
      });
    }
  });

  it('reads a configured groups claim', async () => {
    const verify = createJwtVerifier(config({ claims: { kind: 'groups', groupsClaim: 'groups' } }));
    const claims = { aud: 'app-client', groups: 'stepwise:org-9:ADMIN' };
    expect(await verify(await token({ claims }))).toMatchObject({ orgId: 'org-9', role: 'ADMIN' });
  });

  it('with explicit claims, maps the org claim and the strongest role of a role claim', async () => {
    const verify = createJwtVerifier(explicitClaims());
    const claims = { aud: 'app-client', 'custom:org_id': 'org-1', 'custom:role': ['member', 'OWNER'] };
    expect(await verify(await token({ claims }))).toMatchObject({ orgId: 'org-1', role: 'OWNER' });
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

  it('with explicit claims, denies a token without the organization claim, naming the claim', async () => {
    const verify = createJwtVerifier(explicitClaims());
    const claims = { aud: 'app-client', 'custom:role': 'ADMIN' };
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

  it('with explicit claims, denies a token whose role claim is missing or not a stepwise role', async () => {
    const verify = createJwtVerifier(explicitClaims());
    const claims = { aud: 'app-client', 'custom:org_id': 'org-1' };
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
