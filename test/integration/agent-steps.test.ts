// `agent` steps on the embedded stack, with the test as the worker: it receives the step's message from
// its worker type's queue, reports to the agentReports function through the Lambda Invoke API (as the
// worker SDK does), and answers Step Functions with SendTaskSuccess/Failure. Checks what the task, its step
// and its attempts record, and that the recorder refuses what is not its business.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { InvokeCommand, LambdaClient, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import {
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, inject, it } from 'vitest';
import { readExampleInput } from '../../bin/cli/example-input';
import { GetCommand } from '../../functions/shared/clients/table-commands';
import { WorkflowStore } from '../../functions/shared/registry/workflow-store';
import { DynamoTaskStore } from '../../functions/shared/tasks/task-store';
import {
  handleAgentReport,
  recordLostAttempt,
  tokenIdOf,
} from '../../functions/shared/workers/agent-attempts';
import { LOCAL_AWS } from '../../local/settings';
import { CLAIM_WINDOW_SECONDS, SqsStepQueue } from '../../sdk/step-queue';
import { apiClient } from '../support/api-request';
import { localClients } from '../support/aws-clients';

const endpoints = inject('endpoints');
const credentials = inject('credentials');
const { sqs, sfn, documents } = localClients(endpoints);
const tasks = new DynamoTaskStore(documents, endpoints.tableName);
const workflows = new WorkflowStore(documents, endpoints.tableName);
const lambda = new LambdaClient({
  region: endpoints.region,
  credentials: LOCAL_AWS.credentials,
  endpoint: endpoints.lambda,
});
const call = apiClient(endpoints.api, credentials.apiKey);
/** This suite's own worker type (global-setup.ts): no other suite's worker takes its messages. */
const TYPE = 'agent-steps-suite';
const QUEUE = endpoints.workerQueueUrls[TYPE] ?? '';

interface AgentMessage {
  taskToken: string;
  workerType: string;
  task: { id: string; orgId: string; workflowId: string; workflowVersion: number };
  step: { id: string; mapIndex?: number };
  input: Record<string, unknown>;
}
interface Attempt {
  stepId: string;
  mapIndex?: number;
  attempt: number;
  status: string;
  worker?: string;
  tokenId?: string;
  error?: string;
  cause?: string;
}
interface TaskDetail {
  status: string;
  error?: string;
  output?: Record<string, { status: string; output?: unknown }>;
  steps: { stepId: string; status: string; attempts: number }[];
  attempts: Attempt[];
}

async function register(steps: unknown[], extra: object = {}) {
  const id = `agents_${randomUUID().slice(0, 8)}`;
  const reply = await call('POST', '/workflows', { id, version: 1, name: id, steps, ...extra });
  return { id, ...reply };
}

async function startTask(steps: unknown[], input: object = {}, extra: object = {}) {
  const { id, status, body } = await register(steps, extra);
  if (status !== 201) throw new Error(`register: ${status} ${JSON.stringify(body)}`);
  const started = await call<{ taskId: string }>('POST', '/tasks', { workflowId: id, input });
  if (started.status !== 201) throw new Error(`start: ${started.status} ${JSON.stringify(started.body)}`);
  return started.body.taskId;
}

/** The next message of `taskId` on the suite's queue, deleted as a worker claims it (others stay visible). */
async function receive(taskId: string, timeoutMs = 20_000): Promise<AgentMessage> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: QUEUE,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        VisibilityTimeout: 0,
      }),
    );
    for (const message of Messages) {
      const body = JSON.parse(message.Body ?? '{}') as AgentMessage;
      if (body.task?.id !== taskId) continue;
      await sqs.send(new DeleteMessageCommand({ QueueUrl: QUEUE, ReceiptHandle: message.ReceiptHandle }));
      return body;
    }
  }
  throw new Error(`No message for task ${taskId} within ${timeoutMs} ms`);
}

async function report(payload: object): Promise<Record<string, unknown>> {
  const reply = await lambda.send(
    new InvokeCommand({ FunctionName: endpoints.agentReportsFunction, Payload: JSON.stringify(payload) }),
  );
  if (reply.FunctionError)
    throw new Error(`agentReports failed: ${Buffer.from(reply.Payload ?? []).toString()}`);
  return JSON.parse(Buffer.from(reply.Payload ?? []).toString()) as Record<string, unknown>;
}

