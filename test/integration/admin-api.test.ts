// The admin task routes and API-key routes over HTTP on the embedded stack: who may call them (401, 403
// naming the role, 404 across orgs), operators reading every org, each filter of GET /admin/tasks giving
// exactly its tasks newest first in full pages, cursors bound to their query, tags at start, the
// RETRYING/STUCK views from open-step index keys, and keys created, listed and revoked by an OWNER.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createApiKey, DynamoApiKeyStore } from '../../functions/shared/auth/api-keys';
import { OPERATOR_ORG_ID } from '../../functions/shared/auth/identity';
import { PutCommand } from '../../functions/shared/clients/table-commands';
import { listShardOf } from '../../functions/shared/tasks/task-index-keys';
import { type ApiReply, apiClient } from '../support/api-request';
import { localClients } from '../support/aws-clients';

const endpoints = inject('endpoints');
const { documents } = localClients(endpoints);
const keys = new DynamoApiKeyStore(documents, endpoints.tableName);
const request = apiClient(endpoints.api);
const call = (apiKey: string | null, method: string, path: string, body?: unknown) =>
  request(method, path, body, { apiKey });

interface TaskItem {
  taskId: string;
  orgId: string;
  workflowId: string;
  agentId?: string;
  status: string;
  createdAt: string;
  tags?: Record<string, string>;
}

const orgA = `admin-a-${randomUUID()}`;
const orgB = `admin-b-${randomUUID()}`;
const key = async (orgId: string, role: 'OWNER' | 'ADMIN' | 'MEMBER' | 'OPERATOR') =>
  (await createApiKey(keys, { orgId, role, name: `${role.toLowerCase()} key` })).plaintext;

let ownerA: string;
let adminA: string;
let memberA: string;
let ownerB: string;
let operator: string;
/** Org A's tasks in the order they were started. */
const tasksA: TaskItem[] = [];
let taskB: TaskItem;
let runningA: TaskItem;

const transform = (id: string) => ({
  id,
  version: 1,
  name: id,
  steps: [{ id: 'only', type: 'transform', params: { expression: '1' } }],
});
const waits = { id: 'waits', version: 1, name: 'waits', steps: [{ id: 'nap', type: 'wait', seconds: 600 }] };

