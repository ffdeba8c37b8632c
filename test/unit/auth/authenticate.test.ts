import { describe, expect, it } from 'vitest';
import { createApiKey } from '../../../functions/shared/auth/api-keys';
import { authenticate, parseAuthorization } from '../../../functions/shared/auth/authenticate';
import type { AuthResult } from '../../../functions/shared/auth/identity';
import type { Role } from '../../../functions/shared/resources';
import { InMemoryApiKeyStore } from './in-memory-stores';

const KEY = `sw_${'A'.repeat(43)}`;
const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln';

describe('parseAuthorization', () => {
  it('reads an API key sent as a bearer token, recognised by its sw_ prefix', () => {
    expect(parseAuthorization(`Bearer ${KEY}`)).toEqual({ kind: 'api-key', value: KEY });
  });

  it('reads any other bearer token as a JWT, whatever the case of the scheme', () => {
    expect(parseAuthorization(`bearer ${JWT}`)).toEqual({ kind: 'jwt', value: JWT });
    expect(parseAuthorization(`  BEARER ${JWT}  `)).toEqual({ kind: 'jwt', value: JWT });
  });

  it.each([
    [undefined, 'missing Authorization header'],
    ['   ', 'missing Authorization header'],
    ['Basic dXNlcjpwYXNz', 'Authorization must be "Bearer <token>"'],
    ['Bearer', 'Authorization must be "Bearer <token>"'],
    [`Bearer ${JWT} extra`, 'Authorization must be "Bearer <token>"'],
    [KEY, 'Authorization must be "Bearer <token>"'],
    ['Bearer sw_short', 'API key is malformed'],
    [`Bearer ${KEY}=`, 'API key is malformed'],
  ])('denies %j: %s', (header, reason) => {
    expect(parseAuthorization(header)).toEqual({ denied: reason });
  });
});

describe('authenticate', () => {
  async function withKey(role: Role = 'MEMBER') {
    const apiKeys = new InMemoryApiKeyStore();
    const created = await createApiKey(apiKeys, { orgId: 'org-1', role, name: 'ci' });
    return { apiKeys, ...created };
  }

  it('authenticates a stored API key as its org and role, with its keyId as principal', async () => {
    const { apiKeys, plaintext, key } = await withKey('ADMIN');
    expect(await authenticate(`Bearer ${plaintext}`, { apiKeys })).toEqual({
      orgId: 'org-1',
      role: 'ADMIN',
      principal: key.keyId,
      method: 'api-key',
    });
  });

  it('denies a key stored before DEPLOYMENT was reserved: its org would share the alert channels of the deployment', async () => {
    const { apiKeys, plaintext, key } = await withKey('OWNER');
    for (const [hash, record] of apiKeys.byHash) apiKeys.byHash.set(hash, { ...record, orgId: 'DEPLOYMENT' });
    expect(await authenticate(`Bearer ${plaintext}`, { apiKeys })).toEqual({
      denied: `API key ${key.keyId} has an invalid org and role`,
    });
  });

  it('denies an unknown API key', async () => {
    const { apiKeys } = await withKey();
    expect(await authenticate(`Bearer ${KEY}`, { apiKeys })).toEqual({ denied: 'API key is not known' });
  });

  it('denies a revoked API key', async () => {
    const { apiKeys, plaintext, key } = await withKey();
    await apiKeys.revoke('org-1', key.keyId, '2026-01-01T00:00:00.000Z');
    expect(await authenticate(`Bearer ${plaintext}`, { apiKeys })).toEqual({
      denied: `API key ${key.keyId} was revoked at 2026-01-01T00:00:00.000Z`,
    });
  });

  it('denies a malformed header without looking anything up', async () => {
    const apiKeys = {
      findByKey: async () => {
        throw new Error('must not be called');
      },
    };
    expect(await authenticate('Bearer sw_short', { apiKeys })).toEqual({ denied: 'API key is malformed' });
    expect(await authenticate(undefined, { apiKeys })).toEqual({ denied: 'missing Authorization header' });
  });

  it('denies a bearer JWT when no issuer is configured', async () => {
    const { apiKeys } = await withKey();
    expect(await authenticate(`Bearer ${JWT}`, { apiKeys })).toEqual({
      denied: 'JWT authentication is not configured',
    });
  });

  it('hands a bearer JWT to the verifier and returns its verdict', async () => {
    const { apiKeys } = await withKey();
    const seen: string[] = [];
    const verifyJwt = async (token: string): Promise<AuthResult> => {
      seen.push(token);
      return { orgId: 'org-2', role: 'OWNER', principal: 'user-1', method: 'jwt' };
    };
    const result = await authenticate(`Bearer ${JWT}`, { apiKeys, verifyJwt });
    expect(result).toEqual({ orgId: 'org-2', role: 'OWNER', principal: 'user-1', method: 'jwt' });
    expect(seen).toEqual([JWT]);
  });
});
