// The DynamoDB write budget of a task (issue 7): a 3-step basic_sequence task costs at most 8 writes and
// 10 table WCU, counted by the local DynamoDB's write meter, and the index WCU the meter estimates stay
// within what the listing design costs (11: AWS bills them on top). Its own stack, so no other test's
// writes count.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MeteredWrite } from '../../local/dynamodb-write-meter';
import { type LocalStack, startLocalStack } from '../../local/stack';
import { type ApiRequest, apiClient } from '../support/api-request';

const TASKS = 6;
let stack: LocalStack;
let dataDir: string;
let api: ApiRequest;
let workflowId: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'stepwise-write-budget-'));
  stack = await startLocalStack({
    dataDir,
    apiPort: 0,
    logLevel: 'ERROR',
    schedules: false,
    meterDynamoDb: { writes: true },
  });
  api = apiClient(stack.endpoints.api, stack.credentials.apiKey);
  const definition = JSON.parse(
    await readFile(new URL('../../examples/workflows/basic_sequence.json', import.meta.url), 'utf8'),
  );
  expect((await api('POST', '/workflows', definition)).status).toBe(201);
  workflowId = definition.id;
});

afterAll(async () => {
  await stack?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

/** Runs basic_sequence tasks with these inputs' texts to their end; the writes they made, and their ids. */
async function runTasks(
  texts: readonly string[],
): Promise<{ ids: string[]; writes: readonly MeteredWrite[] }> {
  const before = stack.dynamodbWrites().length;
  const ids = await Promise.all(
    texts.map(async (text) => {
      const started = await api<{ taskId: string }>('POST', '/tasks', { workflowId, input: { text } });
      expect(started.status).toBe(201);
      return started.body.taskId;
    }),
  );
  for (const id of ids) {
    await expect
      .poll(async () => (await api<{ status: string }>('GET', `/tasks/${id}`)).body.status, {
        timeout: 30_000,
      })
      .toBe('SUCCEEDED');
  }
  return { ids, writes: stack.dynamodbWrites().slice(before) };
}

interface TaskAttempts {
  attempts?: { startedAt: string; endedAt?: string }[];
}

const indexWrites = (write: MeteredWrite) => write.indexWrites.map((w) => `${w.change} ${w.index} ${w.wcu}`);

describe('write budget', () => {
  it(`keeps a basic_sequence task within 8 writes and 10 WCU (${TASKS} tasks)`, async () => {
    const { ids, writes } = await runTasks(Array.from({ length: TASKS }, (_, i) => `budget ${i}`));
    const perTask = writes.length / TASKS;
    const wcuPerTask = writes.reduce((sum, write) => sum + write.wcu, 0) / TASKS;
    // A step attempt that takes over 250 ms of wall time (a loaded machine's) also gets a RUNNING record,
    // which puts it in the open-step indexes (gsi1, gsi2) until its end: those entries are the step's, apart
    // from the listing entries counted here, and only step writes make them.
    const openStep = (entry: MeteredWrite['indexWrites'][number]) =>
      entry.index === 'gsi1' || entry.index === 'gsi2';
    const indexWcuPerTask =
      writes
        .flatMap((write) => write.indexWrites)
        .filter((entry) => !openStep(entry))
        .reduce((sum, entry) => sum + entry.wcu, 0) / TASKS;
    const kinds = new Set(writes.map((write) => write.kind));
    expect([...kinds].sort()).toEqual(['STEP', 'TASK']);
    expect(perTask).toBeLessThanOrEqual(8);
    expect(wcuPerTask).toBeLessThanOrEqual(10);
    // On AWS the indexes bill their own writes on top (estimated by the meter): the create puts one small
    // row per listing index whatever the input's size, no task write touches gsi1 or gsi2, and only the
    // settle puts the task in gsi13, with a small projection. The task item is written twice, created
    // RUNNING and settled: no RUNNING write moves its status entries between them.
    expect(indexWcuPerTask).toBeLessThanOrEqual(11);
    expect(writes.filter((write) => write.kind === 'TASK').map((write) => write.operation)).toEqual(
      expect.arrayContaining(ids.flatMap(() => ['PutItem', 'UpdateItem'])),
    );
    expect(writes.filter((write) => write.kind === 'TASK')).toHaveLength(2 * TASKS);
    for (const create of writes.filter((write) => write.operation === 'PutItem' && write.kind === 'TASK')) {
      expect(indexWrites(create)).toEqual(['put gsi8 1', 'put gsi10 1', 'put gsi11 1', 'put gsi12 1']);
    }
    expect(
      writes.filter((write) => write.indexWrites.some(openStep)).map((write) => write.kind),
    ).not.toContain('TASK');
    // Only a slow attempt enters the open-step index: at most one put in gsi1 per attempt that lasted
    // about 250 ms (200 here, for the clocks' rounding), none for a fast one.
    const attempts = (
      await Promise.all(
        ids.map(async (id) => (await api<TaskAttempts>('GET', `/tasks/${id}`)).body.attempts ?? []),
      )
    ).flat();
    const slow = attempts.filter(
      (attempt) => attempt.endedAt && Date.parse(attempt.endedAt) - Date.parse(attempt.startedAt) >= 200,
    );
    const openStepPuts = writes
      .flatMap((write) => write.indexWrites)
      .filter((entry) => entry.index === 'gsi1' && entry.change === 'put');
    expect(openStepPuts.length).toBeLessThanOrEqual(slow.length);
    expect(writes.flatMap((write) => write.indexWrites).filter((w) => w.index === 'gsi13')).toEqual(
      ids.map(() => ({ index: 'gsi13', change: 'put', wcu: 1 })),
    );
    // Every step of every task was written: at least one write per step.
    expect(writes.filter((write) => write.kind === 'STEP').length).toBeGreaterThanOrEqual(3 * TASKS);
  });

  it('puts a task with a large output in the settled index for 1 WCU: its output is not projected there', async () => {
    // Each step carries the text on: the task's output holds it three times, some 18 KB.
    const { writes } = await runTasks(['x'.repeat(6_000)]);
    const settle = writes.find((write) => write.kind === 'TASK' && write.operation === 'UpdateItem');
    expect(settle?.wcu).toBeGreaterThan(10);
    expect(settle && indexWrites(settle)).toContain('put gsi13 1');
  });
});
