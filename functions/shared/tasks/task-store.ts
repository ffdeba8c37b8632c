// Tasks and their step attempts in the single table. Every write is a single-item conditional write
// (the local DynamoDB has no transactions), so each is safe to repeat:
//   TASK#<id> / TASK                      the task; gsi1 lists an org's tasks by creation time, gsi2 holds
//                                         it under ACTIVE#<shard> while it is not terminal (reconciliation),
//                                         gsi3-gsi7 serve the task listing (below)
//   TASK#<id> / TAG#<key>:<value>         one per tag pair of a tagged task, written before the task
//   TASK#<id> / STEP#<step>[#<i>]         per step (and map iteration): status, attempt counter, first start
//   TASK#<id> / ATTEMPT#<step>[#<i>]#<n>  one item per attempt
//   IDEMPOTENCY#<org>#<key> / IDEMPOTENCY the task a client key started, and a hash of its request
//
// Listing indexes (task-index-keys.ts builds the keys, task-listing.ts reads them). Sort keys end in
// `<createdAt>#<taskId>` (the order key), so each lists newest first and takes from/to as a key range.
// gsi3-gsi7 project KEYS_ONLY (one small index write each; the listing batch-gets the tasks). They are
// written only by create (all of them) and settle (gsi5pk, the status); the RUNNING write moves none, as the
// status indexes hold PENDING and RUNNING tasks alike under ACTIVE:
//   gsi1  ORG#<org>#TASKS             / <order>          an org's tasks (ALL projected; GET /tasks unfiltered)
//   gsi3  ORG#<org>#WF#<workflowId>   / <order>          workflowId=
//         ORG#<org>#TAG#<k>:<v>       / <order>          tag=k:v in an org (tag items)
//   gsi4  ORG#<org>#AGENT#<agentId>   / <order>          agentId= (sparse: tasks with an agent)
//   gsi5  STATUS#<status>#<shard>     / <org>#<order>    status= in an org: one range per shard, merged
//                                                        (<status>: the terminal status, or ACTIVE)
//   gsi6  TASKS#<shard>               / <order>          every org (operators), 4 shards merged
//         TAG#<k>:<v>#<shard>         / <order>          tag=k:v across orgs (tag items)
//   gsi7  STATUS#<status>#<shard>     / <order>          status= across orgs (gsi5's partition key)
// RETRYING and STUCK read the open-step keys of step items (gsi1 ORG#<org>#STEPS#<state>, gsi2
// STEPS#<state>#<shard>) and, for STUCK, PENDING tasks older than the threshold from gsi5/gsi7.
import { createHash } from 'node:crypto';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type UpdateCommandInput,
  type UpdateCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { conditionalWrite, fromItem, putIfAbsent } from '../table-items';
import {
  type ClosingStatus,
  OPEN_STEP_STATUSES,
  type StepAttempt,
  type StepStatus,
  type Task,
  type TaskStatus,
} from './task';
import { createdTaskIndexKeys, statusIndexKey, tagItems } from './task-index-keys';

export interface StepSummary {
  readonly stepId: string;
  readonly mapIndex?: number;
  readonly status: StepStatus;
  readonly attempts: number;
  readonly error?: string;
  readonly cause?: string;
  /** When its first attempt started; absent for a step that never ran (SKIPPED). */
  readonly startedAt?: string;
  readonly endedAt?: string;
  readonly updatedAt: string;
}

export interface Settlement {
  readonly status: TaskStatus;
  readonly at: string;
  /** When the execution started, kept if the task never saw its RUNNING event. */
  readonly startedAt?: string;
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
}

/** Where a walk over the active tasks stands: a shard and, within it, DynamoDB's LastEvaluatedKey. */
export interface ActiveTasksPosition {
  readonly shard: number;
  readonly key?: Record<string, unknown>;
}

export interface IdempotencyClaim {
  readonly taskId: string;
  readonly requestHash?: string;
}

export interface FinishedAttempt
  extends Pick<
    StepAttempt,
    'taskId' | 'stepId' | 'mapIndex' | 'attempt' | 'error' | 'cause' | 'outputSummary'
  > {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly endedAt: string;
  readonly durationMs: number;
}

