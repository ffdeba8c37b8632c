// The authorizer Lambda handler end to end: real DynamoDB on the embedded stack, real keys, the route
// table extended with routes of each access level (the real table grows with other features).
// The handler runs in this worker as on the local stack, whose environment the worker inherits.
import '../../local/powertools-environment';
import { randomUUID } from 'node:crypto';
import type { APIGatewayRequestAuthorizerEventV2, Context } from 'aws-lambda';
import { beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createApiKey, DynamoApiKeyStore, generateApiKey } from '../../functions/shared/auth/api-keys';
import type { Role, RouteShape } from '../../functions/shared/resources';
import { localClients } from '../support/aws-clients';

vi.mock(import('../../functions/shared/resources'), async (importOriginal) => {
  const original = await importOriginal();
  const testRoutes: RouteShape[] = [
    { method: 'GET', path: '/test-auth/tasks/{id}', handler: 'health', access: 'MEMBER' },
    { method: 'GET', path: '/test-auth/admin', handler: 'health', access: 'ADMIN' },
    { method: 'DELETE', path: '/test-auth/org', handler: 'health', access: 'OWNER' },
  ];
  return { ...original, ROUTES: [...original.ROUTES, ...testRoutes] };
});

const endpoints = inject('endpoints');
const { documents } = localClients(endpoints);
const store = new DynamoApiKeyStore(documents, endpoints.tableName);
const orgId = `org-${randomUUID()}`;

type Handler = (event: APIGatewayRequestAuthorizerEventV2, context: Context) => Promise<unknown>;
let handler: Handler;

beforeAll(async () => {
  // The handler reads its configuration at load, as in Lambda.
  Object.assign(process.env, endpoints.environment, {
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    POWERTOOLS_TRACE_ENABLED: 'false',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  delete process.env.AUTH_JWT_ISSUER;
  ({ handler } = (await import('../../functions/authorizer/handler')) as unknown as { handler: Handler });
});

const context = {
  functionName: 'stepwise-authorizer',
  awsRequestId: randomUUID(),
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;

function event(routeKey: string, headers: Record<string, string>): APIGatewayRequestAuthorizerEventV2 {
  const [method = 'GET', path = '/'] = routeKey.split(' ');
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: `arn:aws:execute-api:us-east-1:000000000000:local/$default/${method}${path}`,
    identitySource: Object.values(headers),
    routeKey,
    rawPath: path,
    rawQueryString: '',
    cookies: [],
    headers,
    requestContext: {} as APIGatewayRequestAuthorizerEventV2['requestContext'],
  };
}

const bearer = (credential: string) => ({ authorization: `Bearer ${credential}` });
const keyFor = async (role: Role) => (await createApiKey(store, { orgId, role, name: role })).plaintext;

describe('authorizer handler with keys in DynamoDB', () => {
  it('passes a FORBIDDEN denial naming ADMIN for a MEMBER key on an admin route, and no identity', async () => {
    const member = await keyFor('MEMBER');
    expect(await handler(event('GET /test-auth/admin', bearer(member)), context)).toEqual({
      isAuthorized: true,
      context: {
        denial: 'FORBIDDEN',
        reason: 'GET /test-auth/admin needs the ADMIN role; the caller is MEMBER',
        requiredRole: 'ADMIN',
      },
    });
  });

  it('allows a MEMBER key on a member route, passing org and role to the handler', async () => {
    const member = await keyFor('MEMBER');
    expect(await handler(event('GET /test-auth/tasks/{id}', bearer(member)), context)).toEqual({
      isAuthorized: true,
      context: { orgId, role: 'MEMBER', principal: expect.any(String), method: 'api-key' },
    });
  });

  it('allows an OWNER key on admin and owner routes', async () => {
    const owner = await keyFor('OWNER');
    for (const routeKey of ['GET /test-auth/admin', 'DELETE /test-auth/org']) {
      const result = await handler(event(routeKey, bearer(owner)), context);
      expect(result, routeKey).toMatchObject({ isAuthorized: true, context: { orgId, role: 'OWNER' } });
    }
  });

  it('passes a FORBIDDEN denial naming OWNER for an ADMIN key on an OWNER route', async () => {
    const admin = await keyFor('ADMIN');
    const result = await handler(event('DELETE /test-auth/org', bearer(admin)), context);
    expect(result).toEqual({
      isAuthorized: true,
      context: expect.objectContaining({ denial: 'FORBIDDEN', requiredRole: 'OWNER' }),
    });
  });

  it('passes an UNAUTHENTICATED denial for an unknown key', async () => {
    const result = await handler(
      event('GET /test-auth/tasks/{id}', bearer(generateApiKey().plaintext)),
      context,
    );
    expect(result).toEqual({
      isAuthorized: true,
      context: { denial: 'UNAUTHENTICATED', reason: 'API key is not known' },
    });
  });

  it('passes an UNAUTHENTICATED denial naming the revocation for a revoked key', async () => {
    const { plaintext, key } = await createApiKey(store, { orgId, role: 'OWNER', name: 'revoked' });
    await store.revoke(orgId, key.keyId, new Date().toISOString());
    const result = await handler(event('GET /test-auth/tasks/{id}', bearer(plaintext)), context);
    expect(result).toEqual({
      isAuthorized: true,
      context: {
        denial: 'UNAUTHENTICATED',
        reason: expect.stringContaining(`API key ${key.keyId} was revoked`),
      },
    });
  });

  it('passes an UNAUTHENTICATED denial for a stored key whose org is not an organization id', async () => {
    // Written past createApiKey, as by hand: a#WF#b would share org a's keys in the table.
    const { plaintext, keyHash, keyId } = generateApiKey();
    const createdAt = new Date().toISOString();
    await store.create({ keyId, orgId: 'a#WF#b', role: 'OWNER', name: 'by hand', createdAt }, keyHash);
    expect(await handler(event('GET /test-auth/tasks/{id}', bearer(plaintext)), context)).toEqual({
      isAuthorized: true,
      context: { denial: 'UNAUTHENTICATED', reason: `API key ${keyId} has an invalid org and role` },
    });
  });

  it('passes an UNAUTHENTICATED denial for a JWT when no issuer is configured', async () => {
    const result = await handler(event('GET /test-auth/tasks/{id}', bearer('a.b.c')), context);
    expect(result).toEqual({
      isAuthorized: true,
      context: { denial: 'UNAUTHENTICATED', reason: 'JWT authentication is not configured' },
    });
  });

  it('passes an UNAUTHENTICATED denial when the request has no Authorization header', async () => {
    const result = await handler(event('GET /test-auth/tasks/{id}', {}), context);
    expect(result).toEqual({
      isAuthorized: true,
      context: { denial: 'UNAUTHENTICATED', reason: 'missing Authorization header' },
    });
  });

  it('refuses outright a route key that is not in the route table', async () => {
    const owner = await keyFor('OWNER');
    expect(await handler(event('DELETE /nowhere', bearer(owner)), context)).toEqual({
      isAuthorized: false,
      context: {},
    });
  });

  it('allows a public route whatever the credentials', async () => {
    expect(await handler(event('GET /health', bearer('not-a-token')), context)).toEqual({
      isAuthorized: true,
      context: {},
    });
  });
});
