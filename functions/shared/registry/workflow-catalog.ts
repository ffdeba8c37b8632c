// The registered workflows as the read routes see them: a workflow's versions, an org's workflows a page
// at a time (the keys: workflow-store.ts).
import { QueryCommand } from '../clients/table-commands';
import { fromItem } from '../table-items';
import { decodeCursor, encodeCursor } from '../tasks/cursor';
import { WorkflowStore, type WorkflowSummary, type WorkflowVersion, workflowPk } from './workflow-store';

export class WorkflowCatalog extends WorkflowStore {
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