export interface StepOutcome {
  readonly status: 'FAILED' | 'SKIPPED';
  readonly error?: string;
  readonly cause?: string;
  readonly at: string;
}

export interface StepClosing {
  readonly status: ClosingStatus;
  readonly at: string;
  readonly cause: string;
}

export interface TaskStore {
  /** Claims a client idempotency key for a task; returns the claim that already holds it, if any. */
  claimIdempotencyKey(
    orgId: string,
    key: string,
    claim: IdempotencyClaim,
  ): Promise<IdempotencyClaim | undefined>;
  /** Creates the task; false when it already exists (a retried request). */
  create(task: Task): Promise<boolean>;
  /** The task, or undefined when it does not exist or belongs to another organization. */
  get(orgId: string, taskId: string): Promise<Task | undefined>;
  getAnyOrg(taskId: string): Promise<Task | undefined>;
  /** One page of tasks not yet terminal that were created before `before`; follow `next` for all. */
  listActive(
    before: string,
    after?: ActiveTasksPosition,
  ): Promise<{ items: Task[]; next?: ActiveTasksPosition }>;
  /** PENDING -> RUNNING; false if the task had already moved on. */
  markRunning(taskId: string, at: string): Promise<boolean>;
  /** Moves a task to a terminal status once; false if it was already terminal. */
  settle(taskId: string, settlement: Settlement): Promise<boolean>;
  /** Starts the next attempt of a step and returns its number, or undefined if the step was closed. */
  startAttempt(
    taskId: string,
    stepId: string,
    mapIndex: number | undefined,
    at: string,
  ): Promise<number | undefined>;
  /** Ends an attempt the step runner ran; an attempt or step closed meanwhile stays as it was closed. */
  finishAttempt(attempt: FinishedAttempt): Promise<void>;
  /** Records a step outcome decided by the state machine: SKIPPED by a `when`, or FAILED for good. */
  recordStepOutcome(
    taskId: string,
    stepId: string,
    mapIndex: number | undefined,
    outcome: StepOutcome,
  ): Promise<void>;
  /** Closes every step and attempt still open (RUNNING, RETRYING); returns how many items it closed. */
  closeOpenSteps(taskId: string, closing: StepClosing): Promise<number>;
  /** Steps in the order they first started (never-started ones by when they were recorded). */
  listSteps(taskId: string): Promise<StepSummary[]>;
  /** Attempts in the order they started. */
  listAttempts(taskId: string): Promise<StepAttempt[]>;
}

const taskKey = (taskId: string) => ({ pk: `TASK#${taskId}`, sk: 'TASK' });
const stepKey = (stepId: string, mapIndex?: number) =>
  mapIndex === undefined ? stepId : `${stepId}#${String(mapIndex).padStart(5, '0')}`;
const attemptSk = (key: string, attempt: number) => `ATTEMPT#${key}#${String(attempt).padStart(3, '0')}`;

/**
 * Active tasks are spread over shards by a hash of their id, so the index has no single hot partition
 * however many tasks start at once; the reconciler reads every shard.
 */
export const ACTIVE_SHARDS = 16;
export const activeShardOf = (taskId: string) =>
  (createHash('sha256').update(taskId).digest()[0] ?? 0) % ACTIVE_SHARDS;
const activePartition = (shard: number) => `ACTIVE#${shard}`;

const STATUS = '#status';
const OPEN = { ':running': 'RUNNING', ':retrying': 'RETRYING' };
const IS_OPEN = `${STATUS} IN (:running, :retrying)`;
const NOT_CLOSED = `attribute_not_exists(${STATUS}) OR NOT (${STATUS} IN (:cancelled, :timedOut, :aborted))`;
const CLOSED = { ':cancelled': 'CANCELLED', ':timedOut': 'TIMED_OUT', ':aborted': 'ABORTED' };
const NAMES = { '#status': 'status', '#error': 'error', '#cause': 'cause' };