async function settled(apiKey: string, taskId: string): Promise<TaskItem> {
  for (let i = 0; i < 240; i++) {
    const { body } = await call(apiKey, 'GET', `/tasks/${taskId}`);
    if (['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT'].includes(String(body.status))) {
      return body as unknown as TaskItem;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`task ${taskId} did not end`);
}

async function start(apiKey: string, body: Record<string, unknown>): Promise<TaskItem> {
  const reply = await call(apiKey, 'POST', '/tasks', body);
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  await new Promise((resolve) => setTimeout(resolve, 5));
  return reply.body as unknown as TaskItem;
}

/** Follows cursors to the end; asserts every page but the last is full. */
async function pageThrough(apiKey: string, path: string, limit: number): Promise<TaskItem[]> {
  const items: TaskItem[] = [];
  let cursor: string | undefined;
  do {
    const separator = path.includes('?') ? '&' : '?';
    const query = `${separator}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const { status, body } = await call(apiKey, 'GET', `${path}${query}`);
    expect(status, JSON.stringify(body)).toBe(200);
    const page = body.items as TaskItem[];
    items.push(...page);
    cursor = body.cursor as string | undefined;
    if (cursor) expect(page.length, `a page of ${path} is short while more match`).toBe(limit);
  } while (cursor);
  return items;
}

const ids = (tasks: TaskItem[]) => tasks.map((task) => task.taskId);
const newestFirst = (tasks: TaskItem[]) =>
  ids([...tasks].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.taskId.localeCompare(a.taskId)));

beforeAll(async () => {
  [ownerA, adminA, memberA, ownerB, operator] = await Promise.all([
    key(orgA, 'OWNER'),
    key(orgA, 'ADMIN'),
    key(orgA, 'MEMBER'),
    key(orgB, 'OWNER'),
    key(OPERATOR_ORG_ID, 'OPERATOR'),
  ]);
  for (const definition of [transform('alpha'), transform('beta'), waits]) {
    expect((await call(ownerA, 'POST', '/workflows', definition)).status).toBe(201);
  }
  expect((await call(ownerB, 'POST', '/workflows', transform('alpha'))).status).toBe(201);
  const plan: Record<string, unknown>[] = [
    { workflowId: 'alpha', agentId: 'agent-1', tags: { env: 'prod', team: 'red' } },
    { workflowId: 'beta' },
    { workflowId: 'beta', agentId: 'agent-2', tags: { env: 'dev' } },
    { workflowId: 'alpha', agentId: 'agent-1' },
    { workflowId: 'beta', tags: { env: 'prod' } },
    { workflowId: 'alpha', agentId: 'agent-2', tags: { env: 'prod', team: 'blue' } },
    { workflowId: 'alpha' },
  ];
  for (const body of plan) tasksA.push(await start(memberA, body));
  taskB = await start(ownerB, { workflowId: 'alpha', tags: { env: 'prod' } });
  const cancelled = await start(ownerA, { workflowId: 'waits' });
  expect((await call(ownerA, 'POST', `/tasks/${cancelled.taskId}/cancel`)).status).toBe(200);
  tasksA.push(cancelled);
  runningA = await start(ownerA, { workflowId: 'waits', agentId: 'agent-1' });
  tasksA.push(runningA);
  for (const [index, task] of tasksA.entries()) {
    if (task.taskId !== runningA.taskId) tasksA[index] = await settled(ownerA, task.taskId);
  }
  taskB = await settled(ownerB, taskB.taskId);
  for (let i = 0; i < 240; i++) {
    runningA = (await call(ownerA, 'GET', `/tasks/${runningA.taskId}`)).body as unknown as TaskItem;
    if (runningA.status === 'RUNNING') break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  tasksA[tasksA.length - 1] = runningA;
}, 120_000);

describe('who may use the admin and API-key routes', () => {
  const routes = () =>
    [
      ['GET', '/admin/tasks'],
      ['GET', `/admin/tasks/${tasksA[0]?.taskId}`],
      ['POST', '/api-keys'],
      ['GET', '/api-keys'],
      ['DELETE', '/api-keys/abcdefgh'],
    ] as const;

  it('answers 401 without credentials on every new route', async () => {
    for (const [method, path] of routes()) {
      const reply = await call(
        null,
        method,
        path,
        method === 'POST' ? { name: 'x', role: 'MEMBER' } : undefined,
      );
      expect(reply.status, `${method} ${path}`).toBe(401);
      expect(reply.body).toMatchObject({ error: 'Unauthorized' });
    }
  });

  it('answers 403 naming the role needed to a MEMBER on admin routes and to an ADMIN on key routes', async () => {
    for (const [method, path] of routes()) {
      const body = method === 'POST' ? { name: 'x', role: 'MEMBER' } : undefined;
      const member = await call(memberA, method, path, body);
      expect(member.status, `${method} ${path}`).toBe(403);
      const needed = path.startsWith('/admin') ? 'ADMIN' : 'OWNER';
      expect(member.body).toMatchObject({
        error: 'Forbidden',
        details: [{ rule: 'role', message: `needs the ${needed} role` }],
      });
      if (needed === 'OWNER') {
        const admin = await call(adminA, method, path, body);
        expect(admin.status, `${method} ${path}`).toBe(403);
        expect(admin.body.message).toContain('needs the OWNER role; the caller is ADMIN');
      }
    }
  });

  it('keeps OPERATOR off tenant routes: no task starts, listings or key management in an org', async () => {
    for (const [method, path, body] of [
      ['GET', '/tasks', undefined],
      ['GET', `/tasks/${tasksA[0]?.taskId}`, undefined],
      ['POST', '/tasks', { workflowId: 'alpha' }],
      ['POST', `/tasks/${runningA.taskId}/cancel`, undefined],
      ['POST', '/workflows', transform('gamma')],
      ['POST', '/api-keys', { name: 'x', role: 'OWNER' }],
      ['GET', '/api-keys', undefined],
    ] as const) {
      const reply = await call(operator, method, path, body);
      expect(reply.status, `${method} ${path}`).toBe(403);
      expect(String(reply.body.message)).toContain('OPERATOR reads organizations through the /admin routes');
    }
  });
});

describe('GET /admin/tasks', () => {
  it('answers list rows, and a running task’s live status whichever index serves the listing', async () => {
    const [row] = (await call(ownerA, 'GET', `/admin/tasks?tag=team:red`)).body.items as Record<
      string,
      unknown
    >[];
    const first = tasksA[0] as TaskItem;
    expect(row).toEqual({
      taskId: first.taskId,
      orgId: orgA,
      workflowId: 'alpha',
      workflowVersion: 1,
      agentId: 'agent-1',
      tags: { env: 'prod', team: 'red' },
      status: 'SUCCEEDED',
      createdAt: first.createdAt,
      endedAt: (first as unknown as { endedAt: string }).endedAt,
    });
    // Every index shows it RUNNING since its creation, with its start time: the status index projects both,
    // the workflow and agent indexes hold RUNNING in its list status (a task starts as it is created).
    for (const path of [
      '/admin/tasks?workflowId=waits',
      '/admin/tasks?status=RUNNING',
      '/tasks?agentId=agent-1',
    ]) {
      const items = (await call(ownerA, 'GET', path)).body.items as Record<string, unknown>[];
      expect(
        items.find((item) => item.taskId === runningA.taskId),
        path,
      ).toMatchObject({
        status: 'RUNNING',
        startedAt: (runningA as unknown as { startedAt: string }).startedAt,
      });
    }
  });

  it('lists an OWNER’s and an ADMIN’s own org only, newest first', async () => {
    for (const apiKey of [ownerA, adminA]) {
      expect(ids(await pageThrough(apiKey, '/admin/tasks', 4))).toEqual(newestFirst(tasksA));
    }
    expect(ids(await pageThrough(ownerB, '/admin/tasks', 4))).toEqual([taskB.taskId]);
  });

  it('answers 403 naming org when a tenant asks for another organization', async () => {
    const reply = await call(ownerB, 'GET', `/admin/tasks?org=${orgA}`);
    expect(reply.status).toBe(403);
    expect(String(reply.body.message)).toMatch(/^org: OWNER reads its own organization/);
    expect((await call(ownerA, 'GET', `/admin/tasks?org=${orgA}`)).status).toBe(200);
  });

  it('lets an OPERATOR list one organization or every one, newest first across orgs', async () => {
    expect(ids(await pageThrough(operator, `/admin/tasks?org=${orgA}`, 3))).toEqual(newestFirst(tasksA));
    expect(ids(await pageThrough(operator, `/admin/tasks?org=${orgB}`, 3))).toEqual([taskB.taskId]);
    // Other test files add tasks of their own orgs: ours appear in order among them.
    const everyOrg = await pageThrough(operator, `/admin/tasks?from=${tasksA[0]?.createdAt}`, 25);
    const ours = new Set([...ids(tasksA), taskB.taskId]);
    expect(ids(everyOrg.filter((task) => ours.has(task.taskId)))).toEqual(newestFirst([...tasksA, taskB]));
    expect(ids(everyOrg)).toEqual(newestFirst(everyOrg));
  });

  it.each([
    ['workflowId=alpha', (t: TaskItem) => t.workflowId === 'alpha'],
    ['agentId=agent-1', (t: TaskItem) => t.agentId === 'agent-1'],
    ['status=SUCCEEDED', (t: TaskItem) => t.status === 'SUCCEEDED'],
    ['status=CANCELLED', (t: TaskItem) => t.status === 'CANCELLED'],
    ['status=RUNNING', (t: TaskItem) => t.status === 'RUNNING'],
    ['tag=env:prod', (t: TaskItem) => t.tags?.env === 'prod'],
    ['tag=team:blue', (t: TaskItem) => t.tags?.team === 'blue'],
    ['workflowId=alpha&tag=env:prod', (t: TaskItem) => t.workflowId === 'alpha' && t.tags?.env === 'prod'],
    [
      'agentId=agent-1&status=SUCCEEDED',
      (t: TaskItem) => t.agentId === 'agent-1' && t.status === 'SUCCEEDED',
    ],
  ])('filters by %s: exactly the matching tasks, newest first, in full pages', async (query, matches) => {
    const expected = newestFirst(tasksA.filter(matches));
    expect(expected.length).toBeGreaterThan(0);
    expect(ids(await pageThrough(ownerA, `/admin/tasks?${query}`, 2))).toEqual(expected);
    expect(ids(await pageThrough(operator, `/admin/tasks?org=${orgA}&${query}`, 2))).toEqual(expected);
  });

  it('filters by a from/to range of creation times', async () => {
    const from = tasksA[1]?.createdAt;
    const to = tasksA[4]?.createdAt;
    const items = await pageThrough(ownerA, `/admin/tasks?from=${from}&to=${to}`, 2);
    expect(ids(items)).toEqual(newestFirst(tasksA.slice(1, 5)));
  });

  it('finds tagged tasks across orgs for an OPERATOR', async () => {
    const items = await pageThrough(operator, `/admin/tasks?tag=env:prod&from=${tasksA[0]?.createdAt}`, 2);
    const expected = [...tasksA, taskB].filter((t) => t.tags?.env === 'prod');
    expect(ids(items.filter((t) => t.orgId === orgA || t.orgId === orgB))).toEqual(newestFirst(expected));
  });

  it('answers 400 naming org when an OPERATOR filters by workflowId or agentId across orgs', async () => {
    for (const query of ['workflowId=alpha', 'agentId=agent-1']) {
      const reply = await call(operator, 'GET', `/admin/tasks?${query}`);
      expect(reply.status).toBe(400);
      expect(reply.body.details).toEqual([expect.objectContaining({ field: 'org' })]);
    }
  });

  it('binds a cursor to its query, route and caller', async () => {
    const first = await call(ownerA, 'GET', '/admin/tasks?workflowId=alpha&limit=1');
    const cursor = encodeURIComponent(String(first.body.cursor));
    for (const [apiKey, path] of [
      [ownerA, `/admin/tasks?workflowId=beta&limit=1&cursor=${cursor}`],
      [ownerA, `/tasks?workflowId=alpha&limit=1&cursor=${cursor}`],
      [operator, `/admin/tasks?workflowId=alpha&limit=1&cursor=${cursor}`],
      [ownerB, `/admin/tasks?workflowId=alpha&limit=1&cursor=${cursor}`],
    ] as const) {
      const reply = await call(apiKey, 'GET', path);
      expect(reply.status, path).toBe(400);
      expect(reply.body.details).toEqual([expect.objectContaining({ field: 'cursor' })]);
    }
  });

  it.each([
    ['tag=env', 'tag'],
    ['tag=Env:prod', 'tag'],
    ['tag=env:', 'tag'],
    ['status=STALLED', 'status'],
    ['stuckAfterMinutes=0', 'stuckAfterMinutes'],
    ['org=', 'org'],
  ])('answers 400 naming the field for %s', async (query, field) => {
    const reply = await call(operator, 'GET', `/admin/tasks?${query}`);
    expect(reply.status).toBe(400);
    expect(reply.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
  });
});

describe('RETRYING and STUCK views', () => {
  /** A step item with the open-step keys the step recorder writes while the step is open. */
  async function openStep(task: TaskItem, stepId: string, state: 'RUNNING' | 'RETRYING', since: string) {
    await documents.send(
      new PutCommand({
        TableName: endpoints.tableName,
        Item: {
          pk: `TASK#${task.taskId}`,
          sk: `STEP#${stepId}`,
          type: 'Step',
          orgId: task.orgId,
          stepId,
          status: state,
          updatedAt: since,
          gsi1pk: `ORG#${task.orgId}#STEPS#${state}`,
          gsi1sk: `${since}#${task.taskId}#${stepId}`,
          gsi2pk: `STEPS#${state}#${listShardOf(task.taskId)}`,
          gsi2sk: `${since}#${task.orgId}#${task.taskId}#${stepId}`,
        },
      }),
    );
  }

  it('shows a running task with a step waiting for its next attempt under RETRYING', async () => {
    await openStep(runningA, 'flaky', 'RETRYING', new Date(Date.now() - 1000).toISOString());
    expect(ids(await pageThrough(ownerA, '/admin/tasks?status=RETRYING', 5))).toEqual([runningA.taskId]);
    const everyOrg = await pageThrough(operator, '/admin/tasks?status=RETRYING', 50);
    expect(ids(everyOrg)).toContain(runningA.taskId);
    expect(ids(await pageThrough(ownerB, '/admin/tasks?status=RETRYING', 5))).toEqual([]);
  });

  it('shows a task whose step has run longer than the threshold under STUCK, and only then', async () => {
    await openStep(runningA, 'slow', 'RUNNING', new Date(Date.now() - 20 * 60_000).toISOString());
    expect(ids(await pageThrough(ownerA, '/admin/tasks?status=STUCK', 5))).toEqual([runningA.taskId]);
    expect(ids(await pageThrough(ownerA, '/admin/tasks?status=STUCK&stuckAfterMinutes=30', 5))).toEqual([]);
    expect(ids(await pageThrough(operator, '/admin/tasks?status=STUCK', 50))).toContain(runningA.taskId);
  });
});

