// Execution status changes kept per execution, one item per status. EventBridge delivers at least once,
// so the write is conditional on the item not existing: a redelivered event changes nothing.
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { fromItem, putIfAbsent } from '../table-items';
import type { ExecutionStatusDetail } from './execution-status-event';

/** Status items are telemetry, not the task record: they expire after 30 days. */
const RETENTION_SECONDS = 30 * 24 * 3600;
/**
 * An execution's input and output can each be 256 KB: together over DynamoDB's 400 KB item limit, and a
 * status that cannot be recorded would never settle its task. The record keeps the start of each.
 */
export const MAX_RECORDED_PAYLOAD_CHARS = 16_000;
const TRUNCATED = '…[truncated]';

function bounded(payload: string | null | undefined): string | null | undefined {
  if (payload === null || payload === undefined || payload.length <= MAX_RECORDED_PAYLOAD_CHARS)
    return payload;
  return `${payload.slice(0, MAX_RECORDED_PAYLOAD_CHARS)}${TRUNCATED}`;
}

export interface ExecutionStatusRecord extends ExecutionStatusDetail {
  readonly eventId: string;
  readonly eventTime: string;
}

export interface ExecutionStatusStore {
  /** Returns false when this status was already recorded for the execution. */
  record(change: ExecutionStatusRecord): Promise<boolean>;
  list(executionArn: string): Promise<ExecutionStatusRecord[]>;
}

const executionKey = (executionArn: string) => `EXECUTION#${executionArn}`;

export class DynamoExecutionStatusStore implements ExecutionStatusStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly nowSeconds: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  async record(change: ExecutionStatusRecord): Promise<boolean> {
    return putIfAbsent(this.client, this.tableName, {
      pk: executionKey(change.executionArn),
      sk: `STATUS#${change.status}`,
      type: 'ExecutionStatus',
      ...change,
      input: bounded(change.input),
      output: bounded(change.output),
      expiresAt: this.nowSeconds() + RETENTION_SECONDS,
    });
  }

  async list(executionArn: string): Promise<ExecutionStatusRecord[]> {
    const records: ExecutionStatusRecord[] = [];
    let cursor: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :status)',
          ExpressionAttributeValues: { ':pk': executionKey(executionArn), ':status': 'STATUS#' },
          ExclusiveStartKey: cursor,
        }),
      );
      for (const item of page.Items ?? []) {
        records.push(fromItem<ExecutionStatusRecord>(item));
      }
      cursor = page.LastEvaluatedKey;
    } while (cursor);
    return records;
  }
}