const claim = (message: AgentMessage, workerId: string) =>
  report({
    kind: 'claimed',
    workerId,
    workerType: message.workerType,
    taskToken: message.taskToken,
    task: { id: message.task.id, orgId: message.task.orgId },
    step: message.step,
    claimedAt: new Date().toISOString(),
  });

const finish = (
  message: AgentMessage,
  workerId: string,
  status: 'SUCCEEDED' | 'FAILED',
  extra: object = {},
) =>
  report({
    kind: 'finished',
    workerId,
    workerType: message.workerType,
    taskToken: message.taskToken,
    task: { id: message.task.id, orgId: message.task.orgId },
    step: message.step,
    status,
    endedAt: new Date().toISOString(),
    ...extra,
  });

/** The step item as stored (its open-step index keys and task row are not in any response). */
const rawStepItem = async (taskId: string, stepId: string) =>
  (
    await documents.send(
      new GetCommand({
        TableName: endpoints.tableName,
        Key: { pk: `TASK#${taskId}`, sk: `STEP#${stepId}` },
        ConsistentRead: true,
      }),
    )
  ).Item;

const get = async (taskId: string) => (await call<TaskDetail>('GET', `/tasks/${taskId}`)).body;
const TERMINAL = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED'];
async function ended(taskId: string): Promise<TaskDetail> {
  await expect
    .poll(async () => TERMINAL.includes((await get(taskId)).status), { timeout: 30_000 })
    .toBe(true);
  return get(taskId);
}

const agent = (extra: object = {}) => ({
  id: 'research',
  type: 'agent',
  workerType: TYPE,
  params: { company: 'Acme', 'domain.$': '$.input.domain' },
  ...extra,
});

