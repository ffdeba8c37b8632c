// The approval domain with in-memory stores and fake Step Functions callbacks: the step runner's request
// (idempotent under retried invocations), the decision (who, once, and what Step Functions is told), and
// the expiry of an undecided approval.
import { beforeEach, describe, expect, it } from 'vitest';
import type { Approval } from '../../../functions/shared/approvals/approval';
import { decideApproval } from '../../../functions/shared/approvals/decide-approval';
import {
  type ApprovalNotifier,
  approvalRequestedNotification,
} from '../../../functions/shared/approvals/notify-approval';
import {
  closeUndecidedApproval,
  requestApproval,
} from '../../../functions/shared/approvals/request-approval';
import { type TaskCallbacks, TaskTokenClosedError } from '../../../functions/shared/approvals/task-callbacks';
import type { Identity } from '../../../functions/shared/auth/identity';
import type { ApprovalStepPayload, RecordStepPayload } from '../../../functions/shared/steps/step-payload';
import type { Task } from '../../../functions/shared/tasks/task';
import { InMemoryTaskStore } from '../tasks/in-memory-task-store';
import { InMemoryApprovalStore } from './in-memory-approval-store';

const TASK = { id: 't1', orgId: 'acme', workflowId: 'publish', workflowVersion: 2 };
const KEY = { taskId: 't1', stepId: 'review' };
const RUNNING_TASK: Task = {
  taskId: TASK.id,
  orgId: TASK.orgId,
  workflowId: TASK.workflowId,
  workflowVersion: TASK.workflowVersion,
  status: 'RUNNING',
  input: {},
  executionArn: 'arn:aws:states:us-east-1:123456789012:execution:w:t1',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

const request = (taskToken = 'token-1', extra: Partial<ApprovalStepPayload> = {}): ApprovalStepPayload => ({
  kind: 'approval',
  task: TASK,
  step: { id: 'review', type: 'approval' },
  taskToken,
  approvers: ['MEMBER', 'user-7'],
  message: 'Publish?',
  timeoutSeconds: 3600,
  onTimeout: 'reject',
  ...extra,
});

const identity = (role: Identity['role'], principal = 'someone', orgId = TASK.orgId): Identity => ({
  orgId,
  role,
  principal,
  method: 'api-key',
});

let approvals: InMemoryApprovalStore;
let tasks: InMemoryTaskStore;
let notified: Approval[];
let sent: { kind: 'succeed' | 'fail'; token: string; output?: unknown; error?: string; cause?: string }[];
let callbackFailure: Error | undefined;
let clock: number;

const notifier: ApprovalNotifier = {
  approvalRequested: async (approval) => {
    notified.push(approval);
  },
};
const callbacks: TaskCallbacks = {
  succeed: async (token, output) => {
    if (callbackFailure) throw callbackFailure;
    sent.push({ kind: 'succeed', token, output });
  },
  fail: async (token, error, cause) => {
    if (callbackFailure) throw callbackFailure;
    sent.push({ kind: 'fail', token, error, cause });
  },
};
const now = () => new Date(Date.parse('2026-03-02T09:00:00.000Z') + clock);
const requestDeps = () => ({ approvals, tasks, notifier, now });
const decideDeps = () => ({ approvals, tasks, callbacks, now });

beforeEach(async () => {
  approvals = new InMemoryApprovalStore();
  tasks = new InMemoryTaskStore();
  notified = [];
  sent = [];
  callbackFailure = undefined;
  clock = 0;
  await tasks.create(RUNNING_TASK);
});

describe('requestApproval', () => {
  it('stores a PENDING approval with its deadline, records the waiting attempt RUNNING and notifies once', async () => {
    expect(await requestApproval(request(), requestDeps())).toEqual({ status: 'PENDING' });
    expect(await approvals.get(KEY)).toMatchObject({
      status: 'PENDING',
      attempt: 1,
      requestedAt: '2026-03-02T09:00:00.000Z',
      deadline: '2026-03-02T10:00:00.000Z',
      taskToken: 'token-1',
      notifiedAt: '2026-03-02T09:00:00.000Z',
    });
    const step = await tasks.getStep('t1', 'review');
    expect(step).toMatchObject({ status: 'RUNNING', attempts: 1, stepType: 'approval' });
    expect(step?.history[0]).toMatchObject({
      attempt: 1,
      status: 'RUNNING',
      startedAt: '2026-03-02T09:00:00.000Z',
    });
    expect(notified).toHaveLength(1);
    expect(notified[0]).toMatchObject({ taskId: 't1', stepId: 'review', approvers: ['MEMBER', 'user-7'] });
  });

  it('takes the new token of a retried invocation without a second attempt or notification', async () => {
    await requestApproval(request('token-1'), requestDeps());
    clock = 5_000;
    await requestApproval(request('token-2'), requestDeps());
    expect((await approvals.get(KEY))?.taskToken).toBe('token-2');
    expect((await approvals.get(KEY))?.requestedAt).toBe('2026-03-02T09:00:00.000Z');
    expect((await tasks.getStep('t1', 'review'))?.attempts).toBe(1);
    expect(notified).toHaveLength(1);
  });

  it('keeps the token of an approval already decided', async () => {
    await requestApproval(request('token-1'), requestDeps());
    await decideApproval(identity('ADMIN'), KEY, { decision: 'approve' }, decideDeps());
    expect(await requestApproval(request('token-2'), requestDeps())).toEqual({ status: 'APPROVED' });
    expect((await approvals.get(KEY))?.taskToken).toBe('token-1');
  });

  it('refuses to wait for a task that already ended', async () => {
    await tasks.settle(
      { taskId: 't1', orgId: 'acme' },
      {
        status: 'CANCELLED',
        at: '2026-03-02T08:00:00.000Z',
        settledAt: '2026-03-02T08:00:00.000Z',
      },
    );
    await expect(requestApproval(request(), requestDeps())).rejects.toMatchObject({ name: 'TaskEnded' });
    expect(await approvals.get(KEY)).toBeUndefined();
  });

  it('keys map iterations apart', async () => {
    await requestApproval(
      request('a', { step: { id: 'review', type: 'approval', mapIndex: 0 } }),
      requestDeps(),
    );
    await requestApproval(
      request('b', { step: { id: 'review', type: 'approval', mapIndex: 1 } }),
      requestDeps(),
    );
    expect((await approvals.get({ ...KEY, mapIndex: 0 }))?.taskToken).toBe('a');
    expect((await approvals.get({ ...KEY, mapIndex: 1 }))?.taskToken).toBe('b');
    expect(notified).toHaveLength(2);
  });
});

describe('decideApproval', () => {
  beforeEach(async () => {
    await requestApproval(request(), requestDeps());
    clock = 90_000;
  });

  it('approves: tells Step Functions the decision, closes the waiting attempt with who decided', async () => {
    const decided = await decideApproval(
      identity('MEMBER', 'user-7'),
      KEY,
      { decision: 'approve', comment: 'fine' },
      decideDeps(),
    );
    const output = {
      decision: 'approve',
      comment: 'fine',
      decidedBy: 'user-7',
      decidedAt: '2026-03-02T09:01:30.000Z',
    };
    expect(decided).toMatchObject({ status: 'APPROVED', ...output });
    expect(decided).not.toHaveProperty('taskToken');
    expect(sent).toEqual([{ kind: 'succeed', token: 'token-1', output }]);
    const step = await tasks.getStep('t1', 'review');
    expect(step?.status).toBe('SUCCEEDED');
    expect(step?.history[0]).toMatchObject({
      status: 'SUCCEEDED',
      endedAt: '2026-03-02T09:01:30.000Z',
      durationMs: 90_000,
      decidedBy: 'user-7',
      decision: 'approve',
    });
  });

  it('rejects: fails the task token with Approval.Rejected, the comment as cause (or who rejected)', async () => {
    await decideApproval(identity('OWNER', 'boss'), KEY, { decision: 'reject' }, decideDeps());
    expect(sent).toEqual([
      { kind: 'fail', token: 'token-1', error: 'Approval.Rejected', cause: 'Rejected by boss' },
    ]);
    expect((await tasks.getStep('t1', 'review'))?.history[0]).toMatchObject({
      status: 'FAILED',
      error: 'Approval.Rejected',
      decidedBy: 'boss',
      decision: 'reject',
    });
    expect((await approvals.get(KEY))?.status).toBe('REJECTED');
  });

  it.each([
    ['a MEMBER named by role', identity('MEMBER', 'anyone')],
    ['an ADMIN not named', identity('ADMIN', 'x')],
  ])('lets %s decide', async (_who, caller) => {
    await expect(decideApproval(caller, KEY, { decision: 'approve' }, decideDeps())).resolves.toMatchObject({
      status: 'APPROVED',
    });
  });

  it('refuses a MEMBER who is not an approver (403) and leaves the approval PENDING', async () => {
    await requestApproval(
      request('t', { step: { id: 'legal', type: 'approval' }, approvers: ['ADMIN', 'user-7'] }),
      requestDeps(),
    );
    const legal = { taskId: 't1', stepId: 'legal' };
    await expect(
      decideApproval(identity('MEMBER', 'user-8'), legal, { decision: 'approve' }, decideDeps()),
    ).rejects.toMatchObject({ statusCode: 403 });
    await expect(
      decideApproval(identity('MEMBER', 'user-7'), legal, { decision: 'approve' }, decideDeps()),
    ).resolves.toMatchObject({ status: 'APPROVED' });
    expect((await approvals.get(KEY))?.status).toBe('PENDING');
  });

  it("answers 404 for another org's approval and for none", async () => {
    await expect(
      decideApproval(identity('OWNER', 'x', 'other'), KEY, { decision: 'approve' }, decideDeps()),
    ).rejects.toMatchObject({ statusCode: 404 });
    await expect(
      decideApproval(identity('OWNER'), { ...KEY, mapIndex: 0 }, { decision: 'approve' }, decideDeps()),
    ).rejects.toMatchObject({ statusCode: 404 });
    expect(sent).toEqual([]);
  });

  it('answers 409 to a second decision, naming the first', async () => {
    await decideApproval(identity('ADMIN', 'first'), KEY, { decision: 'approve' }, decideDeps());
    await expect(
      decideApproval(identity('ADMIN', 'second'), KEY, { decision: 'reject' }, decideDeps()),
    ).rejects.toMatchObject({
      statusCode: 409,
      message: expect.stringContaining('already APPROVED by first'),
    });
    expect(sent).toHaveLength(1);
  });

  it('turns the approval EXPIRED and answers 409 when Step Functions says the wait is over', async () => {
    callbackFailure = new TaskTokenClosedError('Task Timed Out');
    await expect(
      decideApproval(identity('ADMIN'), KEY, { decision: 'approve' }, decideDeps()),
    ).rejects.toMatchObject({
      statusCode: 409,
      message: expect.stringContaining('expired'),
    });
    expect(await approvals.get(KEY)).toMatchObject({
      status: 'EXPIRED',
      expiredAt: '2026-03-02T09:01:30.000Z',
    });
    expect(await approvals.get(KEY)).not.toHaveProperty('decidedBy');
  });

  it('refuses a decision at or past the deadline (409, EXPIRED) without telling Step Functions anything', async () => {
    clock = 3_600_000;
    await expect(
      decideApproval(identity('ADMIN'), KEY, { decision: 'approve' }, decideDeps()),
    ).rejects.toMatchObject({
      statusCode: 409,
    });
    expect((await approvals.get(KEY))?.status).toBe('EXPIRED');
    expect(sent).toEqual([]);
    expect((await tasks.getStep('t1', 'review'))?.status).toBe('RUNNING');
  });

  it('puts the approval back to PENDING when Step Functions cannot be told, so the decision can be sent again', async () => {
    callbackFailure = new Error('ServiceUnavailable');
    await expect(
      decideApproval(identity('ADMIN'), KEY, { decision: 'approve' }, decideDeps()),
    ).rejects.toThrow('ServiceUnavailable');
    expect((await approvals.get(KEY))?.status).toBe('PENDING');
  });
});

describe('closeUndecidedApproval', () => {
  const failed: RecordStepPayload = {
    kind: 'record',
    task: TASK,
    step: { id: 'review', type: 'approval' },
    status: 'FAILED',
    error: 'Approval.Rejected',
    cause: 'expired: no decision within 2 s',
  };

  it('marks a PENDING approval EXPIRED when its step is recorded FAILED', async () => {
    await requestApproval(request(), requestDeps());
    await closeUndecidedApproval(failed, { approvals, now });
    expect((await approvals.get(KEY))?.status).toBe('EXPIRED');
  });

  it('keeps a decided approval as decided, and ignores other steps', async () => {
    await requestApproval(request(), requestDeps());
    await decideApproval(identity('ADMIN'), KEY, { decision: 'reject' }, decideDeps());
    await closeUndecidedApproval(failed, { approvals, now });
    await closeUndecidedApproval(
      { ...failed, step: { id: 'review', type: 'transform' } },
      { approvals, now },
    );
    expect((await approvals.get(KEY))?.status).toBe('REJECTED');
  });
});

describe('approvalRequestedNotification', () => {
  it('is an INFO APPROVAL_REQUESTED of the org, readable, saying how to decide, without the token', async () => {
    await requestApproval(
      request('secret-token', { step: { id: 'review', type: 'approval', mapIndex: 3 } }),
      requestDeps(),
    );
    const stored = await approvals.get({ ...KEY, mapIndex: 3 });
    const notification = approvalRequestedNotification(stored as Approval);
    expect(notification.attributes).toEqual({ severity: 'INFO', kind: 'APPROVAL_REQUESTED', org: 'acme' });
    expect(notification.subject).toBe('Approval needed: publish step review');
    expect(notification.json).toMatchObject({
      type: 'stepwise.approval-requested',
      severity: 'INFO',
      kind: 'APPROVAL_REQUESTED',
      message: 'Publish?',
      decide: { method: 'POST', path: '/tasks/t1/approvals/review?mapIndex=3' },
    });
    expect(notification.json.summary).toContain('Publish?');
    expect(notification.json.summary).toContain('POST /tasks/t1/approvals/review?mapIndex=3');
    expect(notification.email).toContain('POST /tasks/t1/approvals/review?mapIndex=3');
    expect(notification.email).not.toMatch(/[{]"?severity/);
    expect(notification.chat).toMatchObject({
      version: '1.0',
      source: 'custom',
      content: { textType: 'client-markdown', description: expect.stringContaining('Publish?') },
    });
    expect(JSON.stringify(notification)).not.toContain('secret-token');
  });
});
