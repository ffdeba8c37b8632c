// Listing over HTTP: cursor round trips, every GET /tasks filter (pages are full while more match, even
// when filters drop most of what the index holds; agentId and tag given once, validly percent-encoded),
// workflows by id, workflow routes kept per organization, and cursors that only work for the listing that
// issued them.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createApiKey, DynamoApiKeyStore } from '../../functions/shared/auth/api-keys';
import { type ApiReply, apiClient } from '../support/api-request';
import { localClients } from '../support/aws-clients';

const endpoints = inject('endpoints');
const { documents } = localClients(endpoints);
const keys = new DynamoApiKeyStore(documents, endpoints.tableName);

const request = apiClient(endpoints.api);
const call = (apiKey: string, method: string, path: string, body?: unknown) =>
  request(method, path, body, { apiKey });

interface TaskItem {
  taskId: string;
  workflowId: string;
  agentId?: string;
  status: string;
  createdAt: string;
}

const transform = (id: string) => ({
  id,
  version: 1,
  name: id,
  steps: [{ id: 'only', type: 'transform', params: { expression: '1' } }],
});
const waiting = {
  id: 'waits',
  version: 1,
  name: 'waits',
  steps: [{ id: 'nap', type: 'wait', seconds: 600 }],
};

let owner: string;
let otherOrg: string;
/** Every task of the org, in the order they were started. */
const started: TaskItem[] = [];

