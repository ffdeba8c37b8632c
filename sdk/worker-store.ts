// The worker's own item in the table (functions/shared/workers/worker-item.ts), written whole: once when
// it registers (a fresh id), then on every change of what it holds and on every heartbeat, each write
// conditional on the item still being live, so a worker the sweeper marked DEAD learns it (and registers
// afresh) instead of overwriting the marking.
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import {
  LIVE_WORKER_CONDITION,
  REGISTER_CONDITION,
  toItem,
  type WorkerItem,
  type WriteCondition,
} from '../functions/shared/workers/worker-item';

export interface WorkerStore {
  /** Writes a new worker's item; false when its id is taken. `signal` abandons the write (a stop). */
  register(worker: WorkerItem, signal?: AbortSignal): Promise<boolean>;
  /** Replaces a live worker's item; false when it is no longer live (marked DEAD, or STOPPED). */
  save(worker: WorkerItem): Promise<boolean>;
}

export class DynamoWorkerStore implements WorkerStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  register(worker: WorkerItem, signal?: AbortSignal): Promise<boolean> {
    return this.put(worker, REGISTER_CONDITION, signal);
  }

  save(worker: WorkerItem): Promise<boolean> {
    return this.put(worker, LIVE_WORKER_CONDITION);
  }

  private async put(worker: WorkerItem, condition: WriteCondition, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({ TableName: this.tableName, Item: toItem(worker), ...condition }),
        signal && { abortSignal: signal },
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
