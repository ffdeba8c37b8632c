import { describe, expect, it } from 'vitest';
import { hashApiKey } from '../../../functions/shared/auth/api-keys';
import { ensureDefaultOrg, resetBootstrapKey } from '../../../functions/shared/auth/bootstrap-org';
import { InMemoryApiKeyStore, InMemoryOrgStore } from './in-memory-stores';

const deps = () => ({ orgs: new InMemoryOrgStore(), apiKeys: new InMemoryApiKeyStore() });

describe('ensureDefaultOrg', () => {
  it('creates the default org and an OWNER key, returning the plaintext', async () => {
    const stores = deps();
    const result = await ensureDefaultOrg(stores, { name: 'Default' });
    expect(result).toMatchObject({
      orgId: 'default',
      orgCreated: true,
      plaintext: expect.stringMatching(/^sw_/),
    });
    const key = stores.apiKeys.byHash.get(hashApiKey(result.plaintext ?? ''));
    expect(key).toMatchObject({ orgId: 'default', role: 'OWNER', keyId: result.keyId });
  });

  it('returns no plaintext and issues no key when run again', async () => {
    const stores = deps();
    const first = await ensureDefaultOrg(stores, { name: 'Default' });
    const second = await ensureDefaultOrg(stores, { name: 'Default' });
    expect(second).toEqual({ orgId: 'default', orgCreated: false, keyId: first.keyId });
    expect(stores.apiKeys.byHash.size).toBe(1);
  });

  it('issues the key on the next run when an earlier run stopped after creating the org', async () => {
    const stores = deps();
    await stores.orgs.create({ orgId: 'default', name: 'Default', createdAt: '2026-01-01T00:00:00.000Z' });
    const result = await ensureDefaultOrg(stores, { name: 'Default' });
    expect(result).toMatchObject({ orgCreated: false, plaintext: expect.stringMatching(/^sw_/) });
  });
});

describe('resetBootstrapKey', () => {
  it('issues a new OWNER key and revokes the one whose plaintext was lost', async () => {
    const stores = deps();
    const first = await ensureDefaultOrg(stores, { name: 'Default' });
    const reset = await resetBootstrapKey(stores);
    expect(reset.keyId).not.toBe(first.keyId);
    const keys = [...stores.apiKeys.byHash.values()];
    expect(keys.find((key) => key.keyId === first.keyId)?.revokedAt).toBeDefined();
    expect(stores.apiKeys.byHash.get(hashApiKey(reset.plaintext))).toMatchObject({ role: 'OWNER' });
    expect(await ensureDefaultOrg(stores, { name: 'Default' })).toMatchObject({ keyId: reset.keyId });
  });

  it('refuses an org that does not exist', async () => {
    await expect(resetBootstrapKey(deps(), { orgId: 'nope' })).rejects.toThrow(/nope does not exist/);
  });
});
