// Tasks and their step attempts in the single table. Every write is a single-item conditional write
// (the local DynamoDB has no transactions), so each is safe to repeat:
//   TASK#<id> / TASK                      the task; gsi1 lists an org's tasks by creation time, gsi2 holds
//                                         it under ACTIVE while it is not terminal (for reconciliation)
//   TASK#<id> / STEP#<step>[#<i>]         per step (and map iteration): status and attempt counter
//   TASK#<id> / ATTEMPT#<step>[#<i>]#<n>  one item per attempt
//   IDEMPOTENCY#<org>#<key> / IDEMPOTENCY the task a client key started
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { fromItem, isConditionFailure } from '../table-items';
import { decodeCursor, encodeCursor } from './cursor';
import type { StepAttempt, StepStatus, Task, TaskStatus } from './task';

const taskKey = (taskId: string) => ({ pk: `TASK#${taskId}`, sk: 'TASK' });
const stepKey = (stepId: string, mapIndex?: number) =>
  mapIndex === undefined ? stepId : `${stepId}#${String(mapIndex).padStart(5, '0')}`;
const ACTIVE = 'ACTIVE';
/** Queries one filtered listing may make before it returns what it has (with a cursor to go on). */
const MAX_LIST_READS = 10;
/** Index items read per query of a filtered listing. */
const FILTERED_READ_SIZE = 100;

export interface Page<T> {
  readonly items: T[];
  readonly cursor?: string;
}

export interface StepSummary {
  readonly stepId: string;
  readonly mapIndex?: number;
  readonly status: StepStatus;
  readonly attempts: number;
  readonly error?: string;
  readonly cause?: string;
  readonly updatedAt: string;
}

export interface TaskListFilter {
  readonly status?: TaskStatus;
  readonly workflowId?: string;
  readonly agentId?: string;
  readonly from?: string;
  readonly to?: string;
  readonly limit?: number;
  readonly cursor?: string;
}

export interface Settlement {
  readonly status: TaskStatus;
  readonly at: string;
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
}

