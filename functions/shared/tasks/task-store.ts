// Tasks and their steps in the single table. Every write is a single-item conditional write (the local
// DynamoDB has no transactions), so each is safe to repeat:
//   TASK#<id> / TASK                      the task; at settle also its TaskMetrics and settledAt
//   TASK#<id> / TAG#<key>:<value>         one per tag pair of a tagged task, written before the task
//   TASK#<id> / STEP#<step>[#<i 5 digits>] per step (and map iteration): status, attempt count, first
//                                         start, and `history`, its attempts (no item per attempt)
//   IDEMPOTENCY#<org>#<key> / IDEMPOTENCY the task a client key started, and a hash of its request
//
// Indexes. Task sort keys end in `<createdAt>#<taskId>` (the order key), so each lists newest first and
// takes from/to as a key range (gsi8sk, the one sort key of gsi8-gsi12). gsi8-gsi12 project the list row
// (TASK_ROW_ATTRIBUTES: a page reads no task) and are written by create (all of them), the RUNNING write
// (the status partitions gsi10pk and gsi12pk, PENDING -> RUNNING) and settle (the status partitions, and
// the row's listStatus, endedAt, error). The rows of gsi8, gsi9 and gsi11 show RUNNING from the create
// (ACTIVE for a task created PENDING by an earlier version: the RUNNING write touches nothing of them) until
// the settle; the status indexes project the live status
// (task-index-keys.ts builds the keys, task-listing.ts reads them). The task item has no gsi1 or gsi2
// entry: those project ALL, so each task write would cost the whole item again. Once settled it is on gsi13,
// which projects what the aggregate folder reads (SETTLED_ROW_ATTRIBUTES, not the output).
//   gsi1  step:  ORG#<org>#STEPS#<RUNNING|RETRYING> / <since>#<taskId>#<stepKey>   open steps of an org
//   gsi2  step:  STEPS#<RUNNING|RETRYING>#<shard> / <since>#<org>#<taskId>#<stepKey>  open steps, all orgs
//   gsi13 task:  SETTLED#<10 s slot>#<shard % 4> / <taskId> once settled (the aggregate folder: settled-index.ts)
//   gsi8  ORG#<org>#WF#<workflowId>   / <order>          workflowId=
//         ORG#<org>#TAG#<k>:<v>       / <order>          tag=k:v in an org (tag items)
//   gsi9  ORG#<org>#AGENT#<agentId>   / <order>          agentId= (sparse: tasks with an agent)
//   gsi10 ORG#<org>#STATUS#<status>   / <order>          status= in an org; unfiltered, an org's statuses merged
//   gsi11 TASKS#<shard>               / <order>          every org (operators), 4 shards merged
//         TAG#<k>:<v>#<shard>         / <order>          tag=k:v across orgs (tag items)
//   gsi12 STATUS#<status>#<shard>     / <order>          status= across orgs; the reconciler's walk over
//                                                        PENDING and RUNNING tasks
// The step keys are sparse: present only while the step is RUNNING or RETRYING, removed by the write
// that ends that state. `since` is the open attempt's start (RUNNING) or the failed attempt's end.
// RETRYING and STUCK read them and, for STUCK, PENDING tasks older than the threshold from gsi10/gsi12.
import { createHash } from 'node:crypto';
import { DynamoApprovalStore } from '../approvals/approval-store';
import {
  type DocumentClient,
  GetCommand,
  QueryCommand,
  UpdateCommand,
  type UpdateCommandInput,
  type UpdateCommandOutput,
} from '../clients/table-commands';
import { batchGetItems, conditionalWrite, fromItem, putIfAbsent } from '../table-items';
import { settledIndexKeys } from '../telemetry/settled-index';
import type { TaskMetrics } from '../telemetry/task-metrics';
import {
  type AttemptRecord,
  type ClosingStatus,
  isTerminal,
  OPEN_STEP_STATUSES,
  type StepRecord,
  type StepStatus,
  type Task,
  type TaskStatus,
} from './task';
import {
  ACTIVE_STATUS_PARTITIONS,
  createdTaskIndexKeys,
  type IndexedStatus,
  indexedStatus,
  listShardOf,
  openStepsPartition,
  orgOpenStepsPartition,
  statusIndexKeys,
  tagItems,
} from './task-index-keys';
import type { TaskRow } from './task-row';

export interface Settlement {
  readonly status: TaskStatus;
  readonly at: string;
  /** When the execution started, as Step Functions reports it (the create's time stands until then). */
  readonly startedAt?: string;
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
  /** What the run measured (computed from the task and its steps just before this write). */
  readonly metrics?: TaskMetrics;
  /** The settle write's own clock time: it places the task in the settled index. */
  readonly settledAt: string;
}

/**
 * Where a walk over the active tasks stands: a partition (of ACTIVE_STATUS_PARTITIONS) and, within it,
 * DynamoDB's LastEvaluatedKey.
 */
export interface ActiveTasksPosition {
  readonly shard: number;
  readonly key?: Record<string, unknown>;
}

export interface IdempotencyClaim {
  readonly taskId: string;
  readonly requestHash?: string;
  /**
   * The task's createdAt, chosen by the request that claimed the key: a request that finishes the claim's
   * work (the claimant stopped, or is still writing) builds the same task, list rows and all.
   */
  readonly createdAt?: string;
}

