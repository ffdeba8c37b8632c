// Approvals on the embedded stack, where the e2e suite cannot look: the INFO notification on the info
// topic (its filterable attributes, its readable body, no task token), the token kept on the server
// only, and the approval list paged newest first with signed cursors.

import { randomUUID } from 'node:crypto';
import { SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { DynamoApprovalStore } from '../../functions/shared/approvals/approval-store';
import { requestApproval } from '../../functions/shared/approvals/request-approval';
import {
  SfnTaskCallbacks,
  type TaskCallbacks,
  TaskTokenClosedError,
} from '../../functions/shared/approvals/task-callbacks';
import { GetCommand, PutCommand } from '../../functions/shared/clients/table-commands';
import { stepFunctionsExecutions } from '../../functions/shared/executions/step-functions-executions';
import { reconcileTasks } from '../../functions/shared/tasks/task-service';
import { DynamoTaskStore } from '../../functions/shared/tasks/task-store';
import { apiClient } from '../support/api-request';
import { localClients, stepwiseClients } from '../support/aws-clients';

const endpoints = inject('endpoints');
const credentials = inject('credentials');
const request = apiClient(endpoints.api, credentials.apiKey);
const { sqs, sns, sfn, documents, dynamodb } = localClients(endpoints);
const RUN = Date.now().toString(36);

afterAll(() => {
  for (const client of [sqs, sns, sfn, dynamodb]) client.destroy();
});

async function infoQueue(): Promise<string> {
  const { QueueUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: `approvals-info-${RUN}` }));
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  await sns.send(
    new SubscribeCommand({
      TopicArn: endpoints.topicArns.info,
      Protocol: 'sqs',
      Endpoint: Attributes?.QueueArn,
    }),
  );
  return QueueUrl;
}

async function startApprovalTask(workflowId: string): Promise<string> {
  const started = await request<{ taskId: string }>('POST', '/tasks', { workflowId });
  expect(started.status).toBe(201);
  return started.body.taskId;
}

async function register(id: string): Promise<string> {
  const workflowId = `${id}_${RUN}`;
  const registered = await request('POST', '/workflows', {
    id: workflowId,
    version: 1,
    name: 'approval',
    steps: [
      {
        id: 'review',
        type: 'approval',
        approvers: ['ADMIN'],
        message: 'Send the invoices?',
        timeoutSeconds: 600,
        continueOnError: true,
      },
    ],
  });
  expect(registered.status).toBe(201);
  return workflowId;
}

