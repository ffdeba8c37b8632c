// The aggregate folder against the embedded DynamoDB: settled task items in the settle write's shape,
// folded by several folders at once or by a folder that dies midway, end exactly as one clean fold ends
// (compared with the in-memory store's result). Each case uses a table of its own, since the watermark
// is one per table and these folders run on a clock of their own.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { GetCommand, PutCommand } from '../../functions/shared/clients/table-commands';
import { TABLE } from '../../functions/shared/resources';
import type { Task, TaskStatus } from '../../functions/shared/tasks/task';
import { createdTaskIndexKeys, LIST_SHARDS } from '../../functions/shared/tasks/task-index-keys';
import { DynamoTaskStore } from '../../functions/shared/tasks/task-store';
import { StatusIndexTasks } from '../../functions/shared/telemetry/active-tasks';
import type { SettledTask } from '../../functions/shared/telemetry/aggregate';
import { type AggregateStore, DynamoAggregateStore } from '../../functions/shared/telemetry/aggregate-store';
import { foldPendingSlots, SLOT_GRACE_MS } from '../../functions/shared/telemetry/fold-aggregates';
import { SLOT_MS } from '../../functions/shared/telemetry/settled-index';
import { createTable } from '../../local/dynamodb';
import { localClients } from '../support/aws-clients';
import { type SeededTask, seedSettledTask } from '../support/settled-tasks';
import { FolderCrash, InMemoryAggregateStore } from '../unit/telemetry/in-memory-aggregate-store';

const endpoints = inject('endpoints');
const { dynamodb, documents } = localClients(endpoints);
const RUN = randomUUID().slice(0, 8);