/** Which step (or map iteration) of which task an attempt belongs to. */
export interface StepRef {
  readonly taskId: string;
  readonly orgId: string;
  readonly workflowId: string;
  readonly stepId: string;
  readonly stepType: string;
  readonly mapIndex?: number;
  /** The task's list row, kept on the step while it is open so the RETRYING/STUCK views read no task. */
  readonly taskRow?: TaskRow;
}

/** An attempt as it starts: its number is the step's attempt count read before it plus one. */
export interface AttemptStart {
  readonly step: StepRef;
  readonly attempt: number;
  readonly startedAt: string;
  readonly inputSummary?: string;
}

export interface AttemptEnd
  extends Pick<AttemptRecord, 'error' | 'cause' | 'outputSummary' | 'llm' | 'decidedBy' | 'decision'> {
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

/**
 * Whether a step's latest attempt ended after a cancel or a timeout stopped its execution (a Lambda's clock,
 * the step runner's or the API's, against Step Functions' stop date): its invocation was still running
 * then, and its result was discarded. Not asked of other ends, where the last step's end and the
 * execution's stop are the same moment, nor of an agent step, whose ends come from its worker's clock.
 */
const endedAfterStop = (step: StepRecord, closing: StepClosing): boolean => {
  const latest = step.history.at(-1);
  return (
    closing.status !== 'ABORTED' &&
    step.stepType !== 'agent' &&
    latest?.endedAt !== undefined &&
    latest.endedAt > closing.at
  );
};

/** A closing moment no earlier than `startedAt`: an attempt that started after its task's end ends at once. */
const notBefore = (at: string, startedAt: string | undefined) =>
  startedAt !== undefined && startedAt > at ? startedAt : at;

/** What an attempt's write reads of its task, and what closing its step needs of it. */
export type EndedTask = Pick<
  Task,
  'taskId' | 'orgId' | 'status' | 'createdAt' | 'updatedAt' | 'endedAt' | 'metrics'
>;
const ENDED_TASK_ATTRIBUTES = ['taskId', 'orgId', 'status', 'createdAt', 'updatedAt', 'endedAt', 'metrics'];
/** The projection of that read, built once (it follows every attempt's write); `status` and `metrics` are reserved words. */
const ENDED_TASK_PROJECTION = {
  ProjectionExpression: ENDED_TASK_ATTRIBUTES.map((_, i) => `#a${i}`).join(', '),
  ExpressionAttributeNames: Object.fromEntries(ENDED_TASK_ATTRIBUTES.map((name, i) => [`#a${i}`, name])),
};

/**
 * What an attempt's write did, and the task read after it: `endedTask` is the task when it had ended by
 * then. The attempt's invocation has not returned yet, so its execution ended without it (a cancel, a
 * timeout, a failed branch) and discarded what it did. The settle closes the open steps it reads, but this
 * write may have landed after that read, even after the settle: the caller closes the step (late-steps.ts).
 */
export type AttemptWrite =
  | { readonly recorded: false }
  | { readonly recorded: true; readonly endedTask?: EndedTask };

/** The task a status write is for: its org names the status partition the write moves it to. */
export type TaskRef = Pick<Task, 'taskId' | 'orgId'>;

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
  /** Moves a task to a terminal status once; false if it was already terminal. */
  settle(task: TaskRef, settlement: Settlement): Promise<boolean>;
  /** The step item (consistent read): its attempt count numbers the next attempt. */
  getStep(taskId: string, stepId: string, mapIndex?: number): Promise<StepRecord | undefined>;
  /** The task (any org) and one of its step items, read together (consistent): what a step attempt starts from. */
  getWithStep(taskId: string, stepId: string, mapIndex?: number): Promise<{ task?: Task; step?: StepRecord }>;
  /**
   * Records an attempt still running (written only once it has run RUNNING_RECORD_AFTER_MS); not recorded
   * when the step was closed with its task or another attempt got there first.
   */
  recordRunningAttempt(start: AttemptStart): Promise<AttemptWrite>;
  /**
   * Records an attempt's end: in the same write as its start when no RUNNING record was written
   * (`wasRecordedRunning` false), else over that record. A step or attempt closed meanwhile stays as it
   * was closed (not recorded). A failed attempt leaves the step RETRYING until the state machine decides.
   */
  recordFinishedAttempt(
    start: AttemptStart,
    end: AttemptEnd,
    wasRecordedRunning: boolean,
  ): Promise<AttemptWrite>;
  /** Records a step outcome decided by the state machine: SKIPPED by a `when`, or FAILED for good. */
  recordStepOutcome(step: StepRef, outcome: StepOutcome): Promise<void>;
  /**
   * Closes every step still open (RUNNING, RETRYING) and its open attempt, and expires the PENDING
   * approval of an approval step it closed; returns how many steps it closed. `read`: the task's steps
   * as the caller just read them (getWithSteps), spared a read of its own; each write is still
   * conditioned on its step being as read.
   */
  closeOpenSteps(taskId: string, closing: StepClosing, read?: readonly StepRecord[]): Promise<number>;
  /** Closes one step, open or not, as closeOpenSteps closes an open one: a step recorded after its task ended. */
  closeStep(step: StepRef, closing: StepClosing): Promise<boolean>;
  /**
   * Replaces an ended task's metrics with `metrics`, conditioned on the task being as read (its
   * updatedAt, which this write moves to `at`); false when it changed meanwhile.
   */
  replaceMetrics(
    task: Pick<Task, 'taskId' | 'status' | 'updatedAt'>,
    metrics: TaskMetrics,
    at: string,
  ): Promise<boolean>;
  /**
   * Brings a settled task's tag items level with it. The settle writes them after the task, so a crash in
   * between leaves them showing RUNNING; the settle's next attempt (a redelivered status event, or after a
   * cancel the execution's end) finds the task settled and calls this with the status each tag item shows
   * (getWithSteps reads them): only those behind are written.
   */
  levelTagRows(task: Task, shown: TagRowStatuses): Promise<void>;
  /** Steps with their attempts, in the order they first started (never-started ones by when recorded). */
  listSteps(taskId: string): Promise<StepRecord[]>;
  /**
   * The task (undefined when it does not exist or belongs to another org) and its steps as listSteps
   * orders them, with the status its tag items show, from one Query of the task's partition.
   */
  getWithSteps(
    orgId: string | undefined,
    taskId: string,
  ): Promise<{ task?: Task; steps: StepRecord[]; tagRows?: TagRowStatuses }>;
}