describe('GET /admin/tasks/{id}', () => {
  it('returns the task as GET /tasks/{id} does, with its events', async () => {
    const task = tasksA[0] as TaskItem;
    const plain = await call(ownerA, 'GET', `/tasks/${task.taskId}`);
    for (const apiKey of [ownerA, adminA, operator]) {
      const reply = await call(apiKey, 'GET', `/admin/tasks/${task.taskId}`);
      expect(reply.status).toBe(200);
      const { events, ...detail } = reply.body;
      expect(detail).toEqual(plain.body);
      expect((events as { type: string }[]).map((event) => event.type)).toEqual(
        expect.arrayContaining(['TASK_CREATED', 'TASK_SETTLED']),
      );
    }
    expect(plain.body.tags).toEqual({ env: 'prod', team: 'red' });
  });

  it('answers 404 to another org’s OWNER and gives an OPERATOR any org’s task', async () => {
    expect((await call(ownerB, 'GET', `/admin/tasks/${tasksA[0]?.taskId}`)).status).toBe(404);
    expect((await call(operator, 'GET', `/admin/tasks/${taskB.taskId}`)).body.orgId).toBe(orgB);
    expect((await call(operator, 'GET', `/admin/tasks/nope-${randomUUID()}`)).status).toBe(404);
  });

  it('serves the timeline as GET /tasks/{id}/timeline does, to the org’s OWNER and ADMIN and to an OPERATOR', async () => {
    const taskId = (tasksA[0] as TaskItem).taskId;
    const plain = await call(ownerA, 'GET', `/tasks/${taskId}/timeline`);
    expect(plain.status).toBe(200);
    for (const apiKey of [ownerA, adminA, operator]) {
      const reply = await call(apiKey, 'GET', `/admin/tasks/${taskId}/timeline`);
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual(plain.body);
    }
    expect((await call(memberA, 'GET', `/admin/tasks/${taskId}/timeline`)).status).toBe(403);
    expect((await call(ownerB, 'GET', `/admin/tasks/${taskId}/timeline`)).status).toBe(404);
    expect((await call(operator, 'GET', `/admin/tasks/${taskB.taskId}/timeline`)).body).toMatchObject({
      taskId: taskB.taskId,
      steps: expect.any(Array),
    });
  });
});