describe('approval requests on the embedded stack', () => {
  it('notify the info topic with INFO APPROVAL_REQUESTED of the org, saying how to decide, without the token', async () => {
    const queueUrl = await infoQueue();
    const taskId = await startApprovalTask(await register('notify'));
    let notification:
      | { Message: string; Subject: string; MessageAttributes: Record<string, { Value: string }> }
      | undefined;
    for (let tries = 0; tries < 10 && !notification; tries++) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 2 }),
      );
      notification = Messages.map((m) => JSON.parse(m.Body ?? '{}')).find((n) =>
        String(n.Message).includes(taskId),
      );
    }
    expect(notification, 'an approval notification').toBeDefined();
    expect(notification?.Subject).toBe(`Approval needed: notify_${RUN} step review`);
    expect(notification?.MessageAttributes).toMatchObject({
      severity: { Value: 'INFO' },
      kind: { Value: 'APPROVAL_REQUESTED' },
      org: { Value: credentials.orgId },
    });
    const body = JSON.parse(notification?.Message ?? '{}');
    // The sqs form of the per-protocol message: JSON that says it is no alert.
    expect(body).toMatchObject({
      type: 'stepwise.approval-requested',
      severity: 'INFO',
      kind: 'APPROVAL_REQUESTED',
      org: credentials.orgId,
      task: { id: taskId },
      step: { id: 'review' },
      message: 'Send the invoices?',
      decide: { method: 'POST', path: `/tasks/${taskId}/approvals/review` },
    });
    expect(body.summary).toContain(`POST /tasks/${taskId}/approvals/review`);

    const { Item } = await documents.send(
      new GetCommand({
        TableName: endpoints.tableName,
        Key: { pk: `TASK#${taskId}`, sk: 'APPROVAL#review' },
      }),
    );
    // The waiting step is RUNNING but out of the open-step index the STUCK view reads: it waits for a person.
    const { Item: step } = await documents.send(
      new GetCommand({ TableName: endpoints.tableName, Key: { pk: `TASK#${taskId}`, sk: 'STEP#review' } }),
    );
    expect(step).toMatchObject({ status: 'RUNNING', stepType: 'approval' });
    expect(step?.gsi1pk).toBeUndefined();
    const token = String(Item?.taskToken);
    expect(token.length).toBeGreaterThan(20);
    expect(notification?.Message).not.toContain(token);
    expect(JSON.stringify(notification)).not.toContain(token);
    const decided = await request('POST', `/tasks/${taskId}/approvals/review`, { decision: 'reject' });
    expect(decided.status).toBe(200);
    expect(JSON.stringify(decided.body)).not.toContain(token);
  });

  it('list newest first, a page at a time, with cursors bound to the status', async () => {
    const workflowId = await register('paged');
    const taskIds: string[] = [];
    for (let i = 0; i < 3; i++) {
      taskIds.push(await startApprovalTask(workflowId));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const pending = async (path: string) =>
      (await request<{ items: { taskId: string }[]; cursor?: string }>('GET', path)).body;
    await expect
      .poll(
        async () => {
          const { items } = await pending('/approvals?status=PENDING&limit=100');
          return taskIds.every((id) => items.some((item) => item.taskId === id));
        },
        { timeout: 15_000 },
      )
      .toBe(true);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await pending(
        `/approvals?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(page.items.length).toBeLessThanOrEqual(1);
      seen.push(...page.items.map((item) => item.taskId));
      cursor = page.cursor;
    } while (cursor && seen.length < 200);
    const ours = seen.filter((id) => taskIds.includes(id));
    expect(ours).toEqual([...taskIds].reverse());

    const first = await pending('/approvals?status=PENDING&limit=1');
    const other = await request(
      'GET',
      `/approvals?status=APPROVED&cursor=${encodeURIComponent(first.cursor ?? '')}`,
    );
    expect(other.status).toBe(400);
    expect(other.body).toMatchObject({ details: [{ field: 'cursor' }] });
    for (const taskId of taskIds) {
      await request('POST', `/tasks/${taskId}/approvals/review`, { decision: 'reject' });
    }
  });
});

describe('SfnTaskCallbacks against the local Step Functions endpoint', () => {
  const callbacks = new SfnTaskCallbacks(stepwiseClients(endpoints).sfn);

  it('reports a token whose wait is over (or never was) as TaskTokenClosed', async () => {
    const unknown = `AQ${'A'.repeat(64)}`;
    await expect(callbacks.succeed(unknown, {})).rejects.toBeInstanceOf(TaskTokenClosedError);
    await expect(callbacks.fail(unknown, 'Approval.Rejected', 'no')).rejects.toBeInstanceOf(
      TaskTokenClosedError,
    );
  });

  it('rethrows any other refusal by name, without the token in its message', async () => {
    const malformed = 'not-a-token-but-secret';
    const error = await callbacks.succeed(malformed, {}).then(
      () => undefined,
      (caught: unknown) => caught as Error,
    );
    expect(error).toMatchObject({ name: 'InvalidToken' });
    expect(error?.message).not.toContain(malformed);
  });
});

describe('an approval requested as its task is cancelled', () => {
  // The request checks the task, then writes the step's RUNNING record: a cancel settling in between
  // found no open step to close, nor a PENDING approval to expire. The record's write sees the ended task.
  it('expires the approval and closes its step with the task', async () => {
    const tasks = new DynamoTaskStore(documents, endpoints.tableName);
    const approvals = new DynamoApprovalStore(documents, endpoints.tableName);
    const taskId = randomUUID();
    const createdAt = new Date().toISOString();
    await tasks.create({
      taskId,
      orgId: 'org-approvals',
      workflowId: 'wf',
      workflowVersion: 1,
      status: 'RUNNING',
      input: {},
      executionArn: `arn:aws:states:us-east-1:000000000000:execution:wf:${taskId}`,
      createdAt,
      updatedAt: createdAt,
    });
    const record = tasks.recordRunningAttempt.bind(tasks);
    tasks.recordRunningAttempt = async (start) => {
      const at = new Date().toISOString();
      await tasks.settle({ taskId, orgId: 'org-approvals' }, { status: 'CANCELLED', at, settledAt: at });
      return record(start);
    };
    const result = await requestApproval(
      {
        kind: 'approval',
        task: { id: taskId, orgId: 'org-approvals', workflowId: 'wf', workflowVersion: 1 },
        step: { id: 'review', type: 'approval' },
        taskToken: 'token',
        approvers: ['ADMIN'],
        message: 'Ship it?',
        timeoutSeconds: 600,
        onTimeout: 'fail',
      },
      { approvals, tasks, notifier: { approvalRequested: async () => undefined }, now: () => new Date() },
    );
    expect(result).toEqual({ status: 'EXPIRED' });
    expect(await approvals.get({ taskId, stepId: 'review' })).toMatchObject({ status: 'EXPIRED' });
    expect(await tasks.getStep(taskId, 'review')).toMatchObject({
      status: 'CANCELLED',
      history: [{ attempt: 1, status: 'CANCELLED' }],
    });
  });
});

// The decision route writes the decision, then tells Step Functions. A SIGKILL of the local stack between
// the two (seen in a restart probe: the client's retry was a 409 "already APPROVED") left the step waiting
// until its deadline, and the task FAILED with Approval.Rejected while its approval read APPROVED. The
// reconciler now hands such a decision over once it is a minute old.
describe('a decision written but never handed to Step Functions', () => {
  const approvals = new DynamoApprovalStore(documents, endpoints.tableName);
  const tasks = new DynamoTaskStore(documents, endpoints.tableName);
  const { sfn: stepwiseSfn } = stepwiseClients(endpoints);

  /** A task of a workflow whose `review` approval comes first, `then` after it, waiting for its decision. */
  async function waitingForReview(workflowId: string, name: string, then: Record<string, unknown>) {
    const registered = await request('POST', '/workflows', {
      id: workflowId,
      version: 1,
      name,
      steps: [
        { id: 'review', type: 'approval', approvers: ['ADMIN'], message: 'Ship it?', timeoutSeconds: 600 },
        { ...then, dependsOn: ['review'] },
      ],
    });
    expect(registered.status).toBe(201);
    const taskId = await startApprovalTask(workflowId);
    await expect
      .poll(async () => (await approvals.get({ taskId, stepId: 'review' }))?.status, { timeout: 15_000 })
      .toBe('PENDING');
    return taskId;
  }

  /** One reconciler run over this task alone, at `now`, answering Step Functions through `callbacks`. */
  const reconcileOnly = (taskId: string, now: () => Date, callbacks: TaskCallbacks) =>
    reconcileTasks(
      {
        tasks,
        executions: stepFunctionsExecutions(stepwiseSfn),
        now,
        due: (task) => task.taskId === taskId,
        approvals,
        callbacks,
      },
      0,
    );

  it('reaches the waiting step through the reconciler: the task goes on as decided, its attempt closed with it', async () => {
    const taskId = await waitingForReview(`lost_decision_${RUN}`, 'approval then publish', {
      id: 'publish',
      type: 'transform',
      params: { expression: "{ 'by': review.output.decidedBy }", 'data.$': '$.steps' },
    });
    const approval = await approvals.get({ taskId, stepId: 'review' });
    if (!approval) throw new Error('no approval');
    // What the route wrote before it was killed: the decision, two minutes ago; nothing sent.
    const decidedAt = new Date(Date.now() - 120_000).toISOString();
    expect(
      await approvals.decide(approval, {
        status: 'APPROVED',
        decision: 'approve',
        decidedBy: 'reviewer-1',
        decidedAt,
      }),
    ).toBe(true);

    const report = await reconcileOnly(taskId, () => new Date(), new SfnTaskCallbacks(stepwiseSfn));
    expect(report.failed).toBe(0);
    await expect
      .poll(async () => (await tasks.getAnyOrg(taskId))?.status, { timeout: 15_000 })
      .toBe('SUCCEEDED');
    expect(await tasks.getStep(taskId, 'review')).toMatchObject({
      status: 'SUCCEEDED',
      history: [{ attempt: 1, status: 'SUCCEEDED', decision: 'approve', decidedBy: 'reviewer-1' }],
    });
    expect((await tasks.getStep(taskId, 'publish'))?.status).toBe('SUCCEEDED');
    expect(await approvals.get({ taskId, stepId: 'review' })).toMatchObject({
      status: 'APPROVED',
      deliveredAt: expect.any(String),
    });
  });

  it('is not sent again once the route handed it over: the approval says it was delivered', async () => {
    const taskId = await waitingForReview(`delivered_decision_${RUN}`, 'approval then a long wait', {
      id: 'pause',
      type: 'wait',
      seconds: 600,
    });
    const decided = await request('POST', `/tasks/${taskId}/approvals/review`, { decision: 'approve' });
    expect(decided.status).toBe(200);
    expect((await approvals.get({ taskId, stepId: 'review' }))?.deliveredAt).toEqual(expect.any(String));

    // Two minutes on, the task still waits in `pause`: the reconciler leaves the decision alone.
    const sent: string[] = [];
    const report = await reconcileOnly(taskId, () => new Date(Date.now() + 120_000), {
      succeed: async (token) => void sent.push(token),
      fail: async (token) => void sent.push(token),
    });
    expect(report.failed).toBe(0);
    expect(sent).toEqual([]);
    await request('POST', `/tasks/${taskId}/cancel`);
  });
});

describe('an approval an earlier version wrote, without the task-by-status index keys (gsi2)', () => {
  const approvals = new DynamoApprovalStore(documents, endpoints.tableName);

  /** A PENDING approval as stored before GET /tasks/{id}/approvals?status= existed: gsi1 keys only. */
  async function olderApproval(stepId: string) {
    const taskId = randomUUID();
    const approval = {
      taskId,
      stepId,
      orgId: `older-${RUN}`,
      workflowId: 'older',
      workflowVersion: 1,
      attempt: 1,
      approvers: ['ADMIN'],
      message: 'Ship it?',
      onTimeout: 'reject' as const,
      status: 'PENDING' as const,
      requestedAt: new Date().toISOString(),
      deadline: new Date(Date.now() + 600_000).toISOString(),
      taskToken: `token-${taskId}`,
    };
    await documents.send(
      new PutCommand({
        TableName: endpoints.tableName,
        Item: {
          pk: `TASK#${taskId}`,
          sk: `APPROVAL#${stepId}`,
          type: 'Approval',
          ...approval,
          gsi1pk: `ORG#${approval.orgId}#APPROVALS#PENDING`,
          gsi1sk: `${approval.requestedAt}#${taskId}#${stepId}`,
        },
      }),
    );
    return approval;
  }

  const listed = async (taskId: string, status: 'PENDING' | 'APPROVED' | 'REJECTED' | 'EXPIRED') =>
    (await approvals.listForTask(taskId, 10, undefined, status)).items.map((item) => item.stepId);

  it('is listed by its new status once decided', async () => {
    const approval = await olderApproval('review');
    expect(
      await approvals.decide(approval, {
        status: 'APPROVED',
        decision: 'approve',
        decidedBy: 'reviewer-1',
        decidedAt: new Date().toISOString(),
      }),
    ).toBe(true);
    expect(await listed(approval.taskId, 'APPROVED')).toEqual(['review']);
  });

  it('is listed by its new status once expired, and again once reopened', async () => {
    const expired = await olderApproval('review');
    expect(await approvals.expire(expired, new Date().toISOString(), { status: 'PENDING' })).toBe(true);
    expect(await listed(expired.taskId, 'EXPIRED')).toEqual(['review']);

    const reopened = await olderApproval('check');
    const decidedAt = new Date().toISOString();
    await approvals.decide(reopened, { status: 'REJECTED', decision: 'reject', decidedBy: 'r', decidedAt });
    expect(await approvals.reopen(reopened, { status: 'REJECTED', decidedAt })).toBe(true);
    expect(await listed(reopened.taskId, 'PENDING')).toEqual(['check']);
  });
});
