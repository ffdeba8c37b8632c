// Approval steps over HTTP: a task waits at an `approval` step until an approver decides. Approve goes
// on with the decision as the step's output; reject fails the step with Approval.Rejected (continueOnError
// applies); no decision in time follows onTimeout. One decision per approval (409), approvers only (403),
// own org only (404), and the task token appears in no response.
import { describe, expect, it } from 'vitest';
import { api, registerWorkflow, request, type TaskDetail, waitForTask } from './http-client';

const POLL = { timeout: 15_000, interval: 100 };

interface ApprovalView {
  taskId: string;
  stepId: string;
  mapIndex?: number;
  status: string;
  approvers: string[];
  message: string;
  requestedAt: string;
  deadline: string;
  decision?: string;
  comment?: string;
  decidedBy?: string;
  decidedAt?: string;
}

interface TimelineAttempt {
  attempt: number;
  status: string;
  startedAt: string;
  endedAt?: string;
  durationMs?: number;
  error?: string;
  cause?: string;
  decidedBy?: string;
  decision?: string;
}

/** Every response an approval is visible in, collected so the token check covers them all. */
const seen: { what: string; body: unknown }[] = [];

async function call<T = Record<string, unknown>>(
  method: string,
  path: string,
  body?: unknown,
  apiKey?: string,
): Promise<{ status: number; body: T }> {
  const reply = await request<T>(method, path, body, apiKey === undefined ? {} : { apiKey });
  seen.push({ what: `${method} ${path}`, body: reply.body });
  return reply;
}

async function createKey(role: string): Promise<{ apiKey: string; keyId: string }> {
  const { status, body } = await request<{ apiKey: string; keyId: string }>('POST', '/api-keys', {
    name: `approvals e2e ${role}`,
    role,
  });
  if (status !== 201) throw new Error(`create key: ${status} ${JSON.stringify(body)}`);
  return body;
}

const approvalStep = (extra: Record<string, unknown> = {}) => ({
  id: 'review',
  type: 'approval',
  approvers: ['ADMIN'],
  message: 'Publish the quarterly report?',
  timeoutSeconds: 60,
  ...extra,
});
const after = {
  id: 'after',
  type: 'transform',
  dependsOn: ['review'],
  params: { expression: '$', 'data.$': '$.steps.review' },
};

async function start(workflowId: string, input: unknown = {}): Promise<string> {
  const { status, body } = await request<{ taskId: string }>('POST', '/tasks', { workflowId, input });
  if (status !== 201) throw new Error(`start ${workflowId}: ${status} ${JSON.stringify(body)}`);
  return body.taskId;
}

/** The task's PENDING approval of `stepId`, once the step runner has requested it. */
async function pendingApproval(taskId: string, stepId = 'review', mapIndex?: number): Promise<ApprovalView> {
  let found: ApprovalView | undefined;
  await expect
    .poll(async () => {
      const { body } = await call<{ items: ApprovalView[] }>('GET', '/approvals?status=PENDING&limit=100');
      found = body.items.find(
        (item) => item.taskId === taskId && item.stepId === stepId && item.mapIndex === mapIndex,
      );
      return found !== undefined;
    }, POLL)
    .toBe(true);
  return found as ApprovalView;
}

const decide = (taskId: string, body: unknown, apiKey?: string, query = '') =>
  call<ApprovalView & { error?: string; message?: string }>(
    'POST',
    `/tasks/${taskId}/approvals/review${query}`,
    body,
    apiKey,
  );

async function timelineOf(taskId: string) {
  const { body } = await call<{ steps: { stepId: string; status: string; attempts: TimelineAttempt[] }[] }>(
    'GET',
    `/tasks/${taskId}/timeline`,
  );
  return body;
}

