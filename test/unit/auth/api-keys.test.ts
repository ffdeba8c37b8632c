import { describe, expect, it } from 'vitest';
import {
  type ApiKeyRecord,
  createApiKey,
  generateApiKey,
  hashApiKey,
  InvalidKeyMembershipError,
  isApiKeyFormat,
} from '../../../functions/shared/auth/api-keys';
import { OPERATOR_ORG_ID } from '../../../functions/shared/auth/identity';
import { InMemoryApiKeyStore } from './in-memory-stores';

describe('API key format', () => {
  it('is sw_ followed by 43 base64url characters of 32 random bytes', () => {
    const { plaintext } = generateApiKey();
    expect(plaintext).toMatch(/^sw_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(plaintext.slice(3), 'base64url')).toHaveLength(32);
    expect(isApiKeyFormat(plaintext)).toBe(true);
  });

  it('never repeats a key or its short public id', () => {
    const keys = Array.from({ length: 200 }, generateApiKey);
    expect(new Set(keys.map((key) => key.plaintext)).size).toBe(200);
    expect(new Set(keys.map((key) => key.keyId)).size).toBe(200);
  });

  it("has a public id of 8 base64url characters that never starts with '-' (a command line would read an option)", () => {
    // One id in 64 would start with '-' if drawn once: 2,000 ids hold about 31 such draws.
    const ids = Array.from({ length: 2000 }, () => generateApiKey().keyId);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{7}$/);
  });

  it('is identified by its SHA-256 hash', () => {
    const { plaintext, keyHash } = generateApiKey();
    expect(keyHash).toBe(hashApiKey(plaintext));
    expect(keyHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('rejects values of the wrong shape', () => {
    for (const value of [
      '',
      'sw_',
      `sw_${'a'.repeat(42)}`,
      `sk_${'a'.repeat(43)}`,
      `sw_${'a'.repeat(42)}=`,
    ]) {
      expect(isApiKeyFormat(value), value).toBe(false);
    }
  });
});

describe('createApiKey', () => {
  it('returns the plaintext once and stores the key by its hash', async () => {
    const store = new InMemoryApiKeyStore();
    const now = new Date('2026-01-01T00:00:00Z');
    const { plaintext, key } = await createApiKey(
      store,
      { orgId: 'o', role: 'ADMIN', name: 'deploy' },
      () => now,
    );
    expect(key).toEqual({
      keyId: expect.any(String),
      orgId: 'o',
      role: 'ADMIN',
      name: 'deploy',
      createdAt: now.toISOString(),
    });
    expect(store.byHash.get(hashApiKey(plaintext))).toEqual(key);
    expect(JSON.stringify([...store.byHash])).not.toContain(plaintext);
  });

  it('picks another keyId when the first one is taken in the org', async () => {
    const store = new InMemoryApiKeyStore();
    let calls = 0;
    const original = store.create.bind(store);
    store.create = async (key: ApiKeyRecord, hash: string) => (++calls === 1 ? false : original(key, hash));
    const { key } = await createApiKey(store, { orgId: 'o', role: 'MEMBER', name: 'x' });
    expect(calls).toBe(2);
    expect(store.byHash.size).toBe(1);
    expect([...store.byHash.values()][0]).toEqual(key);
  });
});

describe('the org of a key', () => {
  it.each(['a#WF#b', 'Acme/EU', 'org 1', 'a,b', '', 'DEPLOYMENT'])(
    'is an organization id: %j is refused',
    async (orgId) => {
      const store = new InMemoryApiKeyStore();
      await expect(createApiKey(store, { orgId, role: 'OWNER', name: 'x' })).rejects.toThrow(
        `Organization id ${JSON.stringify(orgId)} is not an organization id`,
      );
    },
  );

  it.each(['default', 'acme-prod', 'Acme.EU', 'x_1', 'Deployment', 'DEPLOYMENTS'])(
    'may be %j, as identity providers name groups',
    async (orgId) => {
      const store = new InMemoryApiKeyStore();
      const { key } = await createApiKey(store, { orgId, role: 'OWNER', name: 'x' });
      expect(key.orgId).toBe(orgId);
    },
  );
});

describe('OPERATOR keys', () => {
  it('live only in the reserved operator org, which holds no tenant key', async () => {
    const store = new InMemoryApiKeyStore();
    const { key } = await createApiKey(store, { orgId: OPERATOR_ORG_ID, role: 'OPERATOR', name: 'ops' });
    expect(key).toMatchObject({ orgId: '*', role: 'OPERATOR' });
    await expect(createApiKey(store, { orgId: 'org-1', role: 'OPERATOR', name: 'x' })).rejects.toThrow(
      InvalidKeyMembershipError,
    );
    await expect(createApiKey(store, { orgId: OPERATOR_ORG_ID, role: 'OWNER', name: 'x' })).rejects.toThrow(
      /reserved for OPERATOR keys/,
    );
  });
});