export class TaskStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Claims a client idempotency key for a task; returns the task id that already holds it, if any. */
  async claimIdempotencyKey(orgId: string, key: string, taskId: string): Promise<string | undefined> {
    const Key = { pk: `IDEMPOTENCY#${orgId}#${key}`, sk: 'IDEMPOTENCY' };
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...Key, taskId, createdAt: new Date().toISOString() },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return undefined;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key }));
      return Item?.taskId as string;
    }
  }

  /** Creates the task; false when it already exists (a retried request). */
  async create(task: Task): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...taskKey(task.taskId),
            type: 'Task',
            ...task,
            gsi1pk: `ORG#${task.orgId}#TASKS`,
            gsi1sk: `${task.createdAt}#${task.taskId}`,
            gsi2pk: ACTIVE,
            gsi2sk: `${task.createdAt}#${task.taskId}`,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /** The task, or undefined when it does not exist or belongs to another organization. */
  async get(orgId: string, taskId: string): Promise<Task | undefined> {
    const task = await this.getAnyOrg(taskId);
    return task?.orgId === orgId ? task : undefined;
  }

  async getAnyOrg(taskId: string): Promise<Task | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: taskKey(taskId), ConsistentRead: true }),
    );
    return Item ? fromItem<Task>(Item) : undefined;
  }

  async list(orgId: string, filter: TaskListFilter): Promise<Page<Task>> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':pk': `ORG#${orgId}#TASKS` };
    const conditions: string[] = [];
    let range = '';
    if (filter.from && filter.to) {
      range = ' AND gsi1sk BETWEEN :from AND :to';
      values[':from'] = filter.from;
      values[':to'] = `${filter.to}\uffff`;
    } else if (filter.from) {
      range = ' AND gsi1sk >= :from';
      values[':from'] = filter.from;
    } else if (filter.to) {
      range = ' AND gsi1sk <= :to';
      values[':to'] = `${filter.to}\uffff`;
    }
    for (const field of ['status', 'workflowId', 'agentId'] as const) {
      if (filter[field] === undefined) continue;
      names[`#${field}`] = field;
      values[`:${field}`] = filter[field];
      conditions.push(`#${field} = :${field}`);
    }
    // status/workflowId/agentId are filters applied after DynamoDB's Limit, so one query may return
    // fewer matches than asked: read on until the page is full, the index is exhausted or the read
    // budget is spent (only then is a page short while more may match; its cursor goes on from there).
    const limit = filter.limit ?? 50;
    const items: Record<string, unknown>[] = [];
    let startKey = decodeCursor(filter.cursor);
    for (let reads = 0; reads < MAX_LIST_READS; reads++) {
      const { Items = [], LastEvaluatedKey } = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: 'gsi1',
          KeyConditionExpression: `gsi1pk = :pk${range}`,
          ...(conditions.length > 0 && { FilterExpression: conditions.join(' AND ') }),
          ExpressionAttributeNames: conditions.length > 0 ? names : undefined,
          ExpressionAttributeValues: values,
          ScanIndexForward: false,
          Limit: conditions.length > 0 ? Math.max(limit, FILTERED_READ_SIZE) : limit,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const [index, item] of Items.entries()) {
        items.push(item);
        if (items.length < limit) continue;
        const more = index < Items.length - 1 || LastEvaluatedKey !== undefined;
        const { pk, sk, gsi1pk, gsi1sk } = item;
        return {
          items: items.map((i) => fromItem<Task>(i)),
          cursor: more ? encodeCursor({ pk, sk, gsi1pk, gsi1sk }) : undefined,
        };
      }
      if (!LastEvaluatedKey) return { items: items.map((i) => fromItem<Task>(i)) };
      startKey = LastEvaluatedKey;
    }
    return { items: items.map((i) => fromItem<Task>(i)), cursor: encodeCursor(startKey) };
  }

  /** Tasks not yet terminal that were created before `before`, oldest first, for reconciliation. */
  async listActive(before: string, limit = 100): Promise<Task[]> {
    const { Items = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'gsi2',
        KeyConditionExpression: 'gsi2pk = :active AND gsi2sk < :before',
        ExpressionAttributeValues: { ':active': ACTIVE, ':before': before },
        Limit: limit,
      }),
    );
    return Items.map((item) => fromItem<Task>(item));
  }

  /** PENDING -> RUNNING; false if the task had already moved on. */
  async markRunning(taskId: string, at: string): Promise<boolean> {
    return this.conditionalUpdate(
      taskId,
      'SET #status = :running, startedAt = :at, updatedAt = :at',
      '#status = :pending',
      { ':running': 'RUNNING', ':pending': 'PENDING', ':at': at },
    );
  }

  /** Moves a task to a terminal status once; false if it was already terminal. */
  async settle(taskId: string, settlement: Settlement): Promise<boolean> {
    const values: Record<string, unknown> = {
      ':status': settlement.status,
      ':at': settlement.at,
      ':pending': 'PENDING',
      ':running': 'RUNNING',
    };
    const sets = ['#status = :status', 'endedAt = :at', 'updatedAt = :at'];
    for (const field of ['output', 'error', 'cause'] as const) {
      if (settlement[field] === undefined) continue;
      values[`:${field}`] = settlement[field];
      sets.push(`#${field} = :${field}`);
    }
    return this.conditionalUpdate(
      taskId,
      `SET ${sets.join(', ')} REMOVE gsi2pk, gsi2sk`,
      '#status IN (:pending, :running)',
      values,
      { '#output': 'output', '#error': 'error', '#cause': 'cause' },
    );
  }

  /** Starts the next attempt of a step and returns its number (1 for the first). */
  async startAttempt(
    taskId: string,
    stepId: string,
    mapIndex: number | undefined,
    at: string,
  ): Promise<number> {
    const key = stepKey(stepId, mapIndex);
    const { Attributes } = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `TASK#${taskId}`, sk: `STEP#${key}` },
        UpdateExpression:
          'ADD attempts :one SET #status = :running, stepId = :stepId, updatedAt = :at, mapIndex = :mapIndex REMOVE #error, #cause',
        ExpressionAttributeNames: { '#status': 'status', '#error': 'error', '#cause': 'cause' },
        ExpressionAttributeValues: {
          ':one': 1,
          ':running': 'RUNNING',
          ':stepId': stepId,
          ':at': at,
          ':mapIndex': mapIndex ?? null,
        },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    const attempt = Number(Attributes?.attempts ?? 1);
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: `TASK#${taskId}`,
          sk: `ATTEMPT#${key}#${String(attempt).padStart(3, '0')}`,
          taskId,
          stepId,
          mapIndex,
          attempt,
          status: 'RUNNING',
          startedAt: at,
        },
      }),
    );
    return attempt;
  }

  async finishAttempt(
    attempt: Pick<
      StepAttempt,
      'taskId' | 'stepId' | 'mapIndex' | 'attempt' | 'status' | 'error' | 'cause' | 'outputSummary'
    > & {
      readonly endedAt: string;
      readonly durationMs: number;
    },
  ): Promise<void> {
    const key = stepKey(attempt.stepId, attempt.mapIndex);
    const values = {
      ':status': attempt.status,
      ':endedAt': attempt.endedAt,
      ':durationMs': attempt.durationMs,
      ':error': attempt.error ?? null,
      ':cause': attempt.cause ?? null,
      ':summary': attempt.outputSummary ?? null,
    };
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: {
            pk: `TASK#${attempt.taskId}`,
            sk: `ATTEMPT#${key}#${String(attempt.attempt).padStart(3, '0')}`,
          },
          UpdateExpression:
            'SET #status = :status, endedAt = :endedAt, durationMs = :durationMs, #error = :error, #cause = :cause, outputSummary = :summary',
          // An attempt the state machine already closed (it timed out) stays as the state machine recorded it.
          ConditionExpression: '#status = :running',
          ExpressionAttributeNames: { '#status': 'status', '#error': 'error', '#cause': 'cause' },
          ExpressionAttributeValues: { ...values, ':running': 'RUNNING' },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) return;
      throw error;
    }
    await this.setStepStatus(
      attempt.taskId,
      attempt.stepId,
      attempt.mapIndex,
      attempt.status,
      attempt.endedAt,
      attempt,
    );
  }

  /**
   * Records a step outcome decided by the state machine rather than by an attempt: SKIPPED by a `when`,
   * or FAILED after its retries (including `States.Timeout`, which no attempt can report itself). An
   * attempt still marked RUNNING is closed with the same error.
   */
  async recordStepOutcome(
    taskId: string,
    stepId: string,
    mapIndex: number | undefined,
    outcome: { status: 'FAILED' | 'SKIPPED'; error?: string; cause?: string; at: string },
  ): Promise<void> {
    await this.setStepStatus(taskId, stepId, mapIndex, outcome.status, outcome.at, outcome);
    if (outcome.status !== 'FAILED') return;
    const attempts = await this.listAttempts(taskId);
    const last = attempts.filter((a) => a.stepId === stepId && a.mapIndex === mapIndex).at(-1);
    if (last?.status === 'RUNNING') {
      await this.finishAttempt({
        ...last,
        status: 'FAILED',
        error: outcome.error,
        cause: outcome.cause,
        endedAt: outcome.at,
        durationMs: Date.parse(outcome.at) - Date.parse(last.startedAt),
      });
    }
  }

  async listSteps(taskId: string): Promise<StepSummary[]> {
    return (await this.queryPrefix(taskId, 'STEP#')) as unknown as StepSummary[];
  }

  async listAttempts(taskId: string): Promise<StepAttempt[]> {
    return (await this.queryPrefix(taskId, 'ATTEMPT#')) as unknown as StepAttempt[];
  }

  private async setStepStatus(
    taskId: string,
    stepId: string,
    mapIndex: number | undefined,
    status: StepStatus,
    at: string,
    detail: { error?: string; cause?: string },
  ): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `TASK#${taskId}`, sk: `STEP#${stepKey(stepId, mapIndex)}` },
        UpdateExpression:
          'SET #status = :status, stepId = :stepId, mapIndex = :mapIndex, updatedAt = :at, #error = :error, #cause = :cause, attempts = if_not_exists(attempts, :zero)',
        ExpressionAttributeNames: { '#status': 'status', '#error': 'error', '#cause': 'cause' },
        ExpressionAttributeValues: {
          ':status': status,
          ':stepId': stepId,
          ':mapIndex': mapIndex ?? null,
          ':at': at,
          ':error': detail.error ?? null,
          ':cause': detail.cause ?? null,
          ':zero': 0,
        },
      }),
    );
  }

  private async queryPrefix(taskId: string, prefix: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let cursor: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': `TASK#${taskId}`, ':prefix': prefix },
          ConsistentRead: true,
          ExclusiveStartKey: cursor,
        }),
      );
      for (const item of page.Items ?? []) items.push(fromItem(item));
      cursor = page.LastEvaluatedKey;
    } while (cursor);
    return items;
  }

  private async conditionalUpdate(
    taskId: string,
    update: string,
    condition: string,
    values: Record<string, unknown>,
    extraNames: Record<string, string> = {},
  ): Promise<boolean> {
    const names: Record<string, string> = { '#status': 'status' };
    for (const [name, attribute] of Object.entries(extraNames)) {
      if (update.includes(name)) names[name] = attribute;
    }
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: taskKey(taskId),
          UpdateExpression: update,
          ConditionExpression: `attribute_exists(pk) AND ${condition}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
