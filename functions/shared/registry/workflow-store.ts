// Registered workflows, per organization, one item per version plus a summary item:
//   ORG#<org>#WORKFLOW#<id> / WORKFLOW          name, latest version; gsi1 lists an org's workflows
//   ORG#<org>#WORKFLOW#<id> / VERSION#<000001>  the definition and its state machine
import { type DocumentClient, GetCommand, QueryCommand, UpdateCommand } from '../clients/table-commands';
import { conditionalWrite, fromItem, putIfAbsent } from '../table-items';
import { decodeCursor, encodeCursor } from '../tasks/cursor';
import type { WorkflowDefinition } from '../workflows/definition';

export interface WorkflowVersion {
  readonly orgId: string;
  readonly workflowId: string;
  readonly version: number;
  readonly name: string;
  readonly description?: string;
  readonly definition: WorkflowDefinition;
  readonly stateMachineArn: string;
  readonly createdAt: string;
}

export interface WorkflowSummary {
  readonly orgId: string;
  readonly workflowId: string;
  readonly name: string;
  readonly description?: string;
  readonly latestVersion: number;
  readonly updatedAt: string;
}

const workflowPk = (orgId: string, workflowId: string) => `ORG#${orgId}#WORKFLOW#${workflowId}`;
const versionSk = (version: number) => `VERSION#${String(version).padStart(6, '0')}`;

export class WorkflowStore {
  constructor(
    private readonly client: DocumentClient,
    private readonly tableName: string,
  ) {}

  /** Stores a new version; false when that version already exists. */
  async putVersion(version: WorkflowVersion): Promise<boolean> {
    const written = await putIfAbsent(this.client, this.tableName, {
      pk: workflowPk(version.orgId, version.workflowId),
      sk: versionSk(version.version),
      type: 'WorkflowVersion',
      ...version,
    });
    if (!written) return false;
    // The summary follows the highest version registered, whatever order versions arrive in.
    await conditionalWrite(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: workflowPk(version.orgId, version.workflowId), sk: 'WORKFLOW' },
          UpdateExpression:
            'SET #type = :type, orgId = :org, workflowId = :id, #name = :name, description = :description, latestVersion = :version, updatedAt = :at, gsi1pk = :gsi1pk, gsi1sk = :id',
          ConditionExpression: 'attribute_not_exists(latestVersion) OR latestVersion < :version',
          ExpressionAttributeNames: { '#type': 'type', '#name': 'name' },
          ExpressionAttributeValues: {
            ':type': 'Workflow',
            ':org': version.orgId,
            ':id': version.workflowId,
            ':name': version.name,
            ':description': version.description ?? null,
            ':version': version.version,
            ':at': version.createdAt,
            ':gsi1pk': `ORG#${version.orgId}#WORKFLOWS`,
          },
        }),
      ),
    );
    return true;
  }

  async getVersion(
    orgId: string,
    workflowId: string,
    version?: number,
  ): Promise<WorkflowVersion | undefined> {
    const resolved = version ?? (await this.getSummary(orgId, workflowId))?.latestVersion;
    if (resolved === undefined) return undefined;
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: workflowPk(orgId, workflowId), sk: versionSk(resolved) },
      }),
    );
    return Item ? fromItem<WorkflowVersion>(Item) : undefined;
  }

  async getSummary(orgId: string, workflowId: string): Promise<WorkflowSummary | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: workflowPk(orgId, workflowId), sk: 'WORKFLOW' },
      }),
    );
    return Item ? fromItem<WorkflowSummary>(Item) : undefined;
  }

  async listVersions(orgId: string, workflowId: string): Promise<WorkflowVersion[]> {
    const { Items = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': workflowPk(orgId, workflowId), ':prefix': 'VERSION#' },
      }),
    );
    return Items.map((item) => fromItem<WorkflowVersion>(item));
  }

  async list(
    orgId: string,
    limit = 50,
    cursor?: string,
  ): Promise<{ items: WorkflowSummary[]; cursor?: string }> {
    const { Items = [], LastEvaluatedKey } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': `ORG#${orgId}#WORKFLOWS` },
        Limit: limit,
        ExclusiveStartKey: decodeCursor(cursor),
      }),
    );
    return {
      items: Items.map((item) => fromItem<WorkflowSummary>(item)),
      cursor: encodeCursor(LastEvaluatedKey),
    };
  }
}