describe('approval steps', () => {
  it('continues with the decision as the step output when an approver listed by user id approves', async () => {
    const approver = await createKey('MEMBER');
    const bystander = await createKey('MEMBER');
    const workflowId = await registerWorkflow({
      id: 'approve',
      version: 1,
      name: 'approve',
      steps: [approvalStep({ approvers: ['ADMIN', approver.keyId] }), after],
    });
    const taskId = await start(workflowId);
    const pending = await pendingApproval(taskId);
    expect(pending).toMatchObject({
      status: 'PENDING',
      approvers: ['ADMIN', approver.keyId],
      message: 'Publish the quarterly report?',
    });
    expect(Date.parse(pending.deadline) - Date.parse(pending.requestedAt)).toBe(60_000);
    // While it waits, the step's attempt is RUNNING: the request writes it right after the approval
    // (request-approval.ts), so the approval can be listed a moment before its attempt is on record.
    await expect
      .poll(async () => (await call<TaskDetail>('GET', `/tasks/${taskId}`)).body.steps, POLL)
      .toMatchObject([{ stepId: 'review', status: 'RUNNING', attempts: 1 }]);
    // The approval item (holding the token) shares the task's partition: every task read while it
    // waits goes to the token check below.
    for (const path of [`/tasks/${taskId}/timeline`, `/tasks/${taskId}/events`, `/admin/tasks/${taskId}`]) {
      expect((await call('GET', path)).status, path).toBe(200);
    }

    const forbidden = await decide(taskId, { decision: 'approve' }, bystander.apiKey);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.message).toContain('Only the approvers (ADMIN,');

    const decided = await decide(taskId, { decision: 'approve', comment: 'ship it' }, approver.apiKey);
    expect(decided.status, JSON.stringify(decided.body)).toBe(200);
    expect(decided.body).toMatchObject({
      taskId,
      stepId: 'review',
      status: 'APPROVED',
      decision: 'approve',
      comment: 'ship it',
      decidedBy: approver.keyId,
    });
    const again = await decide(taskId, { decision: 'reject' });
    expect(again.status).toBe(409);
    expect(again.body.message).toContain(`already APPROVED by ${approver.keyId}`);

    const task = await waitForTask(taskId);
    expect(task.status).toBe('SUCCEEDED');
    const detail = await call<TaskDetail & { output: { after: { output: unknown } } }>(
      'GET',
      `/tasks/${taskId}`,
    );
    const output = {
      decision: 'approve',
      comment: 'ship it',
      decidedBy: approver.keyId,
      decidedAt: decided.body.decidedAt,
    };
    // `after` read $.steps.review: the approval's result is the decision.
    expect(JSON.stringify(detail.body)).toContain(
      JSON.stringify({ status: 'SUCCEEDED', output }).slice(1, -1),
    );
    expect(detail.body.attempts.find((a) => a.stepId === 'review')).toMatchObject({
      status: 'SUCCEEDED',
      decidedBy: approver.keyId,
      decision: 'approve',
    });

    // The timeline shows the wait (request -> decision) and who decided.
    const review = (await timelineOf(taskId)).steps.find((s) => s.stepId === 'review');
    expect(review?.status).toBe('SUCCEEDED');
    expect(review?.attempts).toEqual([
      expect.objectContaining({
        status: 'SUCCEEDED',
        startedAt: pending.requestedAt,
        endedAt: decided.body.decidedAt,
        decidedBy: approver.keyId,
        decision: 'approve',
      }),
    ]);
    expect(review?.attempts[0]?.durationMs).toBe(
      Date.parse(decided.body.decidedAt ?? '') - Date.parse(pending.requestedAt),
    );
    await call('GET', `/tasks/${taskId}/events`);
    const approved = await call<{ items: ApprovalView[] }>('GET', '/approvals?status=APPROVED&limit=100');
    expect(approved.body.items.some((item) => item.taskId === taskId)).toBe(true);
  });

  it('fails the step with Approval.Rejected and the comment when an OWNER rejects', async () => {
    const workflowId = await registerWorkflow({
      id: 'reject',
      version: 1,
      name: 'reject',
      steps: [approvalStep(), after],
    });
    const taskId = await start(workflowId);
    await pendingApproval(taskId);
    const decided = await decide(taskId, { decision: 'reject', comment: 'numbers are off' });
    expect(decided.status).toBe(200);
    expect(decided.body).toMatchObject({ status: 'REJECTED', decision: 'reject' });
    expect((await decide(taskId, { decision: 'approve' })).status).toBe(409);
    const task = await waitForTask(taskId);
    expect(task).toMatchObject({ status: 'FAILED', error: 'Approval.Rejected', cause: 'numbers are off' });
    expect(task.steps.find((s) => s.stepId === 'review')).toMatchObject({
      status: 'FAILED',
      error: 'Approval.Rejected',
    });
    expect(task.steps.some((s) => s.stepId === 'after')).toBe(false);
    const review = (await timelineOf(taskId)).steps.find((s) => s.stepId === 'review');
    expect(review?.attempts).toEqual([
      expect.objectContaining({ status: 'FAILED', error: 'Approval.Rejected', decision: 'reject' }),
    ]);
  });

  it('goes on after a rejection with continueOnError, the step FAILED', async () => {
    const workflowId = await registerWorkflow({
      id: 'reject_continue',
      version: 1,
      name: 'reject and continue',
      steps: [approvalStep({ continueOnError: true }), after],
    });
    const taskId = await start(workflowId);
    await pendingApproval(taskId);
    expect((await decide(taskId, { decision: 'reject' })).status).toBe(200);
    const task = await waitForTask(taskId);
    expect(task.status).toBe('SUCCEEDED');
    expect(task.steps.map((s) => [s.stepId, s.status])).toEqual([
      ['review', 'FAILED'],
      ['after', 'SUCCEEDED'],
    ]);
  });

  it.each([
    ['reject', 'Approval.Rejected'],
    ['fail', 'Approval.Expired'],
  ])('expires without a decision: onTimeout %s fails the step with %s', async (onTimeout, error) => {
    const workflowId = await registerWorkflow({
      id: `expire_${onTimeout}`,
      version: 1,
      name: `expire ${onTimeout}`,
      steps: [approvalStep({ timeoutSeconds: 2, onTimeout })],
    });
    const taskId = await start(workflowId);
    await pendingApproval(taskId);
    const task = await waitForTask(taskId, 20_000);
    expect(task).toMatchObject({ status: 'FAILED', error, cause: 'expired: no decision within 2 s' });
    const expired = await call<{ items: ApprovalView[] }>('GET', '/approvals?status=EXPIRED&limit=100');
    expect(expired.body.items.find((item) => item.taskId === taskId)).toMatchObject({ status: 'EXPIRED' });
    const late = await decide(taskId, { decision: 'approve' });
    expect(late.status).toBe(409);
    expect(late.body.message).toContain('expired');
    const review = (await timelineOf(taskId)).steps.find((s) => s.stepId === 'review');
    expect(review?.attempts).toEqual([expect.objectContaining({ status: 'FAILED', error })]);
    // The wait shows as one closed span: when it was recorded and when it expired. Its length is not
    // the timeout (the step runner records the wait after Step Functions started the timer).
    const wait = review?.attempts[0] as TimelineAttempt;
    expect(Date.parse(wait.endedAt ?? '')).toBeGreaterThan(Date.parse(wait.startedAt));
    expect(wait.durationMs).toBeGreaterThan(0);
  });

  it("hides an approval from another org: 404 on its decision, absent from that org's list", async () => {
    const otherOrgApiKey = api.otherOrgApiKey;
    if (!otherOrgApiKey) return;
    const workflowId = await registerWorkflow({
      id: 'other_org',
      version: 1,
      name: 'other org',
      steps: [approvalStep({ continueOnError: true })],
    });
    const taskId = await start(workflowId);
    await pendingApproval(taskId);
    const denied = await decide(taskId, { decision: 'approve' }, otherOrgApiKey);
    expect(denied.status).toBe(404);
    const notTheirs = await call('GET', `/tasks/${taskId}/approvals`, undefined, otherOrgApiKey);
    expect(notTheirs.status).toBe(404);
    const theirs = await call<{ items: ApprovalView[] }>('GET', '/approvals', undefined, otherOrgApiKey);
    expect(theirs.body.items.some((item) => item.taskId === taskId)).toBe(false);
    expect((await decide(taskId, { decision: 'reject' })).status).toBe(200);
    expect((await waitForTask(taskId)).status).toBe('SUCCEEDED');
  });

  it('decides each map iteration apart with ?mapIndex=', async () => {
    const workflowId = await registerWorkflow({
      id: 'approve_each',
      version: 1,
      name: 'approve each',
      steps: [
        { id: 'each', type: 'map', items: '$.input.docs', steps: [approvalStep({ continueOnError: true })] },
      ],
    });
    const taskId = await start(workflowId, { docs: ['a', 'b'] });
    await pendingApproval(taskId, 'review', 0);
    await pendingApproval(taskId, 'review', 1);
    // The task's own list names each iteration (what the console decides them by), a page at a time.
    const first = await call<{ items: ApprovalView[]; cursor?: string }>(
      'GET',
      `/tasks/${taskId}/approvals?limit=1`,
    );
    expect(first.status).toBe(200);
    expect(first.body.items).toEqual([
      expect.objectContaining({ stepId: 'review', mapIndex: 0, status: 'PENDING' }),
    ]);
    const second = await call<{ items: ApprovalView[]; cursor?: string }>(
      'GET',
      `/tasks/${taskId}/approvals?limit=1&cursor=${encodeURIComponent(first.body.cursor ?? '')}`,
    );
    expect(second.body.items).toEqual([
      expect.objectContaining({ stepId: 'review', mapIndex: 1, status: 'PENDING' }),
    ]);
    // A cursor is bound to its task.
    const elsewhere = await call(
      'GET',
      `/tasks/${await start(workflowId, { docs: [] })}/approvals?cursor=${encodeURIComponent(first.body.cursor ?? '')}`,
    );
    expect(elsewhere.status).toBe(400);
    expect((await decide(taskId, { decision: 'approve' })).status).toBe(404);
    expect((await decide(taskId, { decision: 'approve' }, undefined, '?mapIndex=1')).body).toMatchObject({
      mapIndex: 1,
      status: 'APPROVED',
    });
    expect((await decide(taskId, { decision: 'reject' }, undefined, '?mapIndex=0')).body).toMatchObject({
      mapIndex: 0,
      status: 'REJECTED',
    });
    const task = await waitForTask(taskId);
    expect(task.status).toBe('SUCCEEDED');
    const decided = await call<{ items: ApprovalView[]; cursor?: string }>(
      'GET',
      `/tasks/${taskId}/approvals`,
    );
    expect(decided.body.items.map((item) => [item.mapIndex, item.status])).toEqual([
      [0, 'REJECTED'],
      [1, 'APPROVED'],
    ]);
    expect(decided.body.cursor).toBeUndefined();
    expect(task.steps.filter((s) => s.stepId === 'review').map((s) => [s.mapIndex, s.status])).toEqual(
      expect.arrayContaining([
        [0, 'FAILED'],
        [1, 'SUCCEEDED'],
      ]),
    );
  });

  it('lists the waiting approvals of a task by ?status=, a page at a time, the cursor bound to the status', async () => {
    const workflowId = await registerWorkflow({
      id: 'approve_some',
      version: 1,
      name: 'approve some',
      steps: [
        { id: 'each', type: 'map', items: '$.input.docs', steps: [approvalStep({ continueOnError: true })] },
      ],
    });
    const taskId = await start(workflowId, { docs: ['a', 'b', 'c'] });
    for (const index of [0, 1, 2]) await pendingApproval(taskId, 'review', index);
    expect((await decide(taskId, { decision: 'approve' }, undefined, '?mapIndex=0')).status).toBe(200);

    type Page = { items: ApprovalView[]; cursor?: string };
    const page = (query: string) => call<Page>('GET', `/tasks/${taskId}/approvals?${query}`);
    const first = await page('status=PENDING&limit=1');
    expect(first.status).toBe(200);
    expect(first.body.items.map((item) => [item.mapIndex, item.status])).toEqual([[1, 'PENDING']]);
    const second = await page(`status=PENDING&limit=1&cursor=${encodeURIComponent(first.body.cursor ?? '')}`);
    expect(second.body.items.map((item) => [item.mapIndex, item.status])).toEqual([[2, 'PENDING']]);
    if (second.body.cursor !== undefined) {
      const third = await page(`status=PENDING&limit=1&cursor=${encodeURIComponent(second.body.cursor)}`);
      expect(third.body).toEqual({ items: [] });
    }
    expect((await page('status=APPROVED')).body.items.map((item) => item.mapIndex)).toEqual([0]);
    expect((await page('status=PENDING')).body).toEqual({
      items: [expect.objectContaining({ mapIndex: 1 }), expect.objectContaining({ mapIndex: 2 })],
    });
    // A cursor of the PENDING list is no cursor of another status, nor of every status.
    for (const query of ['status=APPROVED&', '']) {
      const other = await page(`${query}cursor=${encodeURIComponent(first.body.cursor ?? '')}`);
      expect(other.status, query).toBe(400);
      expect(JSON.stringify(other.body)).toContain('cursor');
    }
    const bad = await page('status=WAITING');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ details: [expect.objectContaining({ field: 'status' })] });
    expect((await call('POST', `/tasks/${taskId}/cancel`)).status).toBe(200);
    expect((await waitForTask(taskId)).status).toBe('CANCELLED');
  });

  it('expires the approval of a task cancelled while it waits: listed EXPIRED, a decision is a 409', async () => {
    const workflowId = await registerWorkflow({
      id: 'cancel_waiting',
      version: 1,
      name: 'cancel while waiting',
      steps: [approvalStep()],
    });
    const taskId = await start(workflowId);
    await pendingApproval(taskId);
    expect((await call('POST', `/tasks/${taskId}/cancel`)).status).toBe(200);
    expect((await waitForTask(taskId)).status).toBe('CANCELLED');
    await expect
      .poll(async () => {
        const { body } = await call<{ items: ApprovalView[] }>('GET', '/approvals?status=EXPIRED&limit=100');
        return body.items.some((item) => item.taskId === taskId);
      }, POLL)
      .toBe(true);
    const late = await decide(taskId, { decision: 'approve' });
    expect(late.status).toBe(409);
    expect(late.body.message).toContain('expired');
  });

  it('never shows the task token: no token field and no token in any response above', () => {
    expect(seen.length).toBeGreaterThan(20);
    // The reads of a task whose partition holds an approval item are among them.
    const paths = seen.map(({ what }) => what.replace(/\/tasks\/[^/?]+/, '/tasks/{id}'));
    expect(paths).toEqual(
      expect.arrayContaining([
        'GET /tasks/{id}',
        'GET /tasks/{id}/timeline',
        'GET /tasks/{id}/events',
        'GET /tasks/{id}/approvals',
        'GET /admin/tasks/{id}',
      ]),
    );
    const tokenKeys = (value: unknown, path = ''): string[] => {
      if (Array.isArray(value)) return value.flatMap((item, i) => tokenKeys(item, `${path}[${i}]`));
      if (typeof value !== 'object' || value === null) return [];
      return Object.entries(value).flatMap(([key, child]) => [
        ...(/token$/i.test(key) ? [`${path}.${key}`] : []),
        ...tokenKeys(child, `${path}.${key}`),
      ]);
    };
    for (const { what, body } of seen) {
      expect(tokenKeys(body), what).toEqual([]);
      // The local Step Functions endpoint's tokens (task-tokens.ts); AWS's are long base64 too.
      expect(JSON.stringify(body), what).not.toMatch(/AQ[A-Za-z0-9_-]{64}/);
    }
  });
});