describe('agent steps', () => {
  it('a worker claims the message, answers SendTaskSuccess, and the task SUCCEEDS with the step output', async () => {
    const taskId = await startTask([agent()], { domain: 'acme.test' });
    const message = await receive(taskId);
    expect(message).toMatchObject({
      workerType: TYPE,
      task: { id: taskId, orgId: credentials.orgId, workflowVersion: 1 },
      step: { id: 'research' },
      input: { company: 'Acme', domain: 'acme.test' },
    });
    expect(await claim(message, 'host-1-aaaa')).toEqual({ attempt: 1 });
    // Idempotent per token: a repeated claim is the same attempt.
    expect(await claim(message, 'host-1-aaaa')).toEqual({ attempt: 1 });
    await expect.poll(async () => (await get(taskId)).attempts[0]?.status).toBe('RUNNING');
    expect(await finish(message, 'host-1-aaaa', 'SUCCEEDED', { outputSummary: '{"employees":42}' })).toEqual(
      {},
    );
    await sfn.send(
      new SendTaskSuccessCommand({ taskToken: message.taskToken, output: JSON.stringify({ employees: 42 }) }),
    );

    const task = await ended(taskId);
    expect(task.status).toBe('SUCCEEDED');
    expect(task.output?.research).toEqual({ status: 'SUCCEEDED', output: { employees: 42 } });
    expect(task.steps).toEqual([
      expect.objectContaining({ stepId: 'research', status: 'SUCCEEDED', attempts: 1 }),
    ]);
    expect(task.attempts).toEqual([
      expect.objectContaining({
        attempt: 1,
        status: 'SUCCEEDED',
        worker: 'host-1-aaaa',
        tokenId: tokenIdOf(message.taskToken),
      }),
    ]);
    expect(JSON.stringify(task)).not.toContain(message.taskToken);
    const timeline = await call<{ steps: { attempts: { worker?: string }[] }[] }>(
      'GET',
      `/tasks/${taskId}/timeline`,
    );
    expect(timeline.body.steps[0]?.attempts[0]?.worker).toBe('host-1-aaaa');
  });

  it('a retryable SendTaskFailure is retried on another worker; both attempts are recorded with their worker', async () => {
    const taskId = await startTask([agent({ retry: { maxAttempts: 1, intervalSeconds: 1 } })], {
      domain: 'x',
    });
    const first = await receive(taskId);
    expect(await claim(first, 'host-1-aaaa')).toEqual({ attempt: 1 });
    await finish(first, 'host-1-aaaa', 'FAILED', { error: 'Agent.RateLimited', cause: 'try later' });
    // Waiting for its retry, the step is in the RETRYING open-step index with its task's row.
    expect(await rawStepItem(taskId, 'research')).toMatchObject({
      status: 'RETRYING',
      gsi1pk: `ORG#${credentials.orgId}#STEPS#RETRYING`,
      taskRow: { taskId, orgId: credentials.orgId },
    });
    await sfn.send(
      new SendTaskFailureCommand({
        taskToken: first.taskToken,
        error: 'Agent.RateLimited',
        cause: 'try later',
      }),
    );

    const second = await receive(taskId);
    expect(second.taskToken).not.toBe(first.taskToken);
    expect(await claim(second, 'host-2-bbbb')).toEqual({ attempt: 2 });
    await finish(second, 'host-2-bbbb', 'SUCCEEDED');
    await sfn.send(new SendTaskSuccessCommand({ taskToken: second.taskToken, output: '"done"' }));

    const task = await ended(taskId);
    expect(task.status).toBe('SUCCEEDED');
    expect(task.attempts).toEqual([
      expect.objectContaining({
        attempt: 1,
        status: 'FAILED',
        worker: 'host-1-aaaa',
        error: 'Agent.RateLimited',
      }),
      expect.objectContaining({ attempt: 2, status: 'SUCCEEDED', worker: 'host-2-bbbb' }),
    ]);
  });

  it('a silent worker: States.HeartbeatTimeout retries the step, and the next claim closes the lost attempt', async () => {
    const taskId = await startTask([agent({ heartbeatSeconds: 1, timeoutSeconds: 30 })], { domain: 'x' });
    const first = await receive(taskId);
    expect(await claim(first, 'host-1-dead')).toEqual({ attempt: 1 });
    // No heartbeat: after 1 s the step fails with States.HeartbeatTimeout and is retried with a new message.
    const second = await receive(taskId);
    expect(await claim(second, 'host-2-live')).toEqual({ attempt: 2 });
    const during = await get(taskId);
    expect(during.attempts).toEqual([
      expect.objectContaining({ attempt: 1, status: 'ABORTED', worker: 'host-1-dead', error: 'Worker.Lost' }),
      expect.objectContaining({ attempt: 2, status: 'RUNNING', worker: 'host-2-live' }),
    ]);
    expect(during.attempts[0]?.cause).toBe(
      'No result came back from worker host-1-dead: Step Functions stopped waiting for it (a heartbeat timeout, a lost worker, or the step timeout); the step was handed to another worker',
    );
    // The lost worker's token is closed, as on AWS.
    await expect(
      sfn.send(new SendTaskSuccessCommand({ taskToken: first.taskToken, output: '{}' })),
    ).rejects.toBeInstanceOf(TaskTimedOut);
    await sfn.send(new SendTaskSuccessCommand({ taskToken: second.taskToken, output: '{}' }));
    expect((await ended(taskId)).status).toBe('SUCCEEDED');
    // The lost attempt ends at the instant the next one starts: its end comes first in the event log.
    const { body } = await call<{ events: { type: string; stepId?: string; attempt?: number }[] }>(
      'GET',
      `/tasks/${taskId}/events`,
    );
    const research = body.events.filter((event) => event.stepId === 'research');
    expect(research.slice(0, 3).map((event) => [event.type, event.attempt])).toEqual([
      ['STEP_STARTED', 1],
      ['STEP_RETRYING', 1],
      ['STEP_STARTED', 2],
    ]);
  });

  it('a success reported but never sent to Step Functions is rewritten Worker.Lost when the step runs again: one SUCCEEDED attempt', async () => {
    const taskId = await startTask([agent({ heartbeatSeconds: 1, timeoutSeconds: 30 })], { domain: 'x' });
    const first = await receive(taskId);
    expect(await claim(first, 'host-1-killed')).toEqual({ attempt: 1 });
    // The worker reports its success, then is killed before SendTaskSuccess.
    await finish(first, 'host-1-killed', 'SUCCEEDED', { outputSummary: '"done"' });
    expect((await get(taskId)).steps).toEqual([expect.objectContaining({ status: 'SUCCEEDED' })]);
    // Step Functions never got it: the heartbeat times out and the step is retried with a new token.
    const second = await receive(taskId);
    expect(await claim(second, 'host-2-live')).toEqual({ attempt: 2 });
    const during = await get(taskId);
    expect(during.steps).toEqual([
      expect.objectContaining({ stepId: 'research', status: 'RUNNING', attempts: 2 }),
    ]);
    expect(during.attempts).toEqual([
      expect.objectContaining({
        attempt: 1,
        status: 'ABORTED',
        worker: 'host-1-killed',
        error: 'Worker.Lost',
      }),
      expect.objectContaining({ attempt: 2, status: 'RUNNING', worker: 'host-2-live' }),
    ]);
    expect(during.attempts[0]?.cause).toBe(
      'Worker host-1-killed reported success but its result never reached Step Functions; the step was handed to another worker',
    );
    // Open again: in the RUNNING open-step index with its task's row, and no longer ended.
    const item = await rawStepItem(taskId, 'research');
    expect(item).toMatchObject({
      gsi1pk: `ORG#${credentials.orgId}#STEPS#RUNNING`,
      taskRow: { taskId, orgId: credentials.orgId, status: 'RUNNING' },
    });
    expect(item?.endedAt).toBeUndefined();

    await finish(second, 'host-2-live', 'SUCCEEDED');
    await sfn.send(new SendTaskSuccessCommand({ taskToken: second.taskToken, output: '"done"' }));
    const task = await ended(taskId);
    expect(task.status).toBe('SUCCEEDED');
    expect(task.attempts.filter((attempt) => attempt.status === 'SUCCEEDED')).toEqual([
      expect.objectContaining({ attempt: 2, worker: 'host-2-live' }),
    ]);
    // The killed worker's late report changes nothing: its attempt stays closed as lost.
    await finish(first, 'host-1-killed', 'SUCCEEDED');
    expect((await get(taskId)).attempts.map((attempt) => attempt.status)).toEqual(['ABORTED', 'SUCCEEDED']);
  });

  it("recordLostAttempt (the sweeper) closes a dead worker's attempt as Worker.Lost; Worker.Lost retries at once", async () => {
    const taskId = await startTask([agent({ retry: { maxAttempts: 0 } })], { domain: 'x' });
    const first = await receive(taskId);
    await claim(first, 'host-1-dead');
    const lost = {
      taskToken: first.taskToken,
      workerId: 'host-1-dead',
      task: { id: taskId, orgId: credentials.orgId },
      step: { id: 'research' },
      at: new Date().toISOString(),
      reason: 'no heartbeat for 300 s',
    };
    expect(await recordLostAttempt(lost, { tasks })).toBe(true);
    expect(await recordLostAttempt(lost, { tasks })).toBe(false);
    await sfn.send(
      new SendTaskFailureCommand({ taskToken: first.taskToken, error: 'Worker.Lost', cause: 'dead' }),
    );
    // maxAttempts 0 retries nothing of the step's own, but a lost worker is retried all the same.
    const second = await receive(taskId);
    expect(await claim(second, 'host-2-live')).toEqual({ attempt: 2 });
    await sfn.send(new SendTaskSuccessCommand({ taskToken: second.taskToken, output: '{}' }));
    const task = await ended(taskId);
    expect(task.status).toBe('SUCCEEDED');
    expect(task.attempts[0]).toMatchObject({
      status: 'ABORTED',
      error: 'Worker.Lost',
      worker: 'host-1-dead',
    });
    expect(task.attempts[0]?.cause).toBe(
      'No result came back from worker host-1-dead: no heartbeat for 300 s',
    );
  });

  it('a failure after retries records the agent step FAILED; a false `when` records it SKIPPED', async () => {
    const taskId = await startTask(
      [
        agent({ retry: { maxAttempts: 0 } }),
        agent({ id: 'skipped', when: { path: '$.input.domain', equals: 'never' }, params: {} }),
      ],
      { domain: 'x' },
      { inputSchema: { type: 'object', properties: { domain: { type: 'string' } } } },
    );
    const message = await receive(taskId);
    await claim(message, 'host-1-aaaa');
    await sfn.send(
      new SendTaskFailureCommand({ taskToken: message.taskToken, error: 'Agent.Broken', cause: 'bad input' }),
    );
    const task = await ended(taskId);
    expect(task.status).toBe('FAILED');
    expect(task.error).toBe('Agent.Broken');
    expect(task.steps).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ stepId: 'research', status: 'FAILED' }),
        expect.objectContaining({ stepId: 'skipped', status: 'SKIPPED' }),
      ]),
    );
    expect(task.attempts).toEqual([
      expect.objectContaining({
        stepId: 'research',
        status: 'FAILED',
        error: 'Agent.Broken',
        worker: 'host-1-aaaa',
      }),
    ]);
  });
});

