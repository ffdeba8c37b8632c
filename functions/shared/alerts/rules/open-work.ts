// What the stuck and keeps-retrying rules read: the open-step entries across orgs (gsi2
// `STEPS#<RUNNING|RETRYING>#<shard>` / `<since>#<org>#<taskId>#<stepKey>`, written by the step recorder,
// task-store.ts) and the PENDING tasks (gsi12 `STATUS#PENDING#<shard>` / `<createdAt>#<taskId>`), oldest
// first, each read capped per run (a capped read says so, and the rule leaves its resolves for a full one).
import { type DocumentClient, QueryCommand } from '../../clients/table-commands';
import { projectionOf } from '../../table-items';
import { LIST_SHARDS, statusPartition } from '../../tasks/task-index-keys';

export type OpenStepState = 'RUNNING' | 'RETRYING';

export interface OpenStep {
  readonly state: OpenStepState;
  readonly orgId: string;
  readonly workflowId: string;
  readonly workflowVersion?: number;
  readonly taskId: string;
  readonly stepId: string;
  readonly stepType: string;
  readonly mapIndex?: number;
  /** The step and map iteration, as in the step's key (`<stepId>` or `<stepId>#<00003>`). */
  readonly stepKey: string;
  /** When it entered its state: the open attempt's start (RUNNING), the failed attempt's end (RETRYING). */
  readonly since: string;
  readonly attempts: number;
  /** The last failed attempt's error and cause (keeps retrying only). */
  readonly lastError?: { readonly error?: string; readonly cause?: string };
}

export interface PendingTask {
  readonly orgId: string;
  readonly workflowId: string;
  readonly taskId: string;
  readonly createdAt: string;
}

export interface Capped<T> {
  readonly items: T[];
  /** The cap stopped the read: more entries match. */
  readonly truncated: boolean;
}

export interface OpenWork {
  /** Open steps of a state that entered it before `before`, with at least `minAttempts` attempts. */
  openSteps(
    state: OpenStepState,
    filter: { before: string; minAttempts?: number },
  ): Promise<Capped<OpenStep>>;
  /** Tasks PENDING since before `before`. */
  pendingTasks(before: string): Promise<Capped<PendingTask>>;
}

/** Entries one read examines per shard at most (four shards per read). */
export const OPEN_WORK_CAP_PER_SHARD = 500;

interface HistoryEntry {
  readonly status?: string;
  readonly error?: string;
  readonly cause?: string;
}

export class DynamoOpenWork implements OpenWork {
  constructor(
    private readonly client: DocumentClient,
    private readonly tableName: string,
    private readonly capPerShard = OPEN_WORK_CAP_PER_SHARD,
  ) {}

  async openSteps(
    state: OpenStepState,
    filter: { before: string; minAttempts?: number },
  ): Promise<Capped<OpenStep>> {
    const attributes = [
      'pk',
      'gsi2sk',
      'orgId',
      'workflowId',
      'stepId',
      'stepType',
      'mapIndex',
      'attempts',
      'taskRow',
    ];
    if (filter.minAttempts !== undefined) attributes.push('history', 'error', 'cause');
    const reads = await Promise.all(
      Array.from({ length: LIST_SHARDS }, (_, shard) =>
        this.read(
          'gsi2',
          'gsi2pk',
          'gsi2sk',
          `STEPS#${state}#${shard}`,
          filter.before,
          attributes,
          filter.minAttempts,
        ),
      ),
    );
    const items = reads.flatMap((read) => read.items).map((item) => openStepOf(state, item));
    return { items, truncated: reads.some((read) => read.truncated) };
  }

  async pendingTasks(before: string): Promise<Capped<PendingTask>> {
    const reads = await Promise.all(
      Array.from({ length: LIST_SHARDS }, (_, shard) =>
        this.read('gsi12', 'gsi12pk', 'gsi8sk', statusPartition('PENDING', shard), before, [
          'taskId',
          'orgId',
          'workflowId',
          'createdAt',
        ]),
      ),
    );
    const items = reads.flatMap((read) =>
      read.items.map((item) => ({
        orgId: String(item.orgId),
        workflowId: String(item.workflowId),
        taskId: String(item.taskId),
        createdAt: String(item.createdAt),
      })),
    );
    return { items, truncated: reads.some((read) => read.truncated) };
  }

  /** One partition's entries sorting before `before`, oldest first, up to the cap. */
  private async read(
    indexName: string,
    partitionKey: string,
    sortKey: string,
    partition: string,
    before: string,
    attributes: readonly string[],
    minAttempts?: number,
  ): Promise<Capped<Record<string, unknown>>> {
    const projection = projectionOf(attributes);
    const items: Record<string, unknown>[] = [];
    let examined = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: indexName,
          KeyConditionExpression: '#pk = :pk AND #sk < :before',
          ...(minAttempts !== undefined && { FilterExpression: '#attempts >= :min' }),
          ProjectionExpression: projection.ProjectionExpression,
          ExpressionAttributeNames: {
            '#pk': partitionKey,
            '#sk': sortKey,
            ...(minAttempts !== undefined && { '#attempts': 'attempts' }),
            ...projection.ExpressionAttributeNames,
          },
          ExpressionAttributeValues: {
            ':pk': partition,
            ':before': before,
            ...(minAttempts !== undefined && { ':min': minAttempts }),
          },
          Limit: this.capPerShard - examined,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(page.Items ?? []));
      examined += page.ScannedCount ?? page.Items?.length ?? 0;
      startKey = page.LastEvaluatedKey;
    } while (startKey && examined < this.capPerShard);
    return { items, truncated: startKey !== undefined };
  }
}

function openStepOf(state: OpenStepState, item: Record<string, unknown>): OpenStep {
  // gsi2sk: <since>#<orgId>#<taskId>#<stepKey>; the since is an ISO time (no `#`), the task id a UUID.
  const sortKey = String(item.gsi2sk);
  const since = sortKey.slice(0, sortKey.indexOf('#'));
  const taskId = String(item.pk).replace(/^TASK#/, '');
  const stepKey = sortKey.slice(sortKey.indexOf(`#${taskId}#`) + taskId.length + 2);
  const taskRow = item.taskRow as { workflowVersion?: number } | undefined;
  const history = (item.history ?? []) as HistoryEntry[];
  const lastFailed = [...history].reverse().find((attempt) => attempt.error !== undefined);
  const lastError =
    typeof item.error === 'string'
      ? { error: item.error, ...(typeof item.cause === 'string' && { cause: item.cause }) }
      : lastFailed && {
          error: lastFailed.error,
          ...(lastFailed.cause !== undefined && { cause: lastFailed.cause }),
        };
  return {
    state,
    orgId: String(item.orgId),
    workflowId: String(item.workflowId),
    ...(typeof taskRow?.workflowVersion === 'number' && { workflowVersion: taskRow.workflowVersion }),
    taskId,
    stepId: String(item.stepId),
    stepType: String(item.stepType),
    ...(typeof item.mapIndex === 'number' && { mapIndex: item.mapIndex }),
    stepKey,
    since,
    attempts: Number(item.attempts ?? 0),
    ...(lastError && { lastError }),
  };
}
