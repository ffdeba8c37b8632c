// Who may do what over HTTP: credentials, roles, and organizations kept apart on every task route.
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createApiKey, DynamoApiKeyStore } from '../../functions/shared/auth/api-keys';
import { localClients } from '../support/aws-clients';

const endpoints = inject('endpoints');
const credentials = inject('credentials');
const { documents } = localClients(endpoints);
const keys = new DynamoApiKeyStore(documents, endpoints.tableName);

async function call(method: string, path: string, apiKey?: string, body?: unknown) {
  const response = await fetch(`${endpoints.api}${path}`, {
    method,
    headers: {
      ...(apiKey && { authorization: `Bearer ${apiKey}` }),
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return {
    status: response.status,
    challenge: response.headers.get('www-authenticate'),
    body: (await response.json()) as Record<string, unknown>,
  };
}

const workflow = {
  id: `access_${Date.now().toString(36)}`,
  version: 1,
  name: 'access',
  steps: [{ id: 'only', type: 'transform', params: { expression: '1' } }],
};

let memberKey: string;
let otherOrgKey: string;
let taskId: string;

beforeAll(async () => {
  memberKey = (await createApiKey(keys, { orgId: credentials.orgId, role: 'MEMBER', name: 'member' }))
    .plaintext;
  otherOrgKey = (await createApiKey(keys, { orgId: 'org-b', role: 'OWNER', name: 'other org' })).plaintext;
  expect((await call('POST', '/workflows', credentials.apiKey, workflow)).status).toBe(201);
  const started = await call('POST', '/tasks', memberKey, { workflowId: workflow.id });
  expect(started.status).toBe(201);
  taskId = started.body.taskId as string;
});

describe('API access', () => {
  it('answers 401 in the error shape with WWW-Authenticate without credentials on every non-public route', async () => {
    for (const [method, path] of [
      ['GET', '/workflows'],
      ['POST', '/workflows'],
      ['GET', `/workflows/${workflow.id}`],
      ['POST', '/tasks'],
      ['GET', '/tasks'],
      ['GET', `/tasks/${taskId}`],
      ['POST', `/tasks/${taskId}/cancel`],
    ] as const) {
      const response = await call(method, path);
      expect(response.status, `${method} ${path}`).toBe(401);
      expect(response.challenge).toBe('Bearer');
      expect(response.body).toMatchObject({
        error: 'Unauthorized',
        message: 'Authorization: missing Authorization header',
        details: [{ field: 'Authorization', rule: 'credentials' }],
      });
    }
  });

  it('answers 403 naming the role needed to a MEMBER key on a workflow-admin route', async () => {
    const response = await call('POST', '/workflows', memberKey, { ...workflow, version: 2 });
    expect(response.status).toBe(403);
    expect(response.body).toMatchObject({
      error: 'Forbidden',
      message: 'POST /workflows needs the ADMIN role; the caller is MEMBER',
      details: [{ rule: 'role', message: 'needs the ADMIN role' }],
    });
  });

  it.each([
    ['a malformed key', 'sw_not-a-real-key', 'API key is malformed'],
    ['an unknown key', `sw_${'A'.repeat(43)}`, 'API key is not known'],
    ['a JWT while no issuer is configured', 'a.b.c', 'JWT authentication is not configured'],
  ])('answers 401 with the reason to %s', async (_name, credential, reason) => {
    const response = await call('GET', '/workflows', credential);
    expect(response.status).toBe(401);
    expect(response.challenge).toBe('Bearer');
    expect(response.body).toMatchObject({ error: 'Unauthorized', message: `Authorization: ${reason}` });
  });

  it('answers 401 naming the revocation to a revoked key', async () => {
    const { plaintext, key } = await createApiKey(keys, {
      orgId: credentials.orgId,
      role: 'OWNER',
      name: 'gone',
    });
    await keys.revoke(credentials.orgId, key.keyId, new Date().toISOString());
    const response = await call('GET', '/workflows', plaintext);
    expect(response.status).toBe(401);
    expect(response.body.message).toContain(`API key ${key.keyId} was revoked`);
  });

  it('lets a MEMBER start and read its own tasks', async () => {
    const response = await call('GET', `/tasks/${taskId}`, memberKey);
    expect(response.status).toBe(200);
    expect(response.body.orgId).toBe(credentials.orgId);
  });

  it('answers 404 when a key of another organization reads, cancels or lists a task', async () => {
    expect((await call('GET', `/tasks/${taskId}`, otherOrgKey)).status).toBe(404);
    expect((await call('POST', `/tasks/${taskId}/cancel`, otherOrgKey)).status).toBe(404);
    const listed = await call('GET', '/tasks', otherOrgKey);
    expect(listed.status).toBe(200);
    expect((listed.body.items as { taskId: string }[]).map((task) => task.taskId)).not.toContain(taskId);
  });

  it('does not let another organization start a task on this organization’s workflow', async () => {
    expect((await call('POST', '/tasks', otherOrgKey, { workflowId: workflow.id })).status).toBe(404);
  });
});