/** The list status each tag item of a task shows, by `<key>:<value>`. */
export type TagRowStatuses = Readonly<Record<string, unknown>>;

/**
 * A step's attempts rewritten as a whole: for `agent` steps, whose attempts workers report (claimed,
 * finished, lost) in any order, so each report reads the step and writes it back conditioned on it.
 */
export interface StepAttemptsChange {
  readonly history: readonly AttemptRecord[];
  readonly attempts: number;
  readonly status: StepStatus;
  readonly at: string;
  /** The open-step index the step goes in (RUNNING since the open attempt's start, RETRYING since the failure). */
  readonly open?: { readonly status: 'RUNNING' | 'RETRYING'; readonly since: string };
  readonly error?: string;
  readonly cause?: string;
  /** When the step ended (SUCCEEDED); absent, the step is not ended (any earlier end is cleared). */
  readonly endedAt?: string;
}

/** The step items of tasks whose attempts are reported from outside a state (DynamoTaskStore). */
export interface StepAttemptsStore {
  /**
   * Reads the step (consistent), asks `change` what to write, and writes it conditioned on the step as
   * read; reads again when another write got there first. Returns the change written, or undefined when
   * `change` wanted none or the step was closed with its task.
   */
  rewriteStepAttempts(
    step: StepRef,
    change: (current: StepRecord | undefined) => StepAttemptsChange | undefined,
  ): Promise<StepAttemptsChange | undefined>;
}

const taskKey = (taskId: string) => ({ pk: `TASK#${taskId}`, sk: 'TASK' });
const stepKey = (stepId: string, mapIndex?: number) =>
  mapIndex === undefined ? stepId : `${stepId}#${String(mapIndex).padStart(5, '0')}`;
const stepSk = (stepId: string, mapIndex?: number) => `STEP#${stepKey(stepId, mapIndex)}`;

/**
 * Active tasks are spread over shards by a hash of their id, so the index has no single hot partition
 * however many tasks start at once; the reconciler reads every shard.
 */
export const ACTIVE_SHARDS = 16;
export const activeShardOf = (taskId: string) =>
  (createHash('sha256').update(taskId).digest()[0] ?? 0) % ACTIVE_SHARDS;

const STATUS = '#status';
const NOT_CLOSED = `attribute_not_exists(${STATUS}) OR NOT (${STATUS} IN (:cancelled, :timedOut, :aborted))`;
const CLOSED = { ':cancelled': 'CANCELLED', ':timedOut': 'TIMED_OUT', ':aborted': 'ABORTED' };

/** Orders step items by their first start, then by key so equal times keep one order. */
function byStart(a: Record<string, unknown>, b: Record<string, unknown>): number {
  const when = (item: Record<string, unknown>) => String(item.startedAt ?? item.updatedAt ?? '');
  return when(a).localeCompare(when(b)) || String(a.sk).localeCompare(String(b.sk));
}

