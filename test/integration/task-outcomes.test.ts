// Honest task outcomes that need Step Functions or the table in view (the HTTP-only ones are in
// test/e2e/task-outcomes.test.ts): cancel records what really happened and closes the running step, and a
// start that failed after the task was written is completed by a retry with the same key.
import { randomUUID } from 'node:crypto';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { describe, expect, inject, it } from 'vitest';
import {
  type Executions,
  stepFunctionsExecutions,
} from '../../functions/shared/executions/step-functions-executions';
import { WorkflowStore } from '../../functions/shared/registry/workflow-store';
import { InputValidator } from '../../functions/shared/tasks/input-validator';
import { startTask } from '../../functions/shared/tasks/task-service';
import { DynamoTaskStore } from '../../functions/shared/tasks/task-store';
import { apiClient } from '../support/api-request';
import { localClients, stepwiseClients } from '../support/aws-clients';

/** Status changes travel through events and Lambdas: allow them a few seconds on a busy machine. */
const POLL = { timeout: 15_000, interval: 100 };

const endpoints = inject('endpoints');
const credentials = inject('credentials');
const { documents, sfn } = localClients(endpoints);
const tasks = new DynamoTaskStore(documents, endpoints.tableName);

interface Step {
  stepId: string;
  status: string;
  attempts: number;
  startedAt?: string;
  endedAt?: string;
}
interface TaskDetail {
  taskId: string;
  status: string;
  executionArn: string;
  startedAt?: string;
  error?: string;
  steps: Step[];
  attempts: { stepId: string; attempt: number; status: string; endedAt?: string }[];
}

const call = apiClient(endpoints.api, credentials.apiKey);

async function register(steps: unknown[]): Promise<string> {
  const id = `outcomes_${randomUUID().slice(0, 8)}`;
  const { status, body } = await call('POST', '/workflows', { id, version: 1, name: id, steps });
  if (status !== 201) throw new Error(`register: ${status} ${JSON.stringify(body)}`);
  return id;
}

async function start(workflowId: string, extra: Record<string, unknown> = {}): Promise<string> {
  const { status, body } = await call<{ taskId: string }>('POST', '/tasks', { workflowId, ...extra });
  if (status !== 201) throw new Error(`start: ${status} ${JSON.stringify(body)}`);
  return body.taskId;
}

const get = async (taskId: string) => (await call<TaskDetail>('GET', `/tasks/${taskId}`)).body;
const TERMINAL = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED'];
const ended = async (taskId: string) => {
  await expect
    .poll(async () => TERMINAL.includes((await get(taskId)).status), { timeout: 30_000 })
    .toBe(true);
  return get(taskId);
};
const transform = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  type: 'transform',
  params: { expression: '$', 'data.$': '$.input', ...((extra.params as object) ?? {}) },
  ...Object.fromEntries(Object.entries(extra).filter(([key]) => key !== 'params')),
});
const openItems = (task: TaskDetail) =>
  [...task.steps, ...task.attempts].filter((item) => item.status === 'RUNNING' || item.status === 'RETRYING');

describe('cancel', () => {
  it('stops a task that is really RUNNING: execution ABORTED, its running step CANCELLED for good', async () => {
    const workflowId = await register([transform('slow', { params: { simulate: { sleepSeconds: 4 } } })]);
    const taskId = await start(workflowId);
    await expect
      .poll(async () => {
        const task = await get(taskId);
        return [task.status, task.steps.map((s) => s.status)];
      }, POLL)
      .toEqual(['RUNNING', ['RUNNING']]);

    const cancelled = await call<TaskDetail>('POST', `/tasks/${taskId}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('CANCELLED');
    const execution = await sfn.send(
      new DescribeExecutionCommand({ executionArn: cancelled.body.executionArn }),
    );
    expect(execution.status).toBe('ABORTED');

    const task = await get(taskId);
    expect(openItems(task)).toEqual([]);
    expect(task.steps).toMatchObject([{ stepId: 'slow', status: 'CANCELLED', endedAt: expect.any(String) }]);
    // The attempt's sleep ends after the cancel: what it reports then must not reopen the step.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const later = await get(taskId);
    expect(later.status).toBe('CANCELLED');
    expect(later.steps.map((s) => s.status)).toEqual(['CANCELLED']);
    expect(later.attempts.map((a) => a.status)).toEqual(['CANCELLED']);
    expect((await call('POST', `/tasks/${taskId}/cancel`)).status).toBe(409);
  });

  it('answers 409 naming SUCCEEDED, and records SUCCEEDED, when the execution had already ended', async () => {
    const { stateMachineArn = '' } = await sfn.send(
      new CreateStateMachineCommand({
        name: `outcomes-${Date.now()}`,
        roleArn: `arn:aws:iam::${endpoints.accountId}:role/local`,
        definition: JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Pass', End: true } } }),
      }),
    );
    // An execution whose end the task never heard of (its status event is lost: named after no task).
    const { executionArn = '' } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn,
        name: `lost-event-${Date.now()}`,
        input: '{"steps":{"a":1}}',
      }),
    );
    await expect
      .poll(async () => (await sfn.send(new DescribeExecutionCommand({ executionArn }))).status, POLL)
      .toBe('SUCCEEDED');
    const taskId = randomUUID();
    const at = new Date().toISOString();
    await tasks.create({
      taskId,
      orgId: credentials.orgId,
      workflowId: 'w',
      workflowVersion: 1,
      status: 'RUNNING',
      input: {},
      executionArn,
      createdAt: at,
      updatedAt: at,
    });

    const refused = await call<{ error: string; message: string }>('POST', `/tasks/${taskId}/cancel`);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toContain('SUCCEEDED');
    expect(await get(taskId)).toMatchObject({ status: 'SUCCEEDED' });
  });
});

describe('starting', () => {
  it('completes on a retry with the same key a start whose StartExecution failed after the task was written', async () => {
    const workflowId = await register([transform('only')]);
    const real = stepFunctionsExecutions(stepwiseClients(endpoints).sfn);
    let failures = 1;
    const flaky: Executions = {
      ...real,
      start: async (...args) => {
        if (failures-- > 0) throw new Error('ServiceUnavailable');
        return real.start(...args);
      },
    };
    const deps = {
      tasks,
      workflows: new WorkflowStore(documents, endpoints.tableName),
      executions: flaky,
      inputValidator: new InputValidator(),
      newId: () => randomUUID(),
      now: () => new Date(),
    };
    const request = { workflowId, input: {}, idempotencyKey: `key-${randomUUID()}` };
    await expect(startTask(credentials.orgId, request, deps)).rejects.toThrow('ServiceUnavailable');
    const { task } = await startTask(credentials.orgId, request, deps);
    expect((await ended(task.taskId)).status).toBe('SUCCEEDED');
  });
});

describe('settling', () => {
  it('ends SUCCEEDED a task whose step output nests 40 deep, storing that output as a preview DynamoDB accepts', async () => {
    const expression = `${'{"a":'.repeat(40)}1${'}'.repeat(40)}`;
    const workflowId = await register([{ id: 'deep', type: 'transform', params: { expression } }]);
    const task = (await ended(await start(workflowId))) as TaskDetail & { output?: unknown };
    expect(task.status).toBe('SUCCEEDED');
    expect(task.output).toEqual({
      deep: {
        status: 'SUCCEEDED',
        output: { truncated: true, preview: expression.replaceAll(' ', '') },
      },
    });
  });
});
