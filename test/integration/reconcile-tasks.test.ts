// The safety net behind best-effort status events: tasks whose execution ended or never existed
// are brought in line with Step Functions itself, every one of them, one failure at a time.
import { CreateStateMachineCommand, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, inject, it } from 'vitest';
import { GetCommand } from '../../functions/shared/clients/table-commands';
import { stepFunctionsExecutions } from '../../functions/shared/executions/step-functions-executions';
import type { Task } from '../../functions/shared/tasks/task';
import { LIST_SHARDS } from '../../functions/shared/tasks/task-index-keys';
import { reconcileTasks } from '../../functions/shared/tasks/task-service';
import { DynamoTaskStore, type TaskRef, type TaskStore } from '../../functions/shared/tasks/task-store';
import { localClients, stepwiseClients } from '../support/aws-clients';

/** Status changes travel through events and Lambdas: allow them a few seconds on a busy machine. */
const POLL = { timeout: 15_000, interval: 100 };

const endpoints = inject('endpoints');
const { documents, sfn } = localClients(endpoints);
const tasks = new DynamoTaskStore(documents, endpoints.tableName);
const executions = stepFunctionsExecutions(stepwiseClients(endpoints).sfn);
const OLD = '2000-01-01T00:00:00.000Z';
const now = () => new Date();
// These tasks are years old, which reconcile-schedule.ts checks one run in 15: every run checks them here.
const everyTask = () => true;

function task(taskId: string, executionArn: string, status: Task['status'] = 'RUNNING'): Task {
  return {
    taskId,
    orgId: 'reconcile-org',
    workflowId: 'w',
    workflowVersion: 1,
    status,
    input: {},
    executionArn,
    createdAt: OLD,
    updatedAt: OLD,
  };
}

async function machine(states: Record<string, unknown>, startAt: string): Promise<string> {
  const { stateMachineArn = '' } = await sfn.send(
    new CreateStateMachineCommand({
      name: `reconcile-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`,
      roleArn: `arn:aws:iam::${endpoints.accountId}:role/local`,
      definition: JSON.stringify({ StartAt: startAt, States: states }),
    }),
  );
  return stateMachineArn;
}

async function allActive(): Promise<Task[]> {
  const found: Task[] = [];
  let position: Parameters<TaskStore['listActive']>[1];
  do {
    const page = await tasks.listActive(new Date().toISOString(), position);
    found.push(...page.items);
    position = page.next;
  } while (position);
  return found;
}

