// API keys over HTTP as an organization's OWNER manages them: a MEMBER key made with the OWNER key, used,
// revoked, refused after; and, with an OPERATOR key, the admin task list across organizations.
import { describe, expect, it } from 'vitest';
import { api, RUN, registerWorkflow, request } from './http-client';

describe('API keys', () => {
  it('creates a MEMBER key shown once, which works until it is revoked, then answers 401', async () => {
    const created = await request('POST', '/api-keys', { name: `e2e member ${RUN}`, role: 'MEMBER' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const member = String(created.body.apiKey);
    const keyId = String(created.body.keyId);
    expect(member).toMatch(/^sw_[A-Za-z0-9_-]{43}$/);

    expect((await request('GET', '/tasks?limit=1', undefined, { apiKey: member })).status).toBe(200);
    const owner = await request('GET', '/me');
    expect(owner.body).toMatchObject({ role: 'OWNER', method: 'api-key' });
    const me = await request('GET', '/me', undefined, { apiKey: member });
    expect(me.body).toEqual({ orgId: owner.body.orgId, role: 'MEMBER', principal: keyId, method: 'api-key' });
    const refused = await request('POST', '/api-keys', { name: 'x', role: 'MEMBER' }, { apiKey: member });
    expect(refused.status).toBe(403);

    const listed = await request('GET', '/api-keys?limit=100');
    const entry = (listed.body.items as Record<string, unknown>[]).find((key) => key.keyId === keyId);
    expect(entry).toEqual({
      keyId,
      name: `e2e member ${RUN}`,
      role: 'MEMBER',
      createdAt: created.body.createdAt,
    });
    expect(JSON.stringify(listed.body)).not.toContain(member);

    const revoked = await request('DELETE', `/api-keys/${keyId}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).toEqual(expect.any(String));
    const after = await request('GET', '/tasks?limit=1', undefined, { apiKey: member });
    expect(after.status).toBe(401);
    expect(after.body.message).toContain(`API key ${keyId} was revoked`);
  });

  it('answers 404 when another organization revokes the key', async () => {
    const created = await request('POST', '/api-keys', { name: `e2e foreign ${RUN}`, role: 'MEMBER' });
    expect(created.status).toBe(201);
    if (!api.otherOrgApiKey) return;
    const other = await request('DELETE', `/api-keys/${created.body.keyId}`, undefined, {
      apiKey: api.otherOrgApiKey,
    });
    expect(other.status).toBe(404);
    expect((await request('DELETE', `/api-keys/${created.body.keyId}`)).status).toBe(200);
  });
});

describe.runIf(api.operatorApiKey)('an OPERATOR key', () => {
  const operator = { apiKey: api.operatorApiKey as string };

  it('reads the admin task list and a task of any organization, and no tenant route', async () => {
    const workflowId = await registerWorkflow({
      id: 'e2e_operator',
      version: 1,
      name: 'operator',
      steps: [{ id: 'only', type: 'transform', params: { expression: '1' } }],
    });
    const started = await request('POST', '/tasks', { workflowId, tags: { suite: `e2e-${RUN}` } });
    expect(started.status).toBe(201);
    const listed = await request('GET', `/admin/tasks?tag=suite:e2e-${RUN}`, undefined, operator);
    expect(listed.status).toBe(200);
    expect((listed.body.items as { taskId: string }[]).map((task) => task.taskId)).toEqual([
      started.body.taskId,
    ]);
    const detail = await request('GET', `/admin/tasks/${started.body.taskId}`, undefined, operator);
    expect(detail.status).toBe(200);
    expect(detail.body.events).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'TASK_CREATED' })]),
    );
    expect((await request('GET', '/tasks', undefined, operator)).status).toBe(403);
    expect((await request('GET', '/me', undefined, operator)).body).toMatchObject({
      orgId: '*',
      role: 'OPERATOR',
    });
    expect((await request('POST', '/api-keys', { name: 'x', role: 'OWNER' }, operator)).status).toBe(403);
  });
});
