// A worker that goes silent while it holds a step: the sweeper (every second here, DEAD after 4 s) marks it
// DEAD, fails its token with Worker.Lost so Step Functions retries the step at once (long before the step's
// HeartbeatSeconds), records the lost attempt, and publishes a CRITICAL alert that reaches a queue
// subscribed to the critical topic. The test plays both workers: the first claims the step (message,
// agentReports, worker item) and then says nothing more; the second takes the retry and completes it.
// Needs the embedded stack's queues and topics: skipped against a deployment.
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, inject, it } from 'vitest';
import { tokenIdOf } from '../../functions/shared/workers/agent-attempts';
import { LOCAL_AWS } from '../../local/settings';
import { localClients } from '../support/aws-clients';
import { subscribedQueue } from '../support/subscribed-queue';
import { registerWorkflow, request, waitForTask } from './http-client';

const stack = inject('stack');
const TYPE = 'sweeper-e2e';
/** Far beyond the few seconds recovery takes here: a retry before it came from Worker.Lost. */
const HEARTBEAT_SECONDS = 60;

interface AgentMessage {
  taskToken: string;
  workerType: string;
  task: { id: string; orgId: string };
  step: { id: string; mapIndex?: number };
}

const clients = stack && localClients(stack);
const lambda =
  stack &&
  new LambdaClient({ region: stack.region, credentials: LOCAL_AWS.credentials, endpoint: stack.lambda });

/** The embedded stack's endpoints and clients (the suite is skipped without them). */
function local() {
  if (!stack || !clients || !lambda) throw new Error('needs the embedded stack');
  return { endpoints: stack, lambda, ...clients };
}

