// First-run setup for `npm start` (and a fresh deployment): the default organization and an OWNER API
// key to call the API with, OPERATOR keys for the people who run the deployment, and the first OWNER key
// of any other organization (no API route makes those: they come from whoever holds the deployment's AWS
// credentials, through the CLI or `npm start`). ensureDefaultOrg is idempotent: the plaintext key is
// returned only by the run that created it; later runs return just its keyId. A lost plaintext is
// replaced with resetBootstrapKey.
import type { DocumentClient } from '../clients/table-commands';
import { dynamoRevocableApiKeys } from '../live/live-revocation';
import { type ApiKeyStore, type CreatedApiKey, createApiKey, InvalidKeyMembershipError } from './api-keys';
import { isOrgId, OPERATOR_ORG_ID } from './identity';
import { DynamoOrgStore, type OrgStore } from './org-store';

export interface BootstrapDeps {
  readonly orgs: OrgStore;
  readonly apiKeys: ApiKeyStore;
  readonly now?: () => Date;
}

/** The DynamoDB-backed stores, for callers (the local stack, the CLI) that hold a client and a table. */
export const dynamoBootstrapDeps = (client: DocumentClient, tableName: string): BootstrapDeps => ({
  orgs: new DynamoOrgStore(client, tableName),
  apiKeys: dynamoRevocableApiKeys(client, tableName),
});

export interface BootstrapResult {
  readonly orgId: string;
  /** True when this call created the org. */
  readonly orgCreated: boolean;
  /** The OWNER key issued at bootstrap. */
  readonly keyId: string;
  /** The key's plaintext, only when this call issued it. Show it once; it is not stored. */
  readonly plaintext?: string;
}

export const BOOTSTRAP_KEY_NAME = 'bootstrap owner key';

export async function ensureDefaultOrg(
  deps: BootstrapDeps,
  { orgId = 'default', name }: { orgId?: string; name: string },
): Promise<BootstrapResult> {
  const now = deps.now ?? (() => new Date());
  const orgCreated = await deps.orgs.create({ orgId, name, createdAt: now().toISOString() });
  const org = await deps.orgs.get(orgId);
  if (org?.bootstrapKeyId) return { orgId, orgCreated, keyId: org.bootstrapKeyId };
  // No bootstrap key yet: a new org, or an earlier run that stopped before issuing one.
  const { plaintext, key } = await createApiKey(
    deps.apiKeys,
    { orgId, role: 'OWNER', name: BOOTSTRAP_KEY_NAME },
    now,
  );
  if (await deps.orgs.swapBootstrapKey(orgId, key.keyId, undefined)) {
    return { orgId, orgCreated, keyId: key.keyId, plaintext };
  }
  // Another process bootstrapped concurrently and its key won: withdraw ours.
  await deps.apiKeys.revoke(orgId, key.keyId, now().toISOString());
  const winner = await deps.orgs.get(orgId);
  return { orgId, orgCreated, keyId: winner?.bootstrapKeyId ?? key.keyId };
}

/** Issues a new bootstrap OWNER key and revokes the previous one (for a lost plaintext). */
export async function resetBootstrapKey(
  deps: BootstrapDeps,
  { orgId = 'default' }: { orgId?: string } = {},
): Promise<Required<BootstrapResult>> {
  const now = deps.now ?? (() => new Date());
  const org = await deps.orgs.get(orgId);
  if (!org) throw new Error(`Organization ${orgId} does not exist`);
  const { plaintext, key } = await createApiKey(
    deps.apiKeys,
    { orgId, role: 'OWNER', name: BOOTSTRAP_KEY_NAME },
    now,
  );
  if (!(await deps.orgs.swapBootstrapKey(orgId, key.keyId, org.bootstrapKeyId))) {
    await deps.apiKeys.revoke(orgId, key.keyId, now().toISOString());
    throw new Error(`The bootstrap key of ${orgId} changed concurrently; try again`);
  }
  if (org.bootstrapKeyId) await deps.apiKeys.revoke(orgId, org.bootstrapKeyId, now().toISOString());
  return { orgId, orgCreated: false, keyId: key.keyId, plaintext };
}

/**
 * A new OWNER key of an organization, which is created when it does not exist yet: how a deployment's
 * holders of AWS credentials give an organization its first credential (no API route makes an org).
 * Its plaintext is returned once.
 */
export async function createOwnerKey(
  deps: BootstrapDeps,
  { orgId, name }: { orgId: string; name: string },
): Promise<CreatedApiKey & { orgCreated: boolean }> {
  // Checked before the org item is written, not only by createApiKey after it.
  if (!isOrgId(orgId)) throw new InvalidKeyMembershipError(orgId, 'OWNER');
  const now = deps.now ?? (() => new Date());
  const orgCreated = await deps.orgs.create({ orgId, name: orgId, createdAt: now().toISOString() });
  const created = await createApiKey(deps.apiKeys, { orgId, role: 'OWNER', name }, now);
  return { ...created, orgCreated };
}

/** A new OPERATOR key (in the reserved operator org); its plaintext is returned once. */
export function createOperatorKey(
  deps: Pick<BootstrapDeps, 'apiKeys' | 'now'>,
  name: string,
): Promise<CreatedApiKey> {
  return createApiKey(deps.apiKeys, { orgId: OPERATOR_ORG_ID, role: 'OPERATOR', name }, deps.now);
}

/** Revokes an OPERATOR key by its keyId; undefined when there is no such operator key. */
export function revokeOperatorKey(deps: Pick<BootstrapDeps, 'apiKeys' | 'now'>, keyId: string) {
  const now = deps.now ?? (() => new Date());
  return deps.apiKeys.revoke(OPERATOR_ORG_ID, keyId, now().toISOString());
}