/** Orders step and attempt items by their first start, then by key so equal times keep one order. */
function byStart(a: Record<string, unknown>, b: Record<string, unknown>): number {
  const when = (item: Record<string, unknown>) => String(item.startedAt ?? item.updatedAt ?? '');
  return when(a).localeCompare(when(b)) || String(a.sk).localeCompare(String(b.sk));
}

export class DynamoTaskStore implements TaskStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async claimIdempotencyKey(
    orgId: string,
    key: string,
    claim: IdempotencyClaim,
  ): Promise<IdempotencyClaim | undefined> {
    const Key = { pk: `IDEMPOTENCY#${orgId}#${key}`, sk: 'IDEMPOTENCY' };
    const claimed = await putIfAbsent(this.client, this.tableName, {
      ...Key,
      ...claim,
      createdAt: new Date().toISOString(),
    });
    if (claimed) return undefined;
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key, ConsistentRead: true }),
    );
    return { taskId: String(Item?.taskId), requestHash: Item?.requestHash as string | undefined };
  }

  async create(task: Task): Promise<boolean> {
    // Tags first: a tag item whose task was never written is skipped by the listing, never wrong.
    for (const item of tagItems(task)) {
      await this.client.send(new PutCommand({ TableName: this.tableName, Item: item }));
    }
    return putIfAbsent(this.client, this.tableName, {
      ...taskKey(task.taskId),
      type: 'Task',
      ...task,
      gsi1pk: `ORG#${task.orgId}#TASKS`,
      gsi1sk: `${task.createdAt}#${task.taskId}`,
      gsi2pk: activePartition(activeShardOf(task.taskId)),
      gsi2sk: `${task.createdAt}#${task.taskId}`,
      ...createdTaskIndexKeys(task),
    });
  }

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

  async listActive(
    before: string,
    position: ActiveTasksPosition = { shard: 0 },
  ): Promise<{ items: Task[]; next?: ActiveTasksPosition }> {
    const { Items = [], LastEvaluatedKey } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'gsi2',
        KeyConditionExpression: 'gsi2pk = :active AND gsi2sk < :before',
        ExpressionAttributeValues: { ':active': activePartition(position.shard), ':before': before },
        Limit: 100,
        ExclusiveStartKey: position.key,
      }),
    );
    const next = LastEvaluatedKey
      ? { shard: position.shard, key: LastEvaluatedKey }
      : position.shard + 1 < ACTIVE_SHARDS
        ? { shard: position.shard + 1 }
        : undefined;
    return { items: Items.map((item) => fromItem<Task>(item)), next };
  }

  async markRunning(taskId: string, at: string): Promise<boolean> {
    return this.updateTask(
      taskId,
      'SET #status = :running, startedAt = :at, updatedAt = :at',
      '#status = :pending',
      {
        ':running': 'RUNNING',
        ':pending': 'PENDING',
        ':at': at,
      },
    );
  }

  async settle(taskId: string, settlement: Settlement): Promise<boolean> {
    const values: Record<string, unknown> = {
      ':status': settlement.status,
      ':at': settlement.at,
      ':pending': 'PENDING',
      ':running': 'RUNNING',
      ':statusPartition': statusIndexKey(taskId, settlement.status).gsi5pk,
    };
    const sets = ['#status = :status', 'endedAt = :at', 'updatedAt = :at', 'gsi5pk = :statusPartition'];
    if (settlement.startedAt) {
      values[':startedAt'] = settlement.startedAt;
      sets.push('startedAt = if_not_exists(startedAt, :startedAt)');
    }
    for (const field of ['output', 'error', 'cause'] as const) {
      if (settlement[field] === undefined) continue;
      values[`:${field}`] = settlement[field];
      sets.push(`#${field} = :${field}`);
    }
    return this.updateTask(
      taskId,
      `SET ${sets.join(', ')} REMOVE gsi2pk, gsi2sk`,
      '#status IN (:pending, :running)',
      values,
    );
  }

  async startAttempt(
    taskId: string,
    stepId: string,
    mapIndex: number | undefined,
    at: string,
  ): Promise<number | undefined> {
    const key = stepKey(stepId, mapIndex);
    const updated = await this.updateTaskItem(taskId, `STEP#${key}`, {
      UpdateExpression:
        'ADD attempts :one SET #status = :running, stepId = :stepId, updatedAt = :at, mapIndex = :mapIndex, startedAt = if_not_exists(startedAt, :at) REMOVE #error, #cause, endedAt',
      // A step closed with its ended task is not reopened by an attempt that started late.
      ConditionExpression: NOT_CLOSED,
      ExpressionAttributeNames: NAMES,
      ExpressionAttributeValues: {
        ':one': 1,
        ':running': 'RUNNING',
        ':stepId': stepId,
        ':at': at,
        ':mapIndex': mapIndex ?? null,
        ...CLOSED,
      },
      ReturnValues: 'UPDATED_NEW',
    });
    if (!updated) return undefined;
    const attempt = Number(updated.Attributes?.attempts ?? 1);
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: `TASK#${taskId}`,
          sk: attemptSk(key, attempt),
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

  async finishAttempt(attempt: FinishedAttempt): Promise<void> {
    const key = stepKey(attempt.stepId, attempt.mapIndex);
    const closed = await this.closeAttempt(attempt.taskId, attemptSk(key, attempt.attempt), {
      status: attempt.status,
      endedAt: attempt.endedAt,
      durationMs: attempt.durationMs,
      error: attempt.error,
      cause: attempt.cause,
      outputSummary: attempt.outputSummary,
    });
    if (!closed) return;
    // A failed attempt leaves the step RETRYING: the state machine decides whether another attempt follows
    // or the step failed for good (then it records FAILED). Only the latest attempt moves the step.
    const succeeded = attempt.status === 'SUCCEEDED';
    await this.updateTaskItem(attempt.taskId, `STEP#${key}`, {
      UpdateExpression: `SET #status = :status, updatedAt = :at, #error = :error, #cause = :cause${succeeded ? ', endedAt = :at' : ''}`,
      ConditionExpression: `${IS_OPEN} AND attempts = :attempt`,
      ExpressionAttributeNames: NAMES,
      ExpressionAttributeValues: {
        ':status': succeeded ? 'SUCCEEDED' : 'RETRYING',
        ':at': attempt.endedAt,
        ':error': attempt.error ?? null,
        ':cause': attempt.cause ?? null,
        ':attempt': attempt.attempt,
        ...OPEN,
      },
    });
  }

  async recordStepOutcome(
    taskId: string,
    stepId: string,
    mapIndex: number | undefined,
    outcome: StepOutcome,
  ): Promise<void> {
    const key = stepKey(stepId, mapIndex);
    const updated = await this.updateTaskItem(taskId, `STEP#${key}`, {
      UpdateExpression:
        'SET #status = :status, stepId = :stepId, mapIndex = :mapIndex, updatedAt = :at, endedAt = :at, #error = :error, #cause = :cause, attempts = if_not_exists(attempts, :zero)',
      ConditionExpression: NOT_CLOSED,
      ExpressionAttributeNames: NAMES,
      ExpressionAttributeValues: {
        ':status': outcome.status,
        ':stepId': stepId,
        ':mapIndex': mapIndex ?? null,
        ':at': outcome.at,
        ':error': outcome.error ?? null,
        ':cause': outcome.cause ?? null,
        ':zero': 0,
        ...CLOSED,
      },
      ReturnValues: 'ALL_NEW',
    });
    // A step that failed by timing out has an attempt that never reported its end: it ends with the error.
    const attempts = Number(updated?.Attributes?.attempts ?? 0);
    if (outcome.status !== 'FAILED' || attempts === 0) return;
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: `TASK#${taskId}`, sk: attemptSk(key, attempts) },
        ConsistentRead: true,
      }),
    );
    if (Item?.status !== 'RUNNING') return;
    await this.closeAttempt(taskId, attemptSk(key, attempts), {
      status: 'FAILED',
      endedAt: outcome.at,
      durationMs: Date.parse(outcome.at) - Date.parse(String(Item.startedAt)),
      error: outcome.error,
      cause: outcome.cause,
    });
  }

  async closeOpenSteps(taskId: string, closing: StepClosing): Promise<number> {
    const items = [
      ...(await this.queryPrefix(taskId, 'STEP#')),
      ...(await this.queryPrefix(taskId, 'ATTEMPT#')),
    ];
    let closed = 0;
    for (const item of items) {
      if (!OPEN_STEP_STATUSES.includes(item.status as StepStatus)) continue;
      const isAttempt = String(item.sk).startsWith('ATTEMPT#');
      const values: Record<string, unknown> = {
        ':status': closing.status,
        ':at': closing.at,
        ':cause': closing.cause,
        ...OPEN,
      };
      if (isAttempt) values[':durationMs'] = Date.parse(closing.at) - Date.parse(String(item.startedAt));
      const written = await this.updateTaskItem(taskId, String(item.sk), {
        UpdateExpression: `SET #status = :status, endedAt = :at, updatedAt = :at, #cause = :cause${isAttempt ? ', durationMs = :durationMs' : ''}`,
        ConditionExpression: IS_OPEN,
        ExpressionAttributeNames: { '#status': 'status', '#cause': 'cause' },
        ExpressionAttributeValues: values,
      });
      if (written) closed++;
    }
    return closed;
  }

  async listSteps(taskId: string): Promise<StepSummary[]> {
    const items = (await this.queryPrefix(taskId, 'STEP#')).sort(byStart);
    return items.map((item) => fromItem<StepSummary>(item));
  }

  async listAttempts(taskId: string): Promise<StepAttempt[]> {
    const items = (await this.queryPrefix(taskId, 'ATTEMPT#')).sort(byStart);
    return items.map((item) => fromItem<StepAttempt>(item));
  }

  /** Ends an attempt that is still RUNNING; false when something closed it first. */
  private async closeAttempt(
    taskId: string,
    sk: string,
    end: Pick<StepAttempt, 'status' | 'error' | 'cause' | 'outputSummary'> & {
      endedAt: string;
      durationMs: number;
    },
  ): Promise<boolean> {
    const written = await this.updateTaskItem(taskId, sk, {
      UpdateExpression:
        'SET #status = :status, endedAt = :endedAt, durationMs = :durationMs, #error = :error, #cause = :cause, outputSummary = :summary',
      ConditionExpression: '#status = :running',
      ExpressionAttributeNames: NAMES,
      ExpressionAttributeValues: {
        ':status': end.status,
        ':endedAt': end.endedAt,
        ':durationMs': end.durationMs,
        ':error': end.error ?? null,
        ':cause': end.cause ?? null,
        ':summary': end.outputSummary ?? null,
        ':running': 'RUNNING',
      },
    });
    return written !== undefined;
  }

  /**
   * A conditional update of one item of a task (the task, a step, an attempt): the attributes it returns,
   * or undefined when its condition did not hold.
   */
  private updateTaskItem(
    taskId: string,
    sk: string,
    update: Omit<UpdateCommandInput, 'TableName' | 'Key'>,
  ): Promise<UpdateCommandOutput | undefined> {
    return conditionalWrite(
      this.client.send(
        new UpdateCommand({ TableName: this.tableName, Key: { pk: `TASK#${taskId}`, sk }, ...update }),
      ),
    );
  }

  /** Items of one task whose sort key starts with `prefix`, keys kept (callers sort and update by them). */
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
      items.push(...(page.Items ?? []));
      cursor = page.LastEvaluatedKey;
    } while (cursor);
    return items;
  }

  private async updateTask(
    taskId: string,
    update: string,
    condition: string,
    values: Record<string, unknown>,
  ): Promise<boolean> {
    const names: Record<string, string> = { '#status': 'status' };
    for (const field of ['output', 'error', 'cause']) {
      if (update.includes(`#${field}`)) names[`#${field}`] = field;
    }
    const written = await this.updateTaskItem(taskId, taskKey(taskId).sk, {
      UpdateExpression: update,
      ConditionExpression: `attribute_exists(pk) AND ${condition}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
    return written !== undefined;
  }
}