// Five minutes before the end of an hour, so the tasks' two minutes fall in one hour and day.
const T0 = Date.parse('2026-06-01T10:55:00.000Z');
const STATUSES = ['SUCCEEDED', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED'] as const;
const TASKS: SeededTask[] = Array.from({ length: 60 }, (_, i) => ({
  taskId: `fold-${RUN}-${i}`,
  orgId: i % 4 === 0 ? 'org-b' : 'org-a',
  workflowId: `wf-${i % 3}`,
  ...(i % 2 === 0 && { agentId: `agent-${i % 3}` }),
  status: STATUSES[i % STATUSES.length] as SeededTask['status'],
  settledAtMs: T0 + i * 2000,
  metrics: {
    queueMs: 5 + i,
    executionMs: 300 * (i + 1),
    durationMs: 300 * (i + 1) + 5 + i,
    attempts: 3 + (i % 2),
    retries: i % 2,
    steps: {
      fetch: { status: 'SUCCEEDED', durationMs: 100 + i, attempts: 1 + (i % 2), retries: i % 2 },
      think: { status: 'SUCCEEDED', durationMs: 150 * (i + 1), attempts: 1, retries: 0 },
      store: { status: i % 5 === 2 ? 'FAILED' : 'SUCCEEDED', durationMs: 40, attempts: 1, retries: 0 },
    },
  },
}));
const NOW = () => new Date(T0 + 60 * 2000 + SLOT_MS + SLOT_GRACE_MS);

const asSettled = (task: SeededTask): SettledTask => ({
  taskId: task.taskId,
  orgId: task.orgId,
  workflowId: task.workflowId,
  ...(task.agentId && { agentId: task.agentId }),
  status: task.status,
  settledAt: new Date(task.settledAtMs).toISOString(),
  metrics: task.metrics,
});

/** What one clean fold gives, by the in-memory store: every item and its aggregate. */
let expected: InMemoryAggregateStore;

/** A table with TASKS settled; `upgraded`: the first third by an earlier version (on gsi2), the rest by this one. */
async function tableWithTasks(upgraded = false): Promise<string> {
  const tableName = `stepwise-fold-${RUN}-${randomUUID().slice(0, 6)}`;
  await createTable(dynamodb, tableName);
  await Promise.all(
    TASKS.map((task, i) =>
      seedSettledTask(
        documents,
        tableName,
        task,
        upgraded && i < TASKS.length / 3 ? 'earlier-version' : 'this-version',
      ),
    ),
  );
  return tableName;
}

async function expectSameAsCleanFold(store: AggregateStore): Promise<void> {
  const keys = [...expected.items.keys()].map((id) => {
    const [pk, sk] = id.split('|') as [string, string];
    return { pk, sk };
  });
  const found = await store.getMany(keys);
  expect(found.size).toBe(expected.items.size);
  for (const key of keys) {
    const id = `${key.pk}|${key.sk}`;
    expect(found.get(id)?.aggregate, id).toEqual(expected.items.get(id)?.aggregate);
  }
}

beforeAll(async () => {
  expected = new InMemoryAggregateStore();
  for (const task of TASKS) expected.addSettled(asSettled(task));
  await foldPendingSlots({ store: expected, now: NOW }, 1000);
  expect(expected.items.size).toBeGreaterThan(20);
});

describe('the aggregate folder on DynamoDB', () => {
  it('folds exactly once with three folders running at once, one of them in short rounds', async () => {
    const store = new DynamoAggregateStore(documents, await tableWithTasks());
    const reports = await Promise.all(
      [1000, 1000, 5].map((maxSlots) => foldPendingSlots({ store, now: NOW }, maxSlots)),
    );
    await foldPendingSlots({ store, now: NOW }, 1000);
    await expectSameAsCleanFold(store);
    expect(reports.reduce((sum, report) => sum + report.tasks, 0)).toBeGreaterThanOrEqual(TASKS.length);
    const again = await foldPendingSlots({ store, now: NOW }, 1000);
    expect(again).toMatchObject({ slots: 0, writes: 0 });
  });

  it.each([1, 9, 30])('stays exact when a folder dies after %i writes', async (writesBeforeCrash) => {
    const store = new DynamoAggregateStore(documents, await tableWithTasks());
    let left = writesBeforeCrash;
    const dying: AggregateStore = Object.assign(Object.create(store) as AggregateStore, {
      put: async (...args: Parameters<AggregateStore['put']>) => {
        if (left-- <= 0) throw new FolderCrash('the folder died');
        return store.put(...args);
      },
    });
    await expect(foldPendingSlots({ store: dying, now: NOW }, 1000)).rejects.toBeInstanceOf(FolderCrash);
    await foldPendingSlots({ store, now: NOW }, 1000);
    await expectSameAsCleanFold(store);
  });

  it('folds the tasks an earlier version settled on gsi2 before an upgrade, with those settled after it', async () => {
    const store = new DynamoAggregateStore(documents, await tableWithTasks(true));
    const report = await foldPendingSlots({ store, now: NOW }, 1000);
    expect(report.tasks).toBe(TASKS.length);
    await expectSameAsCleanFold(store);
  });

  it('keeps items small: a workflow hour item with three steps stays under 2 KB', async () => {
    const tableName = await tableWithTasks();
    await foldPendingSlots({ store: new DynamoAggregateStore(documents, tableName), now: NOW }, 1000);
    const { Item } = await documents.send(
      new GetCommand({
        TableName: tableName,
        Key: { pk: 'METRICS#org-a#H#2026-06-01T10:00:00.000Z', sk: 'WF#wf-1' },
      }),
    );
    expect(Item).toBeDefined();
    expect(Buffer.byteLength(JSON.stringify(Item))).toBeLessThan(2048);
    expect(Item?.[TABLE.timeToLiveAttribute]).toBe(
      Date.parse('2026-06-01T11:00:00.000Z') / 1000 + 35 * 86_400,
    );
  });
});

describe('active tasks over the status indexes', () => {
  it('counts active tasks per org or over every org, and those stuck past the threshold', async () => {
    const tableName = `stepwise-active-${RUN}`;
    await createTable(dynamodb, tableName);
    const tasks = new DynamoTaskStore(documents, tableName);
    const now = Date.parse('2026-06-01T12:00:00.000Z');
    const ago = (minutes: number) => new Date(now - minutes * 60_000).toISOString();
    const seed = async (
      orgId: string,
      index: number,
      minutesAgo: number,
      status: TaskStatus = 'RUNNING',
      steps: { type: string; minutesAgo: number; mapIndex?: number }[] = [],
    ) => {
      const taskId = `active-${orgId}-${index}`;
      const createdAt = ago(minutesAgo);
      await documents.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            pk: `TASK#${taskId}`,
            sk: 'TASK',
            taskId,
            orgId,
            status,
            createdAt,
            ...createdTaskIndexKeys({ taskId, orgId, status, createdAt } as Task),
          },
        }),
      );
      // The step recorder's own write, so the open-step index holds what a real step leaves there.
      for (const [i, step] of steps.entries()) {
        const ref = { taskId, orgId, workflowId: 'wf', stepId: `s${i}`, stepType: step.type };
        await tasks.recordRunningAttempt({
          step: step.mapIndex === undefined ? ref : { ...ref, stepId: 's', mapIndex: step.mapIndex },
          attempt: 1,
          startedAt: ago(step.minutesAgo),
        });
      }
    };
    await Promise.all([
      seed('org-a', 0, 1, 'RUNNING', [{ type: 'http', minutesAgo: 1 }]),
      // Waiting 25 minutes for a person's decision: not stuck (README, Approvals).
      seed('org-a', 1, 30, 'RUNNING', [{ type: 'approval', minutesAgo: 25 }]),
      // Two map iterations RUNNING for 20 minutes: one stuck task.
      seed('org-a', 2, 30, 'RUNNING', [
        { type: 'http', minutesAgo: 20, mapIndex: 0 },
        { type: 'http', minutesAgo: 20, mapIndex: 1 },
      ]),
      // Created 40 minutes ago, its current step started 2 minutes ago: it moves.
      seed('org-a', 3, 40, 'RUNNING', [{ type: 'llm', minutesAgo: 2 }]),
      seed('org-a', 4, 15, 'PENDING'),
      seed('org-b', 0, 45, 'RUNNING', [{ type: 'agent', minutesAgo: 45 }]),
      seed('org-b', 1, 3, 'PENDING'),
      // Not counted for org-a: an ended task, and org-ab's although its id starts with org-a's.
      seed('org-a', 9, 50, 'SUCCEEDED'),
      seed('org-ab', 0, 40, 'RUNNING', [{ type: 'http', minutesAgo: 40 }]),
    ]);
    expect(LIST_SHARDS).toBeGreaterThan(1);
    const active = new StatusIndexTasks(documents, tableName);
    const threshold = new Date(now - 10 * 60_000);
    expect(await active.count('org-a', threshold)).toEqual({ active: 5, runningTooLong: 2 });
    expect(await active.count('org-b', threshold)).toEqual({ active: 2, runningTooLong: 1 });
    expect(await active.count(undefined, threshold)).toEqual({ active: 8, runningTooLong: 4 });
  });
});
