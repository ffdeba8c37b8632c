// Execution status events reach the task-events handler, which settles the task at its execution's end:
// the settle write stores the task's metrics and settledAt and moves it into the settled index, and a
// redelivered event (EventBridge delivers at least once) changes nothing.
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { GetCommand } from '../../functions/shared/clients/table-commands';
import type { ExecutionStatusChangeEvent } from '../../functions/shared/executions/execution-status-event';
import { recordExecutionStatus } from '../../functions/shared/executions/record-execution-status';
import type { Task } from '../../functions/shared/tasks/task';
import { DynamoTaskStore } from '../../functions/shared/tasks/task-store';
import { settledIndexKeys } from '../../functions/shared/telemetry/settled-index';
import { apiClient } from '../support/api-request';
import { localClients } from '../support/aws-clients';

const endpoints = inject('endpoints');
const credentials = inject('credentials');
const { documents } = localClients(endpoints);
const tasks = new DynamoTaskStore(documents, endpoints.tableName);
const call = apiClient(endpoints.api, credentials.apiKey);
// The events below carry their output, so Step Functions is never asked for it.
const stores = { tasks, executions: { describe: async () => undefined } };

async function runTask(): Promise<Task> {
  const id = `status_${randomUUID().slice(0, 8)}`;
  const steps = [{ id: 'only', type: 'transform', params: { expression: '1 + 1', data: {} } }];
  expect((await call('POST', '/workflows', { id, version: 1, name: id, steps })).status).toBe(201);
  const { body } = await call<{ taskId: string }>('POST', '/tasks', { workflowId: id });
  await expect
    .poll(async () => (await tasks.getAnyOrg(body.taskId))?.status, { timeout: 15_000, interval: 100 })
    .toBe('SUCCEEDED');
  return (await tasks.getAnyOrg(body.taskId)) as Task;
}

function statusEvent(
  task: Task,
  status: 'RUNNING' | 'SUCCEEDED',
  input: string | null = null,
): ExecutionStatusChangeEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: endpoints.accountId,
    time: new Date().toISOString(),
    region: endpoints.region,
    resources: [task.executionArn],
    detail: {
      executionArn: task.executionArn,
      stateMachineArn: task.executionArn.replace(':execution:', ':stateMachine:').replace(/:[^:]+$/, ''),
      name: task.taskId,
      status,
      startDate: Date.parse(task.createdAt),
      stopDate: status === 'RUNNING' ? null : Date.now(),
      input,
      output: status === 'RUNNING' ? null : '{}',
    },
  };
}

describe('execution status events settle tasks', () => {
  it('stores the metrics and settledAt with the settle, and moves the task into the settled index', async () => {
    const task = await runTask();
    expect(task.metrics).toMatchObject({
      attempts: 1,
      retries: 0,
      durationMs: expect.any(Number),
      queueMs: expect.any(Number),
      steps: { only: { status: 'SUCCEEDED', attempts: 1, retries: 0 } },
    });
    expect(task.settledAt).toEqual(expect.any(String));
    const { Item } = await documents.send(
      new GetCommand({ TableName: endpoints.tableName, Key: { pk: `TASK#${task.taskId}`, sk: 'TASK' } }),
    );
    expect(Item).toMatchObject(settledIndexKeys(task.taskId, Date.parse(String(task.settledAt))));
  });

  it('changes nothing on a redelivered event, RUNNING or terminal', async () => {
    const task = await runTask();
    expect(await recordExecutionStatus(statusEvent(task, 'SUCCEEDED'), stores)).toEqual({
      changed: false,
    });
    expect(await recordExecutionStatus(statusEvent(task, 'RUNNING'), stores)).toEqual({ changed: false });
    expect(await tasks.getAnyOrg(task.taskId)).toEqual(task);
  });

  it('writes nothing on a RUNNING event: a task is RUNNING from its create, a PENDING one of an earlier version stays so until its end', async () => {
    const taskId = `pending_${randomUUID().slice(0, 8)}`;
    const at = new Date().toISOString();
    const task: Task = {
      taskId,
      orgId: 'org-status',
      workflowId: 'w',
      workflowVersion: 1,
      status: 'PENDING',
      input: {},
      executionArn: `arn:aws:states:${endpoints.region}:${endpoints.accountId}:execution:w:${taskId}`,
      createdAt: at,
      updatedAt: at,
    };
    expect(await tasks.create(task)).toBe(true);
    const input = JSON.stringify({
      task: { id: taskId, orgId: task.orgId, workflowId: 'w', workflowVersion: 1 },
    });
    expect(await recordExecutionStatus(statusEvent(task, 'RUNNING', input), stores)).toEqual({
      changed: false,
    });
    expect(await tasks.getAnyOrg(taskId)).toEqual(task);
    const settled = await recordExecutionStatus(statusEvent(task, 'SUCCEEDED', input), stores);
    expect(settled.changed).toBe(true);
    expect(await tasks.getAnyOrg(taskId)).toMatchObject({ status: 'SUCCEEDED' });
  });
});
