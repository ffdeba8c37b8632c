// In-memory ApiKeyStore and OrgStore with the same contracts as the DynamoDB ones, for unit tests.
import { type ApiKeyRecord, type ApiKeyStore, hashApiKey } from '../../../functions/shared/auth/api-keys';
import type { Org, OrgStore } from '../../../functions/shared/auth/org-store';

export class InMemoryApiKeyStore implements ApiKeyStore {
  readonly byHash = new Map<string, ApiKeyRecord>();

  async create(key: ApiKeyRecord, keyHash: string): Promise<boolean> {
    if ([...this.byHash.values()].some((k) => k.orgId === key.orgId && k.keyId === key.keyId)) return false;
    this.byHash.set(keyHash, key);
    return true;
  }

  async findByKey(plaintext: string): Promise<ApiKeyRecord | undefined> {
    return this.byHash.get(hashApiKey(plaintext));
  }

  async revoke(orgId: string, keyId: string, at: string): Promise<ApiKeyRecord | undefined> {
    for (const [hash, key] of this.byHash) {
      if (key.orgId !== orgId || key.keyId !== keyId) continue;
      const revoked = { ...key, revokedAt: key.revokedAt ?? at };
      this.byHash.set(hash, revoked);
      return revoked;
    }
    return undefined;
  }

  async list(orgId: string, limit: number, cursor?: string) {
    const sortKey = (key: ApiKeyRecord) => `${key.createdAt}#${key.keyId}`;
    const keys = [...this.byHash.values()]
      .filter((key) => key.orgId === orgId && (cursor === undefined || sortKey(key) < cursor))
      .sort((a, b) => sortKey(b).localeCompare(sortKey(a)));
    const items = keys.slice(0, limit);
    const last = items.at(-1);
    return { items, ...(keys.length > limit && last && { cursor: sortKey(last) }) };
  }
}

export class InMemoryOrgStore implements OrgStore {
  readonly orgs = new Map<string, Org>();

  async create(org: Org): Promise<boolean> {
    if (this.orgs.has(org.orgId)) return false;
    this.orgs.set(org.orgId, org);
    return true;
  }

  async get(orgId: string): Promise<Org | undefined> {
    return this.orgs.get(orgId);
  }

  async swapBootstrapKey(orgId: string, keyId: string, expected: string | undefined): Promise<boolean> {
    const org = this.orgs.get(orgId);
    if (!org || org.bootstrapKeyId !== expected) return false;
    this.orgs.set(orgId, { ...org, bootstrapKeyId: keyId });
    return true;
  }
}