const lostArn = (id: string) => `arn:aws:states:us-east-1:${endpoints.accountId}:execution:none:${id}`;
const unique = (prefix: string) => `${prefix}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;

describe('reconcileTasks', () => {
  it('settles an old active task from its ended execution, and one whose execution vanished', async () => {
    const stateMachineArn = await machine({ Done: { Type: 'Pass', End: true } }, 'Done');
    // The task is written after its execution started, so its status event may have found no task.
    const endedId = unique('ended');
    const { executionArn = '' } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: endedId, input: '{"steps":{"a":1}}' }),
    );
    const lostId = unique('lost');
    await tasks.create(task(endedId, executionArn));
    await tasks.create(task(lostId, `${executionArn}-missing`));
    await expect
      .poll(async () => {
        await reconcileTasks({ tasks, executions, now, due: everyTask });
        return [(await tasks.getAnyOrg(endedId))?.status, (await tasks.getAnyOrg(lostId))?.status];
      }, POLL)
      .toEqual(['SUCCEEDED', 'FAILED']);
    expect(await tasks.getAnyOrg(endedId)).toMatchObject({ status: 'SUCCEEDED', output: { a: 1 } });
    expect(await tasks.getAnyOrg(lostId)).toMatchObject({ status: 'FAILED', error: 'ExecutionLost' });
    // Settled tasks leave the active index: a second pass finds nothing of theirs to do.
    const active = (await allActive()).map((t) => t.taskId);
    expect(active).not.toContain(endedId);
    expect(active).not.toContain(lostId);
  });

  it('reaches every active task, well past one page, spread over the index shards', async () => {
    const prefix = unique('many');
    const ids = Array.from({ length: 130 }, (_, i) => `${prefix}-${i}`);
    await Promise.all(ids.map((id) => tasks.create(task(id, lostArn(id)))));
    const partitions = new Set<string>();
    for (const id of ids.slice(0, 40)) {
      const { Item } = await documents.send(
        new GetCommand({ TableName: endpoints.tableName, Key: { pk: `TASK#${id}`, sk: 'TASK' } }),
      );
      partitions.add(String(Item?.gsi12pk));
    }
    expect([...partitions].every((pk) => /^STATUS#RUNNING#\d+$/.test(pk))).toBe(true);
    expect(partitions.size).toBeGreaterThan(LIST_SHARDS / 2);

    const report = await reconcileTasks({ tasks, executions, now, due: everyTask });
    expect(report.checked).toBeGreaterThanOrEqual(130);
    const statuses = await Promise.all(ids.map(async (id) => (await tasks.getAnyOrg(id))?.status));
    expect(new Set(statuses)).toEqual(new Set(['FAILED']));
  });

  it('goes on past a task whose check fails, and reports it', async () => {
    const prefix = unique('isolated');
    const ids = [0, 1, 2].map((i) => `${prefix}-${i}`);
    for (const id of ids) await tasks.create(task(id, lostArn(id)));
    const broken = ids[1];
    // The real store, except that settling the one task throws as an unexpected DynamoDB error would.
    const flaky: TaskStore = Object.create(tasks, {
      settle: {
        value: (task: TaskRef, settlement: Parameters<TaskStore['settle']>[1]) =>
          task.taskId === broken ? Promise.reject(new Error('throttled')) : tasks.settle(task, settlement),
      },
    });
    const errors: string[] = [];
    const report = await reconcileTasks({
      tasks: flaky,
      executions,
      now,
      due: everyTask,
      onError: (failed, error) => errors.push(`${failed.taskId}: ${(error as Error).message}`),
    });
    expect(errors).toContain(`${broken}: throttled`);
    expect(report.failed).toBe(errors.length);
    expect((await tasks.getAnyOrg(ids[0] ?? ''))?.status).toBe('FAILED');
    expect((await tasks.getAnyOrg(ids[2] ?? ''))?.status).toBe('FAILED');
    expect((await tasks.getAnyOrg(broken ?? ''))?.status).toBe('RUNNING');
  });

  it("leaves a task whose execution runs as it is (a PENDING one of an earlier version too), then settles it from the execution's end", async () => {
    const stateMachineArn = await machine({ Pause: { Type: 'Wait', Seconds: 30, End: true } }, 'Pause');
    const taskId = unique('missed-end');
    // An execution not named after the task: its end event cannot reach the task, as if it was lost.
    const { executionArn = '', startDate } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: `other-${taskId}`, input: '{}' }),
    );
    await tasks.create(task(taskId, executionArn, 'PENDING'));
    await reconcileTasks({ tasks, executions, now, due: everyTask });
    expect(await tasks.getAnyOrg(taskId)).toMatchObject({ status: 'PENDING', updatedAt: OLD });
    await sfn.send(new StopExecutionCommand({ executionArn, error: 'Cancelled' }));
    await reconcileTasks({ tasks, executions, now, due: everyTask });
    expect(await tasks.getAnyOrg(taskId)).toMatchObject({
      status: 'CANCELLED',
      startedAt: startDate?.toISOString(),
    });
  });

  it('ends FAILED, saying so, a task whose execution was stopped outside stepwise', async () => {
    const stateMachineArn = await machine({ Pause: { Type: 'Wait', Seconds: 30, End: true } }, 'Pause');
    const taskId = unique('stopped-elsewhere');
    const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${taskId}`;
    await tasks.create(task(taskId, executionArn, 'RUNNING'));
    await sfn.send(new StartExecutionCommand({ stateMachineArn, name: taskId, input: '{}' }));
    await sfn.send(new StopExecutionCommand({ executionArn, error: 'Operator', cause: 'stuck' }));
    await expect.poll(async () => (await tasks.getAnyOrg(taskId))?.status, POLL).toBe('FAILED');
    expect(await tasks.getAnyOrg(taskId)).toMatchObject({
      error: 'ExecutionAborted',
      cause: 'The execution was stopped outside stepwise: Operator: stuck',
    });
  });
});
