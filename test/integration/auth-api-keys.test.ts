import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import {
  createApiKey,
  DynamoApiKeyStore,
  generateApiKey,
  hashApiKey,
} from '../../functions/shared/auth/api-keys';
import {
  dynamoBootstrapDeps,
  ensureDefaultOrg,
  resetBootstrapKey,
} from '../../functions/shared/auth/bootstrap-org';
import { GetCommand, QueryCommand } from '../../functions/shared/clients/table-commands';
import { localClients } from '../support/aws-clients';

const endpoints = inject('endpoints');
const { documents } = localClients(endpoints);
const TableName = endpoints.tableName;
const store = new DynamoApiKeyStore(documents, TableName);
const newOrg = () => `org-${randomUUID()}`;

describe('DynamoApiKeyStore', () => {
  it('finds a created key by its plaintext', async () => {
    const orgId = newOrg();
    const { plaintext, key } = await createApiKey(store, { orgId, role: 'ADMIN', name: 'deploy' });
    expect(await store.findByKey(plaintext)).toEqual(key);
    expect(key).toMatchObject({ orgId, role: 'ADMIN', name: 'deploy' });
  });

  it('stores the SHA-256 of the key, never the plaintext', async () => {
    const orgId = newOrg();
    const { plaintext, key } = await createApiKey(store, { orgId, role: 'MEMBER', name: 'ci' });
    const hash = hashApiKey(plaintext);
    const { Item } = await documents.send(
      new GetCommand({ TableName, Key: { pk: `APIKEY#${hash}`, sk: 'APIKEY' } }),
    );
    expect(Item).toMatchObject({ keyId: key.keyId, orgId, gsi1pk: `ORG#${orgId}#APIKEYS` });
    const { Items = [] } = await documents.send(
      new QueryCommand({
        TableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `ORG#${orgId}` },
      }),
    );
    expect(Items).toEqual([expect.objectContaining({ sk: `APIKEY#${key.keyId}`, keyHash: hash })]);
    expect(JSON.stringify([Item, ...Items])).not.toContain(plaintext.slice(3));
  });

  it('does not find an unknown or malformed key', async () => {
    expect(await store.findByKey(generateApiKey().plaintext)).toBeUndefined();
    expect(await store.findByKey('sw_nope')).toBeUndefined();
  });

  it('revokes a key by its keyId, once', async () => {
    const orgId = newOrg();
    const { plaintext, key } = await createApiKey(store, { orgId, role: 'OWNER', name: 'laptop' });
    const revoked = await store.revoke(orgId, key.keyId, '2026-02-01T00:00:00.000Z');
    expect(revoked).toEqual({ ...key, revokedAt: '2026-02-01T00:00:00.000Z' });
    expect(await store.findByKey(plaintext)).toMatchObject({ revokedAt: '2026-02-01T00:00:00.000Z' });
    const again = await store.revoke(orgId, key.keyId, '2026-03-01T00:00:00.000Z');
    expect(again?.revokedAt).toBe('2026-02-01T00:00:00.000Z');
  });

  it("cannot revoke another org's key or a key that does not exist", async () => {
    const orgId = newOrg();
    const { plaintext, key } = await createApiKey(store, { orgId, role: 'OWNER', name: 'laptop' });
    expect(await store.revoke(newOrg(), key.keyId, new Date().toISOString())).toBeUndefined();
    expect(await store.revoke(orgId, 'missing', new Date().toISOString())).toBeUndefined();
    expect((await store.findByKey(plaintext))?.revokedAt).toBeUndefined();
  });

  it('treats a repeated create of the same key as success (an SDK retry after a lost response)', async () => {
    const orgId = newOrg();
    const { plaintext, keyHash, keyId } = generateApiKey();
    const key = { keyId, orgId, role: 'MEMBER' as const, name: 'retry', createdAt: new Date().toISOString() };
    expect(await store.create(key, keyHash)).toBe(true);
    expect(await store.create(key, keyHash)).toBe(true);
    expect(await store.findByKey(plaintext)).toEqual(key);
  });

  it('refuses a keyId already taken in the org by another key', async () => {
    const orgId = newOrg();
    const first = generateApiKey();
    const second = generateApiKey();
    const key = {
      keyId: first.keyId,
      orgId,
      role: 'MEMBER' as const,
      name: 'a',
      createdAt: new Date().toISOString(),
    };
    expect(await store.create(key, first.keyHash)).toBe(true);
    expect(await store.create(key, second.keyHash)).toBe(false);
    expect(await store.findByKey(second.plaintext)).toBeUndefined();
  });
});

describe('ensureDefaultOrg on DynamoDB', () => {
  const deps = dynamoBootstrapDeps(documents, TableName);

  it('creates the org and an OWNER key once, and replaces a lost key on request', async () => {
    const orgId = newOrg();
    const first = await ensureDefaultOrg(deps, { orgId, name: 'Acme' });
    expect(first).toMatchObject({ orgId, orgCreated: true, plaintext: expect.stringMatching(/^sw_/) });
    expect(await store.findByKey(first.plaintext ?? '')).toMatchObject({ orgId, role: 'OWNER' });
    const { Item } = await documents.send(
      new GetCommand({ TableName, Key: { pk: `ORG#${orgId}`, sk: 'ORG' } }),
    );
    expect(Item).toMatchObject({ orgId, name: 'Acme', bootstrapKeyId: first.keyId });

    expect(await ensureDefaultOrg(deps, { orgId, name: 'Acme' })).toEqual({
      orgId,
      orgCreated: false,
      keyId: first.keyId,
    });

    const reset = await resetBootstrapKey(deps, { orgId });
    expect(await store.findByKey(reset.plaintext)).toMatchObject({ role: 'OWNER', keyId: reset.keyId });
    expect((await store.findByKey(first.plaintext ?? ''))?.revokedAt).toBeDefined();
  });

  it('issues exactly one bootstrap key when two processes start at once', async () => {
    const orgId = newOrg();
    const results = await Promise.all([
      ensureDefaultOrg(deps, { orgId, name: 'Race' }),
      ensureDefaultOrg(deps, { orgId, name: 'Race' }),
    ]);
    const withPlaintext = results.filter((result) => result.plaintext !== undefined);
    expect(withPlaintext).toHaveLength(1);
    expect(results[0]?.keyId).toBe(results[1]?.keyId);
    const { Items: keys = [] } = await documents.send(
      new QueryCommand({
        TableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': `ORG#${orgId}#APIKEYS` },
      }),
    );
    const active = keys.filter((key) => key.revokedAt === undefined);
    expect(active.map((key) => key.keyId)).toEqual([results[0]?.keyId]);
  });
});
