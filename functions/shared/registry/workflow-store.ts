// Registered workflows, per organization, one item per version plus a summary item:
//   ORG#<org>#WORKFLOW#<id> / WORKFLOW          name, latest version; gsi1 lists an org's workflows
//   ORG#<org>#WORKFLOW#<id> / VERSION#<000001>  the definition and its state machine
// WorkflowStore writes and reads versions (the registry, task starts); WorkflowCatalog adds the listings
// of the read routes (workflow-catalog.ts), which the registry function need not bundle.
import { type DocumentClient, GetCommand, UpdateCommand } from '../clients/table-commands';
import { conditionalWrite, fromItem, putIfAbsent } from '../table-items';
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

export const workflowPk = (orgId: string, workflowId: string) => `ORG#${orgId}#WORKFLOW#${workflowId}`;
const versionSk = (version: number) => `VERSION#${String(version).padStart(6, '0')}`;

/** Versions a store keeps once read: they never change once written, so a copy can never be stale. */
export const CACHED_VERSIONS = 256;

export class WorkflowStore {
  /** Versions read, by key, oldest first (a Map keeps insertion order): a task start reads only the head. */
  private readonly versions = new Map<string, WorkflowVersion>();

  constructor(
    protected readonly client: DocumentClient,
    protected readonly tableName: string,
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
    // The head (latest version) moves, so it is always read; a version never changes once written (put
    // only if absent, never updated or deleted), so it is read once per container. A version not found is
    // not remembered: it may be registered next.
    const resolved = version ?? (await this.getSummary(orgId, workflowId))?.latestVersion;
    if (resolved === undefined) return undefined;
    const Key = { pk: workflowPk(orgId, workflowId), sk: versionSk(resolved) };
    const cacheKey = `${Key.pk}/${Key.sk}`;
    const cached = this.versions.get(cacheKey);
    if (cached) return cached;
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key }));
    if (!Item) return undefined;
    const read = fromItem<WorkflowVersion>(Item);
    if (this.versions.size >= CACHED_VERSIONS) this.versions.delete(this.versions.keys().next().value ?? '');
    this.versions.set(cacheKey, read);
    return read;
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
}