/** Attempts kept in a step's `history`; an attempt beyond is counted in `historyDropped` instead. */
export const MAX_ATTEMPT_HISTORY = 25;
const CLOSED_STATUSES: readonly StepStatus[] = ['CANCELLED', 'TIMED_OUT', 'ABORTED'];
const INDEX_ATTRIBUTES = ['gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'taskRow'];

/**
 * The sparse index keys of a step while it is open, for the RUNNING and RETRYING views: per org on gsi1,
 * across orgs on gsi2 (sharded like the listing indexes). `since` is the open attempt's start for RUNNING, the
 * failed attempt's end for RETRYING.
 */
export function openStepIndexKeys(step: StepRef, status: 'RUNNING' | 'RETRYING', since: string) {
  const key = stepKey(step.stepId, step.mapIndex);
  return {
    gsi1pk: orgOpenStepsPartition(step.orgId, status),
    gsi1sk: `${since}#${step.taskId}#${key}`,
    gsi2pk: openStepsPartition(status, listShardOf(step.taskId)),
    gsi2sk: `${since}#${step.orgId}#${step.taskId}#${key}`,
  };
}

/** The next attempt is written only over the count it was numbered from. */
const nextAttemptCondition = (attempt: number) =>
  attempt === 1
    ? { expression: 'attribute_not_exists(attempts) OR attempts = :previous', values: { ':previous': 0 } }
    : { expression: 'attempts = :previous', values: { ':previous': attempt - 1 } };

/** The attempt still open in a step's history (its latest, while RUNNING), if any. */
function openAttemptOf(step: StepRecord): AttemptRecord | undefined {
  const latest = step.history[step.attempts - 1];
  return latest?.attempt === step.attempts && latest.status === 'RUNNING' ? latest : undefined;
}

/**
 * The previous attempt closed ABORTED when the next one starts over it still RUNNING: its invocation was
 * lost (a crash, an out-of-memory kill, Lambda.ServiceException) and Step Functions retried the step.
 */
export function supersededAttempt(previous: AttemptRecord, next: AttemptStart): AttemptRecord {
  return {
    ...previous,
    status: 'ABORTED',
    endedAt: next.startedAt,
    durationMs: Math.max(0, Date.parse(next.startedAt) - Date.parse(previous.startedAt)),
    cause: `Superseded by attempt ${next.attempt}: the invocation of attempt ${previous.attempt} was lost before it recorded its end`,
  };
}

function toStepRecord(item: Record<string, unknown>): StepRecord {
  const step = fromItem<StepRecord>(item);
  return { ...step, attempts: step.attempts ?? 0, history: step.history ?? [] };
}

/** Drops undefined fields, so an attempt entry stores only what it has. */
const defined = <T extends object>(value: T): T =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;

/** One UpdateItem of a step item, built up clause by clause with only the names and values it uses. */
class StepWrite {
  private readonly sets: string[] = [];
  private readonly removes: string[] = [];
  private readonly names: Record<string, string> = {};
  private readonly values: Record<string, unknown> = {};

  constructor(
    readonly sk: string,
    private readonly step?: StepRef,
  ) {}

  /** A write that also (re)states the step's identity, so the first write of a step creates it whole. */
  static of(step: StepRef): StepWrite {
    return new StepWrite(stepSk(step.stepId, step.mapIndex), step).set({
      orgId: step.orgId,
      workflowId: step.workflowId,
      stepId: step.stepId,
      stepType: step.stepType,
      ...(step.mapIndex !== undefined && { mapIndex: step.mapIndex }),
    });
  }

  set(attributes: Record<string, unknown>): this {
    for (const [name, value] of Object.entries(attributes)) {
      this.names[`#${name}`] = name;
      this.values[`:${name}`] = value;
      this.sets.push(`#${name} = :${name}`);
    }
    return this;
  }

  firstStart(at: string): this {
    this.names['#startedAt'] = 'startedAt';
    this.values[':firstStart'] = at;
    this.sets.push('#startedAt = if_not_exists(#startedAt, :firstStart)');
    return this;
  }

  appendAttempt(attempt: number, entry: AttemptRecord): this {
    if (attempt > MAX_ATTEMPT_HISTORY) return this.countDropped();
    this.names['#history'] = 'history';
    this.values[':entry'] = [defined(entry)];
    this.values[':none'] = [];
    this.sets.push('#history = list_append(if_not_exists(#history, :none), :entry)');
    return this;
  }

  replaceAttempt(attempt: number, entry: AttemptRecord): this {
    if (attempt > MAX_ATTEMPT_HISTORY) return this;
    this.names['#history'] = 'history';
    this.values[`:replaced${attempt}`] = defined(entry);
    this.sets.push(`#history[${attempt - 1}] = :replaced${attempt}`);
    return this;
  }

  /**
   * Closes the previous attempt in a write that also appends the next one. DynamoDB refuses two
   * overlapping paths (`history` and `history[i]`) in one update, so the append starts from the history
   * as read, with the previous attempt replaced; the caller conditions the write on the step as read.
   */
  supersede(read: readonly AttemptRecord[], closed: AttemptRecord): this {
    if (closed.attempt > MAX_ATTEMPT_HISTORY) return this;
    const append = this.sets.findIndex((clause) => clause.startsWith('#history = list_append('));
    if (append < 0) return this.replaceAttempt(closed.attempt, closed);
    this.values[':readHistory'] = read.map((entry, index) =>
      index === closed.attempt - 1 ? defined(closed) : entry,
    );
    this.sets[append] = '#history = list_append(:readHistory, :entry)';
    delete this.values[':none'];
    return this;
  }

  remove(...attributes: string[]): this {
    for (const name of attributes) {
      this.names[`#${name}`] = name;
      this.removes.push(`#${name}`);
    }
    return this;
  }

  /** Puts the step in the open-step index of its status, with the task's row if known, or takes it out. */
  index(status: 'RUNNING' | 'RETRYING' | undefined, since?: string): this {
    if (!status || !this.step || !since) return this.remove(...INDEX_ATTRIBUTES);
    const { taskRow } = this.step;
    return this.set({ ...openStepIndexKeys(this.step, status, since), ...(taskRow && { taskRow }) });
  }

  toUpdate(condition: string, conditionValues: Record<string, unknown>) {
    return {
      UpdateExpression: `SET ${this.sets.join(', ')}${this.removes.length > 0 ? ` REMOVE ${this.removes.join(', ')}` : ''}`,
      ConditionExpression: condition,
      ExpressionAttributeNames: { ...this.names, '#status': 'status' },
      ExpressionAttributeValues: { ...this.values, ...conditionValues },
    };
  }

  private countDropped(): this {
    this.names['#historyDropped'] = 'historyDropped';
    this.values[':zero'] = 0;
    this.values[':one'] = 1;
    this.sets.push('#historyDropped = if_not_exists(#historyDropped, :zero) + :one');
    return this;
  }
}

export class DynamoTaskStore implements TaskStore, StepAttemptsStore {
  constructor(
    private readonly client: DocumentClient,
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
      createdAt: claim.createdAt ?? new Date().toISOString(),
    });
    if (claimed) return undefined;
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key, ConsistentRead: true }),
    );
    return {
      taskId: String(Item?.taskId),
      requestHash: Item?.requestHash as string | undefined,
      createdAt: Item?.createdAt as string | undefined,
    };
  }

  async create(task: Task): Promise<boolean> {
    // Tags first: a tag item whose task was never written is skipped by the listing, never wrong. One
    // already there is kept: written by a request racing this one for the same idempotency key (the same
    // rows: startTask takes createdAt from the claim), whose task may have settled since.
    for (const item of tagItems(task)) await putIfAbsent(this.client, this.tableName, item);
    return putIfAbsent(this.client, this.tableName, {
      ...taskKey(task.taskId),
      type: 'Task',
      ...task,
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
    // The PENDING and RUNNING partitions of gsi12 hold the list row only: the tasks are read whole.
    const { Items = [], LastEvaluatedKey } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'gsi12',
        KeyConditionExpression: 'gsi12pk = :active AND gsi8sk < :before',
        ExpressionAttributeValues: {
          ':active': ACTIVE_STATUS_PARTITIONS[position.shard],
          ':before': before,
        },
        Limit: 100,
        ExclusiveStartKey: position.key,
      }),
    );
    const next = LastEvaluatedKey
      ? { shard: position.shard, key: LastEvaluatedKey }
      : position.shard + 1 < ACTIVE_STATUS_PARTITIONS.length
        ? { shard: position.shard + 1 }
        : undefined;
    const tasks = await batchGetItems(
      this.client,
      this.tableName,
      Items.map((item) => taskKey(String(item.taskId))),
    );
    return { items: tasks.map((item) => fromItem<Task>(item)), next };
  }

  async settle(task: TaskRef, settlement: Settlement): Promise<boolean> {
    const { taskId } = task;
    const keys = statusIndexKeys(task, settlement.status);
    const listStatus = indexedStatus(settlement.status);
    const values: Record<string, unknown> = {
      ':status': settlement.status,
      ':at': settlement.at,
      ':pending': 'PENDING',
      ':running': 'RUNNING',
      ':gsi10pk': keys.gsi10pk,
      ':gsi12pk': keys.gsi12pk,
      ':listStatus': listStatus,
    };
    const settled = settledIndexKeys(taskId, Date.parse(settlement.settledAt));
    values[':settledAt'] = settlement.settledAt;
    values[':gsi13pk'] = settled.gsi13pk;
    values[':gsi13sk'] = settled.gsi13sk;
    const sets = [
      '#status = :status',
      'gsi10pk = :gsi10pk',
      'gsi12pk = :gsi12pk',
      'listStatus = :listStatus',
      'endedAt = :at',
      'updatedAt = :at',
      'settledAt = :settledAt',
      'gsi13pk = :gsi13pk',
      'gsi13sk = :gsi13sk',
    ];
    if (settlement.startedAt) {
      values[':startedAt'] = settlement.startedAt;
      sets.push('startedAt = :startedAt');
    }
    for (const field of ['output', 'error', 'cause', 'metrics'] as const) {
      if (settlement[field] === undefined) continue;
      values[`:${field}`] = settlement[field];
      sets.push(`#${field} = :${field}`);
    }
    const written = await this.updateTaskItem(taskId, taskKey(taskId).sk, {
      UpdateExpression: `SET ${sets.join(', ')}`,
      ConditionExpression: 'attribute_exists(pk) AND #status IN (:pending, :running)',
      ExpressionAttributeNames: {
        '#status': 'status',
        ...Object.fromEntries(
          (['output', 'error', 'cause', 'metrics'] as const)
            .filter((field) => settlement[field] !== undefined)
            .map((field) => [`#${field}`, field]),
        ),
      },
      ExpressionAttributeValues: values,
      ReturnValues: 'ALL_NEW',
    });
    if (!written) return false;
    const tags = (written.Attributes?.tags ?? {}) as Record<string, string>;
    await this.settleTagRows(taskId, Object.entries(tags), {
      listStatus,
      endedAt: settlement.at,
      error: settlement.error,
    });
    return true;
  }

  /** A tagged task's tag items carry its list row: their status follows the task's. */
  private async settleTagRows(
    taskId: string,
    pairs: readonly (readonly [string, string])[],
    row: { listStatus: IndexedStatus; endedAt: string; error?: string },
  ): Promise<void> {
    for (const [key, value] of pairs) {
      await conditionalWrite(
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { pk: `TASK#${taskId}`, sk: `TAG#${key}:${value}` },
            UpdateExpression: `SET listStatus = :listStatus, endedAt = :at${row.error !== undefined ? ', #error = :error' : ''}`,
            ConditionExpression: 'attribute_exists(pk)',
            ...(row.error !== undefined && { ExpressionAttributeNames: { '#error': 'error' } }),
            ExpressionAttributeValues: {
              ':listStatus': row.listStatus,
              ':at': row.endedAt,
              ...(row.error !== undefined && { ':error': row.error }),
            },
          }),
        ),
      );
    }
  }

  async levelTagRows(task: Task, shown: TagRowStatuses): Promise<void> {
    if (!isTerminal(task.status)) return;
    const behind = Object.entries(task.tags ?? {}).filter(([key, value]) => {
      const status = shown[`${key}:${value}`];
      return status !== undefined && status !== task.status;
    });
    await this.settleTagRows(task.taskId, behind, {
      listStatus: task.status,
      endedAt: task.endedAt ?? task.updatedAt,
      error: task.error,
    });
  }

  async getStep(taskId: string, stepId: string, mapIndex?: number): Promise<StepRecord | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: `TASK#${taskId}`, sk: stepSk(stepId, mapIndex) },
        ConsistentRead: true,
      }),
    );
    return Item ? toStepRecord(Item) : undefined;
  }

  async getWithStep(
    taskId: string,
    stepId: string,
    mapIndex?: number,
  ): Promise<{ task?: Task; step?: StepRecord }> {
    // One BatchGetItem (consistent) for both items, where two GetItems cost two requests.
    const sk = stepSk(stepId, mapIndex);
    const items = await batchGetItems(this.client, this.tableName, [
      taskKey(taskId),
      { pk: `TASK#${taskId}`, sk },
    ]);
    const taskItem = items.find((item) => item.sk === 'TASK');
    const stepItem = items.find((item) => item.sk === sk);
    return {
      ...(taskItem && { task: fromItem<Task>(taskItem) }),
      ...(stepItem && { step: toStepRecord(stepItem) }),
    };
  }

  async recordRunningAttempt(start: AttemptStart): Promise<AttemptWrite> {
    const entry: AttemptRecord = {
      attempt: start.attempt,
      status: 'RUNNING',
      startedAt: start.startedAt,
      inputSummary: start.inputSummary,
    };
    const written = await this.writeNextAttempt(start, () =>
      StepWrite.of(start.step)
        .set({ status: 'RUNNING', attempts: start.attempt, updatedAt: start.startedAt })
        .firstStart(start.startedAt)
        .appendAttempt(start.attempt, entry)
        .remove('error', 'cause')
        // A step waiting for a person's approval is not stuck, however long it waits: not in the STUCK view.
        .index(start.step.stepType === 'approval' ? undefined : 'RUNNING', start.startedAt),
    );
    return this.recordedAttempt(start.step.taskId, written);
  }

  /** An attempt's write, with the task read after it (AttemptWrite): what closing needs, not its input. */
  private async recordedAttempt(taskId: string, written: boolean): Promise<AttemptWrite> {
    if (!written) return { recorded: false };
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: taskKey(taskId),
        ConsistentRead: true,
        ...ENDED_TASK_PROJECTION,
      }),
    );
    const task = Item && fromItem<EndedTask>(Item);
    return task && isTerminal(task.status) ? { recorded: true, endedTask: task } : { recorded: true };
  }

  async recordFinishedAttempt(
    start: AttemptStart,
    end: AttemptEnd,
    wasRecordedRunning: boolean,
  ): Promise<AttemptWrite> {
    const succeeded = end.status === 'SUCCEEDED';
    const entry: AttemptRecord = {
      attempt: start.attempt,
      startedAt: start.startedAt,
      inputSummary: start.inputSummary,
      ...end,
    };
    const ended = () => {
      const write = StepWrite.of(start.step).set({
        status: succeeded ? 'SUCCEEDED' : 'RETRYING',
        attempts: start.attempt,
        updatedAt: end.endedAt,
        error: end.error ?? null,
        cause: end.cause ?? null,
        ...(succeeded && { endedAt: end.endedAt }),
      });
      // A rejected approval is not retried (its Retry covers only Lambda service errors): like its wait,
      // it stays out of the open-step index, which lists steps waiting for a next attempt.
      const retried = !succeeded && start.step.stepType !== 'approval';
      return retried ? write.index('RETRYING', end.endedAt) : write.index(undefined);
    };
    if (!wasRecordedRunning) {
      const written = await this.writeNextAttempt(start, () =>
        ended().firstStart(start.startedAt).appendAttempt(start.attempt, entry),
      );
      return this.recordedAttempt(start.step.taskId, written);
    }
    // Over its own RUNNING record, which sits at index attempt - 1 (each attempt appends exactly once).
    const write = ended().replaceAttempt(start.attempt, entry);
    const written = await this.writeStep(start.step.taskId, write, {
      expression: `attempts = :attempt AND ${STATUS} = :running`,
      values: { ':attempt': start.attempt, ':running': 'RUNNING' },
    });
    return this.recordedAttempt(start.step.taskId, written);
  }

  async recordStepOutcome(step: StepRef, outcome: StepOutcome): Promise<void> {
    // Read, then write conditionally on what was read: the write closes the open attempt it saw (a step
    // that failed by timing out has one that never reported its end). A concurrent write means read again.
    for (let tries = 0; tries < 3; tries++) {
      const current = await this.getStep(step.taskId, step.stepId, step.mapIndex);
      if (current && CLOSED_STATUSES.includes(current.status)) return;
      const write = StepWrite.of(step)
        .set({
          status: outcome.status,
          updatedAt: outcome.at,
          endedAt: outcome.at,
          error: outcome.error ?? null,
          cause: outcome.cause ?? null,
          attempts: current?.attempts ?? 0,
        })
        .index(undefined);
      const open = current && openAttemptOf(current);
      if (open && outcome.status === 'FAILED') {
        write.replaceAttempt(open.attempt, {
          ...open,
          status: 'FAILED',
          endedAt: outcome.at,
          durationMs: Date.parse(outcome.at) - Date.parse(open.startedAt),
          error: outcome.error,
          cause: outcome.cause,
        });
      }
      const written = await this.writeStep(
        step.taskId,
        write,
        current
          ? {
              expression: `attempts = :read AND ${STATUS} = :readStatus`,
              values: { ':read': current.attempts, ':readStatus': current.status },
            }
          : { expression: 'attribute_not_exists(pk)', values: {} },
      );
      if (written) return;
    }
  }

  async closeOpenSteps(taskId: string, closing: StepClosing, read?: readonly StepRecord[]): Promise<number> {
    const steps =
      read?.map((step) => ({ sk: stepSk(step.stepId, step.mapIndex), step })) ??
      (await this.queryPrefix(taskId, 'STEP#')).map((item) => ({
        sk: String(item.sk),
        step: toStepRecord(item),
      }));
    let closed = 0;
    let approvalClosed = false;
    for (const { sk, step } of steps) {
      if (await this.closeOpenStep(taskId, sk, step, closing)) {
        closed++;
        approvalClosed ||= step.stepType === 'approval';
      }
    }
    // An approval step still waiting had a PENDING approval: nobody can decide it any more.
    if (approvalClosed) {
      await new DynamoApprovalStore(this.client, this.tableName).expirePending(taskId, closing.at);
    }
    return closed;
  }

  async closeStep(step: StepRef, closing: StepClosing): Promise<boolean> {
    const sk = stepSk(step.stepId, step.mapIndex);
    return this.closeOpenStep(step.taskId, sk, await this.getStepBySk(step.taskId, sk), closing, true);
  }

  async replaceMetrics(
    task: Pick<Task, 'taskId' | 'status' | 'updatedAt'>,
    metrics: TaskMetrics,
    at: string,
  ): Promise<boolean> {
    const written = await this.updateTaskItem(task.taskId, taskKey(task.taskId).sk, {
      UpdateExpression: 'SET #metrics = :metrics, updatedAt = :at',
      ConditionExpression: '#status = :status AND updatedAt = :readUpdatedAt',
      ExpressionAttributeNames: { '#status': 'status', '#metrics': 'metrics' },
      ExpressionAttributeValues: {
        ':metrics': metrics,
        ':at': at,
        ':status': task.status,
        ':readUpdatedAt': task.updatedAt,
      },
    });
    return written !== undefined;
  }

  /**
   * Closes one step as read, conditioned on it being still as read (status, attempt count, last update):
   * an attempt that ended between the read and this write is kept, and what is still open read again.
   * Closed too, with its latest attempt: a step whose latest attempt ended after a cancel or a timeout
   * stopped the execution (which discarded its result), and any step with `evenIfEnded` (closeStep).
   */
  private async closeOpenStep(
    taskId: string,
    sk: string,
    read: StepRecord | undefined,
    closing: StepClosing,
    evenIfEnded = false,
  ): Promise<boolean> {
    let step = read;
    for (let tries = 0; tries < 3; tries++) {
      if (!step || step.status === closing.status) return false;
      const last = step.history.length - 1;
      const closesLatest = evenIfEnded || endedAfterStop(step, closing);
      if (!closesLatest && !OPEN_STEP_STATUSES.includes(step.status)) return false;
      const stepEnd = notBefore(closing.at, step.history[last]?.startedAt);
      const write = new StepWrite(sk)
        .set({ status: closing.status, endedAt: stepEnd, updatedAt: stepEnd, cause: closing.cause })
        .index(undefined);
      // Every attempt still RUNNING (the latest, and any earlier one whose invocation was lost), and the
      // latest whatever its status when it closes. Never ended before it started.
      step.history.forEach((attempt, index) => {
        if (attempt.attempt !== index + 1) return;
        if (attempt.status !== 'RUNNING' && !(closesLatest && index === last)) return;
        const endedAt = notBefore(closing.at, attempt.startedAt);
        write.replaceAttempt(attempt.attempt, {
          ...attempt,
          status: closing.status,
          endedAt,
          durationMs: Date.parse(endedAt) - Date.parse(attempt.startedAt),
          cause: closing.cause,
        });
      });
      const written = await this.updateTaskItem(
        taskId,
        sk,
        write.toUpdate(`${STATUS} = :readStatus AND attempts = :read AND updatedAt = :readUpdatedAt`, {
          ':readStatus': step.status,
          ':read': step.attempts,
          ':readUpdatedAt': step.updatedAt,
        }),
      );
      if (written) return true;
      step = await this.getStepBySk(taskId, sk);
    }
    return false;
  }

  /**
   * Writes the next attempt over the count it was numbered from. Should the previous attempt still be
   * RUNNING (its invocation lost, the step retried), the same write closes it ABORTED. The first try
   * assumes it is not (the normal path: no read, one write); a refused condition reads the step and
   * tries again with what it read.
   */
  private async writeNextAttempt(start: AttemptStart, build: () => StepWrite): Promise<boolean> {
    const { taskId, stepId, mapIndex } = start.step;
    const base = nextAttemptCondition(start.attempt);
    if (start.attempt === 1) return this.writeStep(taskId, build(), base);
    type Condition = { expression: string; values: Record<string, unknown> };
    const notRunning: Condition = {
      expression: `${base.expression} AND NOT ${STATUS} = :previousRunning`,
      values: { ...base.values, ':previousRunning': 'RUNNING' },
    };
    let condition: Condition = notRunning;
    for (let tries = 0; tries < 3; tries++) {
      const write = build();
      if (tries > 0) {
        const current = await this.getStep(taskId, stepId, mapIndex);
        if (!current || current.attempts !== start.attempt - 1 || CLOSED_STATUSES.includes(current.status)) {
          return false;
        }
        condition = notRunning;
        if (current.status === 'RUNNING') {
          const previous = openAttemptOf(current);
          if (previous) write.supersede(current.history, supersededAttempt(previous, start));
          condition = {
            expression: `${base.expression} AND ${STATUS} = :previousRunning AND updatedAt = :readUpdatedAt`,
            values: { ...base.values, ':previousRunning': 'RUNNING', ':readUpdatedAt': current.updatedAt },
          };
        }
      }
      if (await this.writeStep(taskId, write, condition)) return true;
    }
    return false;
  }

  async rewriteStepAttempts(
    step: StepRef,
    change: (current: StepRecord | undefined) => StepAttemptsChange | undefined,
  ): Promise<StepAttemptsChange | undefined> {
    for (let tries = 0; tries < 5; tries++) {
      const current = await this.getStep(step.taskId, step.stepId, step.mapIndex);
      if (current && CLOSED_STATUSES.includes(current.status)) return undefined;
      const next = change(current);
      if (!next) return undefined;
      const kept = next.history.filter((entry) => entry.attempt <= MAX_ATTEMPT_HISTORY).map(defined);
      const write = StepWrite.of(step)
        .set({
          status: next.status,
          attempts: next.attempts,
          updatedAt: next.at,
          history: kept,
          error: next.error ?? null,
          cause: next.cause ?? null,
          ...(next.attempts > MAX_ATTEMPT_HISTORY && {
            historyDropped: next.attempts - MAX_ATTEMPT_HISTORY,
          }),
          ...(next.endedAt && { endedAt: next.endedAt }),
        })
        .index(next.open?.status, next.open?.since);
      // A step that runs again (an earlier success never reached Step Functions) is no longer ended.
      if (!next.endedAt) write.remove('endedAt');
      const firstStart = kept[0]?.startedAt;
      if (firstStart) write.firstStart(firstStart);
      const written = await this.writeStep(
        step.taskId,
        write,
        current
          ? {
              expression: `attempts = :read AND ${STATUS} = :readStatus AND updatedAt = :readUpdatedAt`,
              values: {
                ':read': current.attempts,
                ':readStatus': current.status,
                ':readUpdatedAt': current.updatedAt,
              },
            }
          : { expression: 'attribute_not_exists(pk)', values: {} },
      );
      if (written) return next;
    }
    return undefined;
  }

  private async getStepBySk(taskId: string, sk: string): Promise<StepRecord | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: `TASK#${taskId}`, sk }, ConsistentRead: true }),
    );
    return Item ? toStepRecord(Item) : undefined;
  }

  async listSteps(taskId: string): Promise<StepRecord[]> {
    return (await this.queryPrefix(taskId, 'STEP#')).sort(byStart).map(toStepRecord);
  }

  async getWithSteps(
    orgId: string | undefined,
    taskId: string,
  ): Promise<{ task?: Task; steps: StepRecord[]; tagRows?: TagRowStatuses }> {
    // One Query from the step items (STEP#...) through the tag items (TAG#...) to the task item (sk TASK).
    // The range leaves out the approval items (APPROVAL#..., sorted first): they hold task tokens, which
    // must not reach the detail, timeline or events code.
    const items = await this.queryTaskItems({
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :first AND :last',
      ExpressionAttributeValues: { ':pk': `TASK#${taskId}`, ':first': 'STEP#', ':last': 'TASK' },
    });
    const item = items.find((candidate) => candidate.sk === 'TASK');
    const task = item && fromItem<Task>(item);
    if (!task || (orgId !== undefined && task.orgId !== orgId)) return { steps: [] };
    const steps = items.filter((candidate) => String(candidate.sk).startsWith('STEP#'));
    const tagRows = Object.fromEntries(
      items.flatMap(({ sk, listStatus }) =>
        String(sk).startsWith('TAG#') ? [[String(sk).slice('TAG#'.length), listStatus]] : [],
      ),
    );
    return { task, steps: steps.sort(byStart).map(toStepRecord), tagRows };
  }

  private async writeStep(
    taskId: string,
    write: StepWrite,
    condition: { expression: string; values: Record<string, unknown> },
  ): Promise<boolean> {
    const written = await this.updateTaskItem(
      taskId,
      write.sk,
      write.toUpdate(`(${condition.expression}) AND (${NOT_CLOSED})`, { ...condition.values, ...CLOSED }),
    );
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
  private queryPrefix(taskId: string, prefix: string): Promise<Record<string, unknown>[]> {
    return this.queryTaskItems({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': `TASK#${taskId}`, ':prefix': prefix },
    });
  }

  /** Every page of one key condition on a task's partition (consistent). */
  private async queryTaskItems(keyCondition: {
    KeyConditionExpression: string;
    ExpressionAttributeValues: Record<string, unknown>;
  }): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let cursor: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          ...keyCondition,
          ConsistentRead: true,
          ExclusiveStartKey: cursor,
        }),
      );
      items.push(...(page.Items ?? []));
      cursor = page.LastEvaluatedKey;
    } while (cursor);
    return items;
  }
}