/** Follows cursors to the end; asserts every page but the last is full. */
async function pageThrough(path: string, limit: number): Promise<{ items: TaskItem[]; pages: number[] }> {
  const items: TaskItem[] = [];
  const pages: number[] = [];
  let cursor: string | undefined;
  do {
    const separator = path.includes('?') ? '&' : '?';
    const query = `${separator}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const { status, body } = await call(owner, 'GET', `${path}${query}`);
    expect(status, JSON.stringify(body)).toBe(200);
    const page = body.items as TaskItem[];
    pages.push(page.length);
    items.push(...page);
    cursor = body.cursor as string | undefined;
    if (cursor) expect(page.length, `a page of ${path} is short while more match`).toBe(limit);
  } while (cursor);
  return { items, pages };
}

const ids = (tasks: TaskItem[]) => tasks.map((task) => task.taskId);
const newestFirst = (tasks: TaskItem[]) => ids([...tasks].reverse());

async function settle(taskId: string): Promise<void> {
  for (let i = 0; i < 240; i++) {
    const { body } = await call(owner, 'GET', `/tasks/${taskId}`);
    if (['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT'].includes(String(body.status))) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`task ${taskId} did not end`);
}

beforeAll(async () => {
  const orgId = `listings-${randomUUID()}`;
  owner = (await createApiKey(keys, { orgId, role: 'OWNER', name: 'owner' })).plaintext;
  otherOrg = (await createApiKey(keys, { orgId: `${orgId}-other`, role: 'OWNER', name: 'other' })).plaintext;
  for (const definition of [transform('alpha'), transform('beta'), waiting]) {
    expect((await call(owner, 'POST', '/workflows', definition)).status).toBe(201);
  }
  // Interleaved, so that a workflow or agent filter drops most of each index page.
  const plan: [string, string | undefined][] = [
    ['alpha', 'agent-1'],
    ['beta', undefined],
    ['beta', undefined],
    ['alpha', 'agent-2'],
    ['beta', undefined],
    ['alpha', 'agent-1'],
    ['beta', 'agent-2'],
    ['alpha', 'agent-1'],
    ['waits', undefined],
  ];
  for (const [workflowId, agentId] of plan) {
    const { status, body } = await call(owner, 'POST', '/tasks', { workflowId, ...(agentId && { agentId }) });
    expect(status).toBe(201);
    started.push(body as unknown as TaskItem);
    // Distinct creation times, so a from/to range can pick tasks out exactly.
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const waitingTask = started.at(-1)?.taskId ?? '';
  expect((await call(owner, 'POST', `/tasks/${waitingTask}/cancel`)).status).toBe(200);
  for (const task of started) await settle(task.taskId);
}, 120_000);

describe('GET /tasks', () => {
  it('pages through every task of the org, newest first, with no repeats', async () => {
    const { items, pages } = await pageThrough('/tasks', 2);
    expect(ids(items)).toEqual(newestFirst(started));
    expect(pages).toEqual([2, 2, 2, 2, 1]);
  });

  it.each([
    ['workflowId=alpha', (t: TaskItem) => t.workflowId === 'alpha'],
    ['workflowId=beta', (t: TaskItem) => t.workflowId === 'beta'],
    ['agentId=agent-1', (t: TaskItem) => t.agentId === 'agent-1'],
    ['agentId=agent-2', (t: TaskItem) => t.agentId === 'agent-2'],
    [
      'workflowId=alpha&agentId=agent-1',
      (t: TaskItem) => t.workflowId === 'alpha' && t.agentId === 'agent-1',
    ],
  ])('filters by %s with full pages while more match', async (query, matches) => {
    const { items } = await pageThrough(`/tasks?${query}`, 2);
    expect(ids(items)).toEqual(newestFirst(started.filter(matches)));
  });

  it('filters by status', async () => {
    const cancelled = await pageThrough('/tasks?status=CANCELLED', 2);
    expect(ids(cancelled.items)).toEqual([started.at(-1)?.taskId]);
    const succeeded = await pageThrough('/tasks?status=SUCCEEDED', 3);
    expect(ids(succeeded.items)).toEqual(newestFirst(started.slice(0, -1)));
    expect(succeeded.items.every((task) => task.status === 'SUCCEEDED')).toBe(true);
  });

  it('filters by a from/to range of creation times, both ends included', async () => {
    const from = started[2]?.createdAt ?? '';
    const to = started[5]?.createdAt ?? '';
    const { items } = await pageThrough(`/tasks?from=${from}&to=${to}`, 2);
    expect(ids(items)).toEqual(newestFirst(started.slice(2, 6)));
    const onlyFrom = await pageThrough(`/tasks?from=${from}`, 4);
    expect(ids(onlyFrom.items)).toEqual(newestFirst(started.slice(2)));
  });

  it('answers 400 naming from and to when from is later than to', async () => {
    const { status, body } = await call(
      owner,
      'GET',
      '/tasks?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z',
    );
    expect(status).toBe(400);
    expect((body.details as { field: string }[]).map((detail) => detail.field)).toEqual(['from', 'to']);
  });

  it('answers 400 naming limit for anything but 1 to 100 in decimal digits', async () => {
    for (const limit of ['0x10', '1e1', '0b11', '%205', '5.0', '+5', '0', '101', '']) {
      const { status, body } = await call(owner, 'GET', `/tasks?limit=${limit}`);
      expect(status, limit).toBe(400);
      expect((body.details as { field: string }[])[0]?.field, limit).toBe('limit');
    }
    expect((await call(owner, 'GET', '/workflows?limit=0x10')).status).toBe(400);
    expect((await call(owner, 'GET', '/tasks?limit=100')).status).toBe(200);
    expect((await call(owner, 'GET', '/tasks?limit=07')).status).toBe(200);
  });

  it('answers 400 naming agentId or tag when given twice (API Gateway would join them) or not valid percent-encoding', async () => {
    for (const list of ['/tasks', '/admin/tasks'])
      for (const [query, field] of [
        ['agentId=agent-1&agentId=agent-2', 'agentId'],
        ['tag=env:a&tag=env:b', 'tag'],
        ['agentId=%ZZ', 'agentId'],
        ['tag=env:a%ZZ', 'tag'],
      ]) {
        const { status, body } = await call(owner, 'GET', `${list}?${query}`);
        expect(status, `${list}?${query}`).toBe(400);
        expect((body.details as { field: string }[])[0]?.field, query).toBe(field);
      }
    const once = await call(owner, 'GET', '/tasks?agentId=agent%2C1&tag=env:50%25');
    expect(once.status).toBe(200);
  });
});

describe('cursors', () => {
  const firstCursor = async (path: string, apiKey = owner) => {
    const { body } = await call(apiKey, 'GET', path);
    expect(body.cursor, path).toEqual(expect.any(String));
    return encodeURIComponent(String(body.cursor));
  };
  const expectCursorRefused = (reply: ApiReply) => {
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ error: 'BadRequest', details: [{ field: 'cursor' }] });
  };

  it('refuses a cursor of one filter on another query', async () => {
    const cursor = await firstCursor('/tasks?workflowId=alpha&limit=1');
    expectCursorRefused(await call(owner, 'GET', `/tasks?workflowId=beta&limit=1&cursor=${cursor}`));
    // The page size is not part of the query: a cursor may be followed with another limit.
    expect((await call(owner, 'GET', `/tasks?workflowId=alpha&limit=3&cursor=${cursor}`)).status).toBe(200);
  });

  it('refuses a /tasks cursor on /workflows, and the reverse', async () => {
    expectCursorRefused(await call(owner, 'GET', `/workflows?cursor=${await firstCursor('/tasks?limit=1')}`));
    expectCursorRefused(await call(owner, 'GET', `/tasks?cursor=${await firstCursor('/workflows?limit=1')}`));
  });

  it("refuses another organization's cursor", async () => {
    const cursor = await firstCursor('/tasks?limit=1');
    expectCursorRefused(await call(otherOrg, 'GET', `/tasks?limit=1&cursor=${cursor}`));
  });

  it('refuses forged and altered cursors', async () => {
    const cursor = decodeURIComponent(await firstCursor('/tasks?limit=1'));
    const [payload = '', mac = ''] = cursor.split('.');
    const altered = `${payload.slice(0, -2)}AA.${mac}`;
    for (const forged of ['e30', altered, `${payload}.${'A'.repeat(mac.length)}`, 'x'.repeat(5000), '%%%']) {
      expectCursorRefused(await call(owner, 'GET', `/tasks?limit=1&cursor=${encodeURIComponent(forged)}`));
    }
  });
});

describe('workflows', () => {
  it('pages through the workflows of the org', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const { body } = await call(
        owner,
        'GET',
        `/workflows?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      seen.push(...(body.items as { workflowId: string }[]).map((workflow) => workflow.workflowId));
      cursor = body.cursor as string | undefined;
    } while (cursor);
    expect(seen.sort()).toEqual(['alpha', 'beta', 'waits']);
  });

  it('GET /workflows/{id} returns the summary with every version', async () => {
    expect((await call(owner, 'POST', '/workflows', { ...transform('alpha'), version: 2 })).status).toBe(201);
    const { status, body } = await call(owner, 'GET', '/workflows/alpha');
    expect(status).toBe(200);
    expect(body).toMatchObject({ workflowId: 'alpha', latestVersion: 2 });
    expect((body.versions as { version: number }[]).map((version) => version.version)).toEqual([1, 2]);
  });

  it('answers 404 for an unknown workflow id', async () => {
    expect((await call(owner, 'GET', '/workflows/nothing-here')).status).toBe(404);
  });

  it('re-registering the same definition is a 200 that changes nothing; a different one is a 409', async () => {
    const same = await call(owner, 'POST', '/workflows', transform('beta'));
    expect(same.status).toBe(200);
    expect(same.body.created).toBe(false);
    const changed = { ...transform('beta'), name: 'beta renamed' };
    const conflict = await call(owner, 'POST', '/workflows', changed);
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({ error: 'Conflict', details: [{ field: 'version' }] });
  });

  it('keeps workflow routes per organization: another org gets 404 and does not list them', async () => {
    expect((await call(otherOrg, 'GET', '/workflows/alpha')).status).toBe(404);
    const listed = await call(otherOrg, 'GET', '/workflows');
    expect(listed.status).toBe(200);
    expect(listed.body.items).toEqual([]);
    expect((await call(otherOrg, 'POST', '/tasks', { workflowId: 'alpha' })).status).toBe(404);
    // The other org registers its own 'alpha': both exist side by side, each org sees its own.
    const own = { ...transform('alpha'), name: 'their alpha' };
    expect((await call(otherOrg, 'POST', '/workflows', own)).status).toBe(201);
    expect((await call(otherOrg, 'GET', '/workflows/alpha')).body).toMatchObject({ name: 'their alpha' });
    expect((await call(owner, 'GET', '/workflows/alpha')).body).toMatchObject({ name: 'alpha' });
  });
});
