// API keys: long random secrets bound to one organization and one role. Only the SHA-256 of a key is
// stored, so the plaintext is shown once, at creation, and a leaked table dump authenticates nobody.
// A 256-bit random key needs no salt or slow hash: there is nothing to brute-force.
//
// Items (single-item conditional writes only: the local DynamoDB has no transactions):
//   APIKEY#<sha256 hex> / APIKEY     the key: keyHash, keyId, orgId, role, name, createdAt, revokedAt?;
//                                    gsi1 (ORG#<org>#APIKEYS, <createdAt>#<keyId>) lists an org's keys
//   ORG#<org> / APIKEY#<keyId>       pointer from the public keyId to the hash, for revocation and cursors
// OPERATOR keys live in the reserved org OPERATOR_ORG_ID (`*`), which no tenant can have.
// The pointer is written first: a failure between the two writes leaves a pointer to no key (harmless,
// invisible in listings, and the keyId is simply not reused), never a working key that cannot be
// revoked. Each write is `attribute_not_exists(pk)`; finding its own item already there (an SDK retry
// after a lost response) counts as success, so repeating a create is safe. Revocation is one
// conditional update that keeps the first revokedAt.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { type DocumentClient, GetCommand, QueryCommand, UpdateCommand } from '../clients/table-commands';
import type { Role } from '../resources';
import { conditionalWrite, putIfAbsent } from '../table-items';
import { isRole, isValidMembership, OPERATOR_ORG_ID, ORG_ID_RULE } from './identity';

export const API_KEY_PREFIX = 'sw_';
/** `sw_` + 32 random bytes in base64url (43 characters, no padding). */
const API_KEY_PATTERN = /^sw_[A-Za-z0-9_-]{43}$/;

export interface ApiKeyRecord {
  /** Short public id: safe to show, log and use in URLs. */
  readonly keyId: string;
  readonly orgId: string;
  readonly role: Role;
  readonly name: string;
  readonly createdAt: string;
  readonly revokedAt?: string;
}

export interface NewApiKey {
  readonly orgId: string;
  readonly role: Role;
  readonly name: string;
}

export interface CreatedApiKey {
  /** The only time the plaintext exists outside the caller's hands. */
  readonly plaintext: string;
  readonly key: ApiKeyRecord;
}

export interface ApiKeyStore {
  /** Stores a new key by its hash; false when the keyId is already taken in the org (pick another). */
  create(key: ApiKeyRecord, keyHash: string): Promise<boolean>;
  /** The key whose plaintext this is, revoked or not; undefined when unknown. */
  findByKey(plaintext: string): Promise<ApiKeyRecord | undefined>;
  /** Revokes once (a repeat keeps the first revokedAt); undefined when the org has no such key. */
  revoke(orgId: string, keyId: string, at: string): Promise<ApiKeyRecord | undefined>;
  /** The org's keys, revoked ones included, newest first; `cursor` is the store's own (sign it). */
  list(orgId: string, limit: number, cursor?: string): Promise<{ items: ApiKeyRecord[]; cursor?: string }>;
}

/**
 * A key whose org and role do not go together: OPERATOR outside the reserved org, a tenant role in it, or
 * an org id that is not one (ORG_ID).
 */
export class InvalidKeyMembershipError extends Error {
  constructor(orgId: string, role: Role) {
    super(
      role === 'OPERATOR'
        ? `OPERATOR keys belong to the reserved organization ${OPERATOR_ORG_ID}, not ${orgId}`
        : orgId === OPERATOR_ORG_ID
          ? `Organization id ${OPERATOR_ORG_ID} is reserved for OPERATOR keys; a ${role} key cannot have it`
          : `Organization id ${JSON.stringify(orgId)} is not an organization id: ${ORG_ID_RULE}`,
    );
    this.name = 'InvalidKeyMembershipError';
  }
}

export function isApiKeyFormat(value: string): boolean {
  return API_KEY_PATTERN.test(value);
}

export function hashApiKey(plaintext: string): string {
  return createHash('sha256').update(plaintext, 'utf8').digest('hex');
}

export function generateApiKey(): { plaintext: string; keyHash: string; keyId: string } {
  const plaintext = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  // Never starting with '-', which a command line reads as an option (`stepwise keys revoke <keyId>`).
  let keyId = randomBytes(6).toString('base64url');
  while (keyId.startsWith('-')) keyId = randomBytes(6).toString('base64url');
  return { plaintext, keyHash: hashApiKey(plaintext), keyId };
}