describe('agent reports', () => {
  it('answers {stale: true} to a claim for a task that has settled', async () => {
    const taskId = await startTask([agent()], { domain: 'x' });
    const message = await receive(taskId);
    expect((await call('POST', `/tasks/${taskId}/cancel`)).status).toBe(200);
    await expect.poll(async () => (await get(taskId)).status).toBe('CANCELLED');
    expect(await claim(message, 'host-1-late')).toEqual({ stale: true });
    // As on AWS, the token of a stopped execution is closed: a heartbeat tells the worker to give up.
    await expect(
      sfn.send(new SendTaskHeartbeatCommand({ taskToken: message.taskToken })),
    ).rejects.toBeInstanceOf(TaskTimedOut);
  });

  it("answers {stale: true} to another worker's claim of a token already claimed; the attempt stays the first worker's", async () => {
    const taskId = await startTask([agent()], { domain: 'x' });
    const message = await receive(taskId);
    expect(await claim(message, 'host-1-first')).toEqual({ attempt: 1 });
    // It received the message again after the claim window: the step is held already.
    expect(await claim(message, 'host-2-second')).toEqual({ stale: true });
    expect(await claim(message, 'host-1-first')).toEqual({ attempt: 1 });
    expect((await get(taskId)).attempts).toEqual([
      expect.objectContaining({ attempt: 1, status: 'RUNNING', worker: 'host-1-first' }),
    ]);
    await sfn.send(new SendTaskSuccessCommand({ taskToken: message.taskToken, output: '{}' }));
    expect((await ended(taskId)).status).toBe('SUCCEEDED');
  });

  it('a message a worker received but never claimed (it died) is back on the queue after the claim window', async () => {
    const taskId = await startTask([agent()], { domain: 'x' });
    const queue = new SqsStepQueue(sqs, QUEUE);
    const deadline = Date.now() + 20_000;
    let received: AgentMessage | undefined;
    while (!received && Date.now() < deadline) {
      for (const { body } of await queue.receive(10, 1, new AbortController().signal)) {
        const message = JSON.parse(body ?? '{}') as AgentMessage;
        if (message.task?.id === taskId) received = message;
      }
    }
    const receivedAt = Date.now();
    expect(received).toBeDefined();
    const again = await receive(taskId, (CLAIM_WINDOW_SECONDS + 5) * 1000);
    expect(again.taskToken).toBe(received?.taskToken);
    // Hidden for the claim window, not the queue's visibility timeout nor the step's HeartbeatSeconds.
    expect(Date.now() - receivedAt).toBeGreaterThan(CLAIM_WINDOW_SECONDS * 1000 - 500);
    await sfn.send(new SendTaskSuccessCommand({ taskToken: again.taskToken, output: '{}' }));
  });

  it('refuses a claim naming a step that is not an agent step of that type', async () => {
    const taskId = await startTask(
      [{ id: 'first', type: 'transform', params: { expression: '1' } }, agent({ dependsOn: ['first'] })],
      { domain: 'x' },
    );
    const message = await receive(taskId);
    const base = { ...message, step: { id: 'first' } };
    expect(await claim(base, 'host-1-aaaa')).toMatchObject({
      error: 'NotAnAgentStep',
      statusCode: 400,
      field: 'step.id',
    });
    expect(await claim({ ...message, workerType: 'other' }, 'host-1-aaaa')).toMatchObject({
      error: 'NotAnAgentStep',
    });
    expect(
      await claim({ ...message, task: { ...message.task, orgId: 'another-org' } }, 'host-1-aaaa'),
    ).toMatchObject({
      error: 'TaskNotFound',
      statusCode: 404,
    });
    expect(await report({ kind: 'claimed', workerId: 'w' })).toMatchObject({
      error: 'InvalidReport',
      statusCode: 400,
    });
    await sfn.send(new SendTaskSuccessCommand({ taskToken: message.taskToken, output: '{}' }));
    expect((await ended(taskId)).status).toBe('SUCCEEDED');
  });

  it('a finished report whose claim was never recorded records the attempt; a repeated one changes nothing', async () => {
    const taskId = await startTask([agent()], { domain: 'x' });
    const message = await receive(taskId);
    expect(await finish(message, 'host-1-aaaa', 'FAILED', { error: 'Agent.Crashed', cause: 'oops' })).toEqual(
      {},
    );
    expect(await finish(message, 'host-1-aaaa', 'SUCCEEDED')).toEqual({});
    const task = await get(taskId);
    expect(task.attempts).toEqual([
      expect.objectContaining({
        attempt: 1,
        status: 'FAILED',
        worker: 'host-1-aaaa',
        error: 'Agent.Crashed',
      }),
    ]);
    expect(task.steps).toEqual([
      expect.objectContaining({ stepId: 'research', status: 'RETRYING', attempts: 1 }),
    ]);
    await sfn.send(new SendTaskSuccessCommand({ taskToken: message.taskToken, output: '{}' }));
    expect((await ended(taskId)).status).toBe('SUCCEEDED');
  });

  it('a finished report of a new token (its claim unrecorded) also rewrites an undelivered success as Worker.Lost', async () => {
    const taskId = await startTask([agent()], { domain: 'x' });
    const message = await receive(taskId);
    await finish(message, 'host-1-killed', 'SUCCEEDED');
    // The retry's worker reports only its end (its claim report was lost); the recorder sees a new token.
    const retry = { ...message, taskToken: `${message.taskToken}-retry` };
    expect(await finish(retry, 'host-2-live', 'FAILED', { error: 'Agent.Crashed' })).toEqual({});
    const task = await get(taskId);
    expect(task.attempts).toEqual([
      expect.objectContaining({
        attempt: 1,
        status: 'ABORTED',
        worker: 'host-1-killed',
        error: 'Worker.Lost',
      }),
      expect.objectContaining({
        attempt: 2,
        status: 'FAILED',
        worker: 'host-2-live',
        error: 'Agent.Crashed',
      }),
    ]);
    expect(task.steps).toEqual([
      expect.objectContaining({ stepId: 'research', status: 'RETRYING', attempts: 2 }),
    ]);
    expect((await call('POST', `/tasks/${taskId}/cancel`)).status).toBe(200);
    expect((await ended(taskId)).status).toBe('CANCELLED');
  });

  it('answers {stale: true} to a finished report after its task was cancelled, and records nothing', async () => {
    const taskId = await startTask(
      [
        { id: 'a', type: 'transform', params: { expression: '1' } },
        agent({ id: 'work', dependsOn: ['a'], heartbeatSeconds: 10, retry: { maxAttempts: 0 } }),
        { id: 'b', type: 'transform', dependsOn: ['work'], params: { expression: '2' } },
      ],
      { domain: 'x' },
    );
    const message = await receive(taskId);
    expect((await call('POST', `/tasks/${taskId}/cancel`)).status).toBe(200);
    await expect.poll(async () => (await get(taskId)).status).toBe('CANCELLED');
    const before = await get(taskId);
    expect(await finish(message, 'host-1-late', 'FAILED', { error: 'Agent.Crashed' })).toEqual({
      stale: true,
    });
    expect(await finish(message, 'host-1-late', 'SUCCEEDED')).toEqual({ stale: true });
    const after = await get(taskId);
    expect(after.status).toBe('CANCELLED');
    expect(after.steps).toEqual(before.steps);
    expect(after.attempts).toEqual(before.attempts);
    expect(after.attempts.filter((attempt) => attempt.stepId === 'work')).toEqual([]);
    const { body } = await call<{ events: { type: string }[] }>('GET', `/tasks/${taskId}/events`);
    expect(body.events.at(-1)?.type).toBe('TASK_SETTLED');
  });

  it('answers {stale: true} to a finished report of a token never claimed once its task has succeeded', async () => {
    const taskId = await startTask([agent()], { domain: 'x' });
    const message = await receive(taskId);
    expect(await claim(message, 'host-1-aaaa')).toEqual({ attempt: 1 });
    expect(await finish(message, 'host-1-aaaa', 'SUCCEEDED')).toEqual({});
    await sfn.send(new SendTaskSuccessCommand({ taskToken: message.taskToken, output: '{}' }));
    const before = await ended(taskId);
    expect(before.status).toBe('SUCCEEDED');
    const unknown = { ...message, taskToken: `${message.taskToken}-never-claimed` };
    expect(await finish(unknown, 'host-2-other', 'FAILED', { error: 'Agent.Crashed' })).toEqual({
      stale: true,
    });
    const after = await get(taskId);
    expect(after.steps).toEqual([
      expect.objectContaining({ stepId: 'research', status: 'SUCCEEDED', attempts: 1 }),
    ]);
    expect(after.attempts).toEqual(before.attempts);
    expect(after.attempts).toEqual([
      expect.objectContaining({ attempt: 1, status: 'SUCCEEDED', worker: 'host-1-aaaa' }),
    ]);
  });

  it("answers {stale: true} to another worker's finished report of a claimed token; the attempt stays the claimer's", async () => {
    const taskId = await startTask([agent()], { domain: 'x' });
    const message = await receive(taskId);
    expect(await claim(message, 'host-1-first')).toEqual({ attempt: 1 });
    expect(await finish(message, 'host-2-other', 'FAILED', { error: 'Agent.Crashed' })).toEqual({
      stale: true,
    });
    expect((await get(taskId)).attempts).toEqual([
      expect.objectContaining({ attempt: 1, status: 'RUNNING', worker: 'host-1-first' }),
    ]);
    expect(await finish(message, 'host-1-first', 'SUCCEEDED')).toEqual({});
    await sfn.send(new SendTaskSuccessCommand({ taskToken: message.taskToken, output: '{}' }));
    const task = await ended(taskId);
    expect(task.attempts).toEqual([
      expect.objectContaining({ attempt: 1, status: 'SUCCEEDED', worker: 'host-1-first' }),
    ]);
  });

  it('answers {stale: true} to a new token of a step that failed for good while its task goes on', async () => {
    const taskId = await startTask(
      [
        agent({ retry: { maxAttempts: 0 }, continueOnError: true }),
        agent({ id: 'next', dependsOn: ['research'], params: {} }),
      ],
      { domain: 'x' },
    );
    const message = await receive(taskId);
    expect(await claim(message, 'host-1-aaaa')).toEqual({ attempt: 1 });
    await sfn.send(
      new SendTaskFailureCommand({ taskToken: message.taskToken, error: 'Agent.Broken', cause: 'bad input' }),
    );
    const next = await receive(taskId);
    expect(next.step.id).toBe('next');
    const research = (task: TaskDetail) => task.steps.find((step) => step.stepId === 'research');
    const before = await get(taskId);
    expect(research(before)).toMatchObject({ status: 'FAILED', attempts: 1 });
    const unknown = { ...message, taskToken: `${message.taskToken}-never-claimed` };
    expect(await finish(unknown, 'host-2-other', 'SUCCEEDED')).toEqual({ stale: true });
    expect(research(await get(taskId))).toEqual(research(before));
    await sfn.send(new SendTaskSuccessCommand({ taskToken: next.taskToken, output: '{}' }));
    expect((await ended(taskId)).status).toBe('SUCCEEDED');
  });

  /** The report of `message` as the recorder handles it when it read the task just before the cancel settled it. */
  async function reportAsTaskEnds(message: AgentMessage, report: object) {
    const running = await tasks.getAnyOrg(message.task.id);
    expect(running?.status).toBe('RUNNING');
    expect((await call('POST', `/tasks/${message.task.id}/cancel`)).status).toBe(200);
    await expect.poll(async () => (await get(message.task.id)).status).toBe('CANCELLED');
    let reads = 0;
    const racing = {
      rewriteStepAttempts: tasks.rewriteStepAttempts.bind(tasks),
      closeOpenSteps: tasks.closeOpenSteps.bind(tasks),
      closeStep: tasks.closeStep.bind(tasks),
      listSteps: tasks.listSteps.bind(tasks),
      replaceMetrics: tasks.replaceMetrics.bind(tasks),
      getAnyOrg: async (id: string) => (reads++ === 0 ? running : tasks.getAnyOrg(id)),
    };
    const base = {
      workerId: 'host-1-late',
      workerType: message.workerType,
      taskToken: message.taskToken,
      task: { id: message.task.id, orgId: message.task.orgId },
      step: message.step,
    };
    return handleAgentReport({ ...base, ...report }, { tasks: racing, workflows });
  }

  it('a finished report that lands as its task ends leaves no step open in the ended task', async () => {
    const taskId = await startTask([agent()], { domain: 'x' });
    const message = await receive(taskId);
    const answer = await reportAsTaskEnds(message, {
      kind: 'finished',
      status: 'FAILED',
      error: 'Agent.Crashed',
      endedAt: new Date().toISOString(),
    });
    expect(answer).toEqual({ stale: true });
    const task = await get(taskId);
    expect(task.steps).toEqual([expect.objectContaining({ stepId: 'research', status: 'CANCELLED' })]);
    // The attempt ended as its worker said; the step it left RETRYING is closed with the task.
    expect(task.attempts).toEqual([expect.objectContaining({ attempt: 1, status: 'FAILED' })]);
  });

  it('a claim that lands as its task ends is answered stale, its attempt closed with the task', async () => {
    const taskId = await startTask([agent()], { domain: 'x' });
    const message = await receive(taskId);
    const answer = await reportAsTaskEnds(message, { kind: 'claimed', claimedAt: new Date().toISOString() });
    expect(answer).toEqual({ stale: true });
    const task = await get(taskId);
    expect(task.steps).toEqual([expect.objectContaining({ stepId: 'research', status: 'CANCELLED' })]);
    expect(task.attempts).toEqual([
      expect.objectContaining({ attempt: 1, status: 'CANCELLED', worker: 'host-1-late' }),
    ]);
  });

  it("the Lambda Invoke endpoint serves only the stack's functions", async () => {
    await expect(
      lambda.send(new InvokeCommand({ FunctionName: 'not-a-stepwise-function', Payload: '{}' })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('registration refuses a worker type the deployment does not declare, naming steps[i].workerType', async () => {
    const { status, body } = await register([agent({ workerType: 'undeclared' })]);
    expect(status).toBe(400);
    expect(body).toMatchObject({ details: [expect.objectContaining({ field: 'steps[0].workerType' })] });
  });

  it('registration answers a worker type reserved for another org exactly as one not declared', async () => {
    const closed = await register([agent({ workerType: 'closed-type' })]);
    const undeclared = await register([agent({ workerType: 'undeclared' })]);
    expect(closed.status).toBe(400);
    // Nothing tells the org that closed-type exists for someone else.
    const answer = (reply: { id: string; body: unknown }, type: string) =>
      JSON.stringify(reply.body).replaceAll(reply.id, '<id>').replaceAll(type, '<type>');
    expect(answer(closed, 'closed-type')).toBe(answer(undeclared, 'undeclared'));
    expect(closed.body).toMatchObject({
      message: expect.stringContaining('worker type closed-type is not declared for this organization'),
    });
  });
});

describe('the company_research example', () => {
  it('runs to SUCCEEDED with its example input, one research attempt per company, each by its worker', async () => {
    const definition = JSON.parse(
      readFileSync(new URL('../../examples/workflows/company_research.json', import.meta.url), 'utf8'),
    );
    const id = `company_research_${randomUUID().slice(0, 8)}`;
    // Its agent step pointed at this suite's worker type.
    definition.steps[0].steps[0].workerType = TYPE;
    expect((await call('POST', '/workflows', { ...definition, id })).status).toBe(201);
    const input = (await readExampleInput('company_research')) as { companies: { name: string }[] };
    const started = await call<{ taskId: string }>('POST', '/tasks', { workflowId: id, input });
    const { taskId } = started.body;
    for (let i = 0; i < input.companies.length; i++) {
      const message = await receive(taskId);
      const worker = `host-${message.step.mapIndex}-cafe`;
      expect(await claim(message, worker)).toEqual({ attempt: 1 });
      const company = message.input.company as { name: string };
      await finish(message, worker, 'SUCCEEDED');
      await sfn.send(
        new SendTaskSuccessCommand({
          taskToken: message.taskToken,
          output: JSON.stringify({ lead: `${company.name} CPO` }),
        }),
      );
    }
    const task = await ended(taskId);
    expect(task.status).toBe('SUCCEEDED');
    expect((task.output?.rank?.output as { findings?: unknown[] } | undefined)?.findings).toEqual(
      expect.arrayContaining(input.companies.map((company) => ({ lead: `${company.name} CPO` }))),
    );
    // By map iteration: the API lists attempts in start order, and the messages may come in either order.
    const research = task.attempts
      .filter((attempt) => attempt.stepId === 'research_company')
      .sort((a, b) => (a.mapIndex ?? 0) - (b.mapIndex ?? 0));
    expect(research).toEqual(
      input.companies.map((_, index) =>
        expect.objectContaining({ status: 'SUCCEEDED', worker: `host-${index}-cafe` }),
      ),
    );
  });
});
