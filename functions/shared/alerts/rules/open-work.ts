// What the stuck and keeps-retrying rules read: the open-step entries across orgs (gsi2
// `STEPS#<RUNNING|RETRYING>#<shard>` / `<since>#<org>#<taskId>#<stepKey>`, written by the step recorder,
// task-store.ts) and the PENDING tasks (gsi12 `STATUS#PENDING#<shard>` / `<createdAt>#<taskId>`), each
// read capped per run (a capped read says so, and the rule leaves its resolves for a full one). A capped
// read takes both ends of the partition: the oldest entries (the longest stuck) and the newest (what just
// crossed a threshold), so a pile of one org's open steps cannot hide another org's new ones.
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

  /**
   * One partition's entries sorting before `before`, oldest first, up to the cap: half of it from the
   * oldest end; if more remain, the other half from the newest end down to where the first half stopped.
   */
  private async read(
    indexName: string,
    partitionKey: string,
    sortKey: string,
    partition: string,
    before: string,
    attributes: readonly string[],
    minAttempts?: number,
  ): Promise<Capped<Record<string, unknown>>> {
    const query = { indexName, partitionKey, sortKey, partition, attributes, minAttempts };
    const half = Math.floor(this.capPerShard / 2);
    const oldest = await this.walk(query, { below: before }, this.capPerShard - half, true);
    if (oldest.stoppedAt === undefined) return { items: oldest.items, truncated: false };
    if (half === 0) return { items: oldest.items, truncated: true };
    // The sort keys are unique: the entry the first half stopped at bounds the second (inclusive both ends,
    // and no sort key equals `before`, an ISO time without the `#<...>` every key goes on with).
    const newest = await this.walk(query, { from: oldest.stoppedAt, below: before }, half, false);
    const fresh = newest.items.filter((item) => String(item[sortKey]) > (oldest.stoppedAt as string));
    // Stopped at the first half's last entry (the lower bound): the halves met.
    const met = newest.stoppedAt === undefined || newest.stoppedAt === oldest.stoppedAt;
    return { items: [...oldest.items, ...fresh.reverse()], truncated: !met };
  }

  /**
   * Reads entries in one direction until `cap` were examined (filtered ones count: DynamoDB reads them) or
   * none remain; `stoppedAt` is the sort key of the last one examined when some may remain.
   */
  private async walk(
    query: {
      readonly indexName: string;
      readonly partitionKey: string;
      readonly sortKey: string;
      readonly partition: string;
      readonly attributes: readonly string[];
      readonly minAttempts?: number;
    },
    range: { readonly from?: string; readonly below: string },
    cap: number,
    forward: boolean,
  ): Promise<{ items: Record<string, unknown>[]; stoppedAt?: string }> {
    const { minAttempts } = query;
    // The sort key too: where a walk stopped is read from it.
    const projection = projectionOf([...new Set([...query.attributes, query.sortKey])]);
    const items: Record<string, unknown>[] = [];
    let examined = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: query.indexName,
          KeyConditionExpression:
            range.from === undefined
              ? '#pk = :pk AND #sk < :before'
              : '#pk = :pk AND #sk BETWEEN :from AND :before',
          ...(minAttempts !== undefined && { FilterExpression: '#attempts >= :min' }),
          ProjectionExpression: projection.ProjectionExpression,
          ExpressionAttributeNames: {
            '#pk': query.partitionKey,
            '#sk': query.sortKey,
            ...(minAttempts !== undefined && { '#attempts': 'attempts' }),
            ...projection.ExpressionAttributeNames,
          },
          ExpressionAttributeValues: {
            ':pk': query.partition,
            ':before': range.below,
            ...(range.from !== undefined && { ':from': range.from }),
            ...(minAttempts !== undefined && { ':min': minAttempts }),
          },
          ScanIndexForward: forward,
          Limit: cap - examined,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(page.Items ?? []));
      examined += page.ScannedCount ?? page.Items?.length ?? 0;
      startKey = page.LastEvaluatedKey;
    } while (startKey && examined < cap);
    return { items, ...(startKey && { stoppedAt: String(startKey[query.sortKey]) }) };
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