describe('task tags at start', () => {
  it.each([
    ['eleven pairs', Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v'])), 'tags'],
    ['an upper-case key', { Env: 'prod' }, 'tags.Env'],
    ['an empty value', { env: '' }, 'tags.env'],
    ['a value of 129 characters', { env: 'x'.repeat(129) }, 'tags.env'],
    ['a control character', { env: 'a\u0007b' }, 'tags.env'],
    ['a number', { env: 1 }, 'tags.env'],
    ['a list', ['env'], 'tags'],
  ])('answers 400 naming the field for %s', async (_name, tags, field) => {
    const reply = await call(ownerA, 'POST', '/tasks', { workflowId: 'alpha', tags });
    expect(reply.status, JSON.stringify(reply.body)).toBe(400);
    expect(reply.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
  });
});

describe('API keys', () => {
  it('lets an OWNER create a MEMBER key shown once, list it without secrets, and revoke it', async () => {
    const created = (await call(ownerA, 'POST', '/api-keys', { name: 'ci', role: 'MEMBER' })) as ApiReply;
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'ci', role: 'MEMBER', apiKey: expect.stringMatching(/^sw_/) });
    const secret = String(created.body.apiKey);
    const keyId = String(created.body.keyId);
    expect((await call(secret, 'GET', '/tasks?limit=1')).status).toBe(200);

    const listed = await call(ownerA, 'GET', '/api-keys');
    const items = listed.body.items as Record<string, unknown>[];
    expect(items[0]).toEqual({ keyId, name: 'ci', role: 'MEMBER', createdAt: created.body.createdAt });
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    expect(JSON.stringify(listed.body)).not.toContain('keyHash');

    expect((await call(ownerB, 'DELETE', `/api-keys/${keyId}`)).status).toBe(404);
    const revoked = await call(ownerA, 'DELETE', `/api-keys/${keyId}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ keyId, revokedAt: expect.any(String) });
    expect((await call(secret, 'GET', '/tasks?limit=1')).status).toBe(401);
    const again = await call(ownerA, 'DELETE', `/api-keys/${keyId}`);
    expect(again.body.revokedAt).toBe(revoked.body.revokedAt);
  });

  it('never makes an OPERATOR key, and names the field of a bad request', async () => {
    for (const [body, field] of [
      [{ name: 'x', role: 'OPERATOR' }, 'role'],
      [{ name: '', role: 'MEMBER' }, 'name'],
      [{ name: 'x' }, 'role'],
      [{ name: 'x', role: 'MEMBER', orgId: orgB }, 'orgId'],
    ] as const) {
      const reply = await call(ownerA, 'POST', '/api-keys', body);
      expect(reply.status, JSON.stringify(body)).toBe(400);
      expect(reply.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    }
    expect((await call(ownerA, 'DELETE', '/api-keys/not-a-key-id')).body.details).toEqual([
      expect.objectContaining({ field: 'keyId' }),
    ]);
  });

  it('pages through an org’s keys newest first and keeps other orgs’ keys out', async () => {
    const orgId = `keys-${randomUUID()}`;
    const owner = await key(orgId, 'OWNER');
    for (const name of ['k1', 'k2', 'k3']) {
      expect((await call(owner, 'POST', '/api-keys', { name, role: 'ADMIN' })).status).toBe(201);
    }
    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await call(
        owner,
        'GET',
        `/api-keys?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      names.push(...(page.body.items as { name: string }[]).map((k) => k.name));
      cursor = page.body.cursor as string | undefined;
    } while (cursor);
    expect(names).toEqual(['k3', 'k2', 'k1', 'owner key']);
  });
});
