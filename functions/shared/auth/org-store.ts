// Organizations in the single table: ORG#<id> / ORG, holding the name and which API key was issued when
// the org was bootstrapped. Single-item conditional writes only, each safe to repeat.

import { type DocumentClient, GetCommand, UpdateCommand } from '../clients/table-commands';
import { conditionalWrite, putIfAbsent } from '../table-items';

export interface Org {
  readonly orgId: string;
  readonly name: string;
  readonly createdAt: string;
  /** The OWNER key issued by the bootstrap (its plaintext was shown once). */
  readonly bootstrapKeyId?: string;
}

export interface OrgStore {
  /** Creates the org; false when it already exists. */
  create(org: Org): Promise<boolean>;
  get(orgId: string): Promise<Org | undefined>;
  /** Sets the bootstrap key if it is still `expected` (undefined: none yet); false when it moved on. */
  swapBootstrapKey(orgId: string, keyId: string, expected: string | undefined): Promise<boolean>;
}

const orgKey = (orgId: string) => ({ pk: `ORG#${orgId}`, sk: 'ORG' });

export class DynamoOrgStore implements OrgStore {
  constructor(
    private readonly client: DocumentClient,
    private readonly tableName: string,
  ) {}

  async create(org: Org): Promise<boolean> {
    return putIfAbsent(this.client, this.tableName, { ...orgKey(org.orgId), type: 'Org', ...org });
  }

  async get(orgId: string): Promise<Org | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: orgKey(orgId), ConsistentRead: true }),
    );
    if (!Item) return undefined;
    return {
      orgId: String(Item.orgId),
      name: String(Item.name),
      createdAt: String(Item.createdAt),
      ...(typeof Item.bootstrapKeyId === 'string' && { bootstrapKeyId: Item.bootstrapKeyId }),
    };
  }

  async swapBootstrapKey(orgId: string, keyId: string, expected: string | undefined): Promise<boolean> {
    const written = await conditionalWrite(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: orgKey(orgId),
          UpdateExpression: 'SET bootstrapKeyId = :keyId',
          ConditionExpression:
            expected === undefined
              ? 'attribute_exists(pk) AND attribute_not_exists(bootstrapKeyId)'
              : 'bootstrapKeyId = :expected',
          ExpressionAttributeValues: {
            ':keyId': keyId,
            ...(expected !== undefined && { ':expected': expected }),
          },
        }),
      ),
    );
    return written !== undefined;
  }
}