/** Creates a key and returns its plaintext, once. Retries the (unlikely) keyId collision within the org. */
export async function createApiKey(
  store: ApiKeyStore,
  { orgId, role, name }: NewApiKey,
  now: () => Date = () => new Date(),
): Promise<CreatedApiKey> {
  if (!isValidMembership(orgId, role)) throw new InvalidKeyMembershipError(orgId, role);
  for (let attempt = 0; attempt < 3; attempt++) {
    const { plaintext, keyHash, keyId } = generateApiKey();
    const key: ApiKeyRecord = { keyId, orgId, role, name, createdAt: now().toISOString() };
    if (await store.create(key, keyHash)) return { plaintext, key };
  }
  throw new Error(`Could not allocate a unique API key id in org ${orgId}`);
}

const keyItemKey = (keyHash: string) => ({ pk: `APIKEY#${keyHash}`, sk: 'APIKEY' });
const pointerKey = (orgId: string, keyId: string) => ({ pk: `ORG#${orgId}`, sk: `APIKEY#${keyId}` });
const orgKeysPartition = (orgId: string) => `ORG#${orgId}#APIKEYS`;

function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

export class DynamoApiKeyStore implements ApiKeyStore {
  constructor(
    private readonly client: DocumentClient,
    private readonly tableName: string,
  ) {}

  async create(key: ApiKeyRecord, keyHash: string): Promise<boolean> {
    const pointer = { ...pointerKey(key.orgId, key.keyId), type: 'ApiKeyPointer', keyId: key.keyId, keyHash };
    if (!(await this.putOnce(pointer, (existing) => existing.keyHash === keyHash))) return false;
    const item = {
      ...keyItemKey(keyHash),
      type: 'ApiKey',
      ...key,
      keyHash,
      gsi1pk: orgKeysPartition(key.orgId),
      gsi1sk: `${key.createdAt}#${key.keyId}`,
    };
    // A repeat of the same write (an SDK retry after a lost response) finds its own item: still success.
    if (!(await this.putOnce(item, (existing) => existing.keyId === key.keyId))) {
      throw new Error(`API key hash collision for ${key.keyId}`);
    }
    return true;
  }

  async findByKey(plaintext: string): Promise<ApiKeyRecord | undefined> {
    if (!isApiKeyFormat(plaintext)) return undefined;
    const keyHash = hashApiKey(plaintext);
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keyItemKey(keyHash), ConsistentRead: true }),
    );
    if (!Item || typeof Item.keyHash !== 'string' || !sameHash(Item.keyHash, keyHash)) return undefined;
    return toRecord(Item);
  }

  async revoke(orgId: string, keyId: string, at: string): Promise<ApiKeyRecord | undefined> {
    const keyHash = await this.hashOf(orgId, keyId);
    if (!keyHash) return undefined;
    const revoked = await conditionalWrite(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyItemKey(keyHash),
          UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :at)',
          ConditionExpression: 'attribute_exists(pk) AND orgId = :org',
          ExpressionAttributeValues: { ':at': at, ':org': orgId },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return revoked?.Attributes ? toRecord(revoked.Attributes) : undefined;
  }

  async list(
    orgId: string,
    limit: number,
    cursor?: string,
  ): Promise<{ items: ApiKeyRecord[]; cursor?: string }> {
    // The cursor is the last key's gsi1sk (`<createdAt>#<keyId>`): the signer binds it to the org.
    const { Items = [], LastEvaluatedKey } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: `gsi1pk = :pk${cursor ? ' AND gsi1sk < :before' : ''}`,
        ExpressionAttributeValues: { ':pk': orgKeysPartition(orgId), ...(cursor && { ':before': cursor }) },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    const last = Items.at(-1);
    return {
      items: Items.map(toRecord),
      ...(LastEvaluatedKey && last && { cursor: String(last.gsi1sk) }),
    };
  }

  /** Conditional put; when the item exists, `isSame` decides whether it is this very write repeated. */
  private async putOnce(
    item: Record<string, unknown>,
    isSame: (existing: Record<string, unknown>) => boolean,
  ): Promise<boolean> {
    const written = await putIfAbsent(this.client, this.tableName, item);
    if (written) return true;
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: item.pk, sk: item.sk },
        ConsistentRead: true,
      }),
    );
    return Item !== undefined && isSame(Item);
  }

  private async hashOf(orgId: string, keyId: string): Promise<string | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: pointerKey(orgId, keyId), ConsistentRead: true }),
    );
    return typeof Item?.keyHash === 'string' ? Item.keyHash : undefined;
  }
}

function toRecord(item: Record<string, unknown>): ApiKeyRecord {
  const role = item.role;
  if (!isRole(role) && role !== 'OPERATOR')
    throw new Error(`API key ${String(item.keyId)} has an invalid role`);
  return {
    keyId: String(item.keyId),
    orgId: String(item.orgId),
    role,
    name: String(item.name),
    createdAt: String(item.createdAt),
    ...(typeof item.revokedAt === 'string' && { revokedAt: item.revokedAt }),
  };
}