describe.skipIf(!stack)('a silent worker', () => {
  async function receive(taskId: string, timeoutMs: number): Promise<AgentMessage> {
    const { endpoints, sqs } = local();
    const QueueUrl = endpoints.workerQueueUrls[TYPE] ?? '';
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      for (const message of Messages) {
        const body = JSON.parse(message.Body ?? '{}') as AgentMessage;
        if (body.task?.id !== taskId) continue;
        await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: message.ReceiptHandle }));
        return body;
      }
    }
    throw new Error(`no message for task ${taskId} within ${timeoutMs} ms`);
  }

  async function report(payload: Record<string, unknown>): Promise<Record<string, unknown>> {
    const { endpoints, lambda } = local();
    const reply = await lambda.send(
      new InvokeCommand({ FunctionName: endpoints.agentReportsFunction, Payload: JSON.stringify(payload) }),
    );
    return JSON.parse(Buffer.from(reply.Payload ?? []).toString()) as Record<string, unknown>;
  }

  const reportFields = (message: AgentMessage, workerId: string) => ({
    workerId,
    workerType: TYPE,
    taskToken: message.taskToken,
    task: { id: message.task.id, orgId: message.task.orgId },
    step: message.step,
  });

  it('becomes DEAD, its step fails fast with Worker.Lost and succeeds on another worker, and the alert reaches the critical topic', async () => {
    const { endpoints, sqs, sns, sfn, documents } = local();
    const alerts = await subscribedQueue(
      { sqs, sns },
      endpoints.topicArns.critical ?? '',
      'dead-worker-alerts',
    );
    const workflowId = await registerWorkflow({
      id: 'dead_worker',
      version: 1,
      name: 'dead worker',
      steps: [
        {
          id: 'research',
          type: 'agent',
          workerType: TYPE,
          heartbeatSeconds: HEARTBEAT_SECONDS,
          timeoutSeconds: 300,
        },
      ],
    });
    const started = await request<{ taskId: string }>('POST', '/tasks', { workflowId, input: {} });
    expect(started.status).toBe(201);
    const { taskId } = started.body;

    // The first worker claims the step, registers it in flight, and is never heard of again.
    const lost = await receive(taskId, 20_000);
    const silentId = `e2e-host-${process.pid}-dead`;
    const claimedAt = new Date().toISOString();
    expect(await report({ kind: 'claimed', ...reportFields(lost, silentId), claimedAt })).toEqual({
      attempt: 1,
    });
    await documents.send(
      new PutCommand({
        TableName: endpoints.tableName,
        Item: {
          pk: `WORKER#${TYPE}`,
          sk: silentId,
          workerId: silentId,
          type: TYPE,
          host: 'e2e-host',
          pid: process.pid,
          version: '0.1.0',
          concurrency: 1,
          status: 'BUSY',
          inFlight: [
            {
              taskToken: lost.taskToken,
              tokenId: tokenIdOf(lost.taskToken),
              taskId,
              orgId: lost.task.orgId,
              stepId: lost.step.id,
              claimedAt,
            },
          ],
          startedAt: claimedAt,
          lastHeartbeatAt: claimedAt,
          processed: 0,
          failed: 0,
          busyMs: 0,
          expiresAt: Math.floor(Date.now() / 1000) + 86_400,
        },
      }),
    );
    const silentSince = Date.now();

    // Step Functions retries on Worker.Lost: the step's message comes again, well before HeartbeatSeconds.
    const retried = await receive(taskId, 30_000);
    expect(Date.now() - silentSince).toBeLessThan(HEARTBEAT_SECONDS * 1000);
    expect(retried.taskToken).not.toBe(lost.taskToken);
    const rescuer = `e2e-host-${process.pid}-rescuer`;
    expect(
      await report({
        kind: 'claimed',
        ...reportFields(retried, rescuer),
        claimedAt: new Date().toISOString(),
      }),
    ).toEqual({
      attempt: 2,
    });
    // As the SDK does: the report first, then the answer to Step Functions.
    await report({
      kind: 'finished',
      ...reportFields(retried, rescuer),
      status: 'SUCCEEDED',
      endedAt: new Date().toISOString(),
    });
    await sfn.send(
      new SendTaskSuccessCommand({ taskToken: retried.taskToken, output: JSON.stringify({ found: 'Acme' }) }),
    );

    const task = await waitForTask(taskId, 30_000);
    expect(task.status).toBe('SUCCEEDED');
    const attempts = (task.attempts as (TaskAttempt & { stepId: string })[]).filter(
      (attempt) => attempt.stepId === 'research',
    );
    expect(attempts).toEqual([
      expect.objectContaining({ attempt: 1, status: 'ABORTED', error: 'Worker.Lost', worker: silentId }),
      expect.objectContaining({ attempt: 2, status: 'SUCCEEDED', worker: rescuer }),
    ]);
    expect(attempts[0]?.cause).toMatch(new RegExp(`worker ${silentId}: no heartbeat for \\d+ s`));

    const dead = await request('GET', `/admin/workers/dead?type=${TYPE}`);
    expect(JSON.stringify(dead.body)).not.toContain(lost.taskToken);
    expect(dead.body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ workerId: silentId, status: 'DEAD', deadAt: expect.any(String) }),
      ]),
    );

    const alert = await alertFor(alerts, silentId);
    expect(alert.Subject).toBe(`[CRITICAL] Worker ${silentId} (${TYPE}) is dead`);
    expect(alert.MessageAttributes).toMatchObject({
      severity: { Value: 'CRITICAL' },
      kind: { Value: 'WORKER_DEAD' },
      org: { Value: lost.task.orgId },
    });
    expect(JSON.parse(alert.Message)).toMatchObject({
      severity: 'CRITICAL',
      kind: 'WORKER_DEAD',
      worker: silentId,
      type: TYPE,
      inFlight: 1,
      lastHeartbeatAt: claimedAt,
    });
    expect(alert.Message).not.toContain(lost.taskToken);
  });

  interface Notification {
    Subject: string;
    Message: string;
    MessageAttributes: Record<string, { Value: string }>;
  }

  /** The alert naming `workerId` among the notifications the subscribed queue received. */
  async function alertFor(queueUrl: string, workerId: string): Promise<Notification> {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const { Messages = [] } = await local().sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      const found = Messages.map((message) => JSON.parse(message.Body ?? '{}') as Notification).find((n) =>
        n.Subject?.includes(workerId),
      );
      if (found) return found;
    }
    throw new Error(`no alert for ${workerId}`);
  }
});

interface TaskAttempt {
  attempt: number;
  status: string;
  error?: string;
  cause?: string;
  worker?: string;
}
