import { describe, expect, it } from 'vitest';
import { createApiKey, hashApiKey } from '../../../functions/shared/auth/api-keys';
import { decide } from '../../../functions/shared/auth/authorizer-decision';
import { type AuthResult, OPERATOR_ORG_ID } from '../../../functions/shared/auth/identity';
import type { Role, RouteShape } from '../../../functions/shared/resources';
import { InMemoryApiKeyStore } from './in-memory-stores';

const routes: RouteShape[] = [
  { method: 'GET', path: '/health', handler: 'health', access: 'public' },
  { method: 'GET', path: '/tasks/{id}', handler: 'health', access: 'MEMBER' },
  { method: 'GET', path: '/admin/tasks', handler: 'health', access: 'ADMIN', operators: true },
  { method: 'GET', path: '/admin/only-operators', handler: 'health', access: 'OPERATOR' },
];

async function setup(role: Role) {
  const apiKeys = new InMemoryApiKeyStore();
  const orgId = role === 'OPERATOR' ? OPERATOR_ORG_ID : 'org-1';
  const { plaintext, key } = await createApiKey(apiKeys, { orgId, role, name: 'test' });
  return { deps: { apiKeys, routes }, headers: { authorization: `Bearer ${plaintext}` }, key };
}

describe('decide', () => {
  it('allows a MEMBER key on a MEMBER route and passes its identity as context', async () => {
    const { deps, headers, key } = await setup('MEMBER');
    const { response } = await decide({ routeKey: 'GET /tasks/{id}', headers }, deps);
    expect(response).toEqual({
      isAuthorized: true,
      context: { orgId: 'org-1', role: 'MEMBER', principal: key.keyId, method: 'api-key' },
    });
  });

  it('passes a FORBIDDEN denial naming the role needed for a MEMBER key on an admin route', async () => {
    const { deps, headers } = await setup('MEMBER');
    const decision = await decide({ routeKey: 'GET /admin/tasks', headers }, deps);
    const reason = 'GET /admin/tasks needs the ADMIN role; the caller is MEMBER';
    expect(decision.response).toEqual({
      isAuthorized: true,
      context: { denial: 'FORBIDDEN', reason, requiredRole: 'ADMIN' },
    });
    expect(decision.denied).toEqual({ denied: reason });
    expect(decision.identity).toMatchObject({ orgId: 'org-1', role: 'MEMBER' });
  });

  it('never puts an identity into a denial context', async () => {
    const { deps, headers } = await setup('MEMBER');
    const { response } = await decide({ routeKey: 'GET /admin/tasks', headers }, deps);
    expect(response.context).not.toHaveProperty('orgId');
    expect(response.context).not.toHaveProperty('role');
  });

  it('allows an OWNER key on an admin route', async () => {
    const { deps, headers } = await setup('OWNER');
    const { response } = await decide({ routeKey: 'GET /admin/tasks', headers }, deps);
    expect(response).toMatchObject({ isAuthorized: true, context: { role: 'OWNER' } });
  });

  it('allows an OPERATOR key on a route open to operators, with the reserved org in its context', async () => {
    const { deps, headers, key } = await setup('OPERATOR');
    const { response } = await decide({ routeKey: 'GET /admin/tasks', headers }, deps);
    expect(response).toEqual({
      isAuthorized: true,
      context: { orgId: '*', role: 'OPERATOR', principal: key.keyId, method: 'api-key' },
    });
  });

  it('refuses an OPERATOR key on a tenant route, pointing to the admin routes', async () => {
    const { deps, headers } = await setup('OPERATOR');
    const decision = await decide({ routeKey: 'GET /tasks/{id}', headers }, deps);
    expect(decision.response.context).toMatchObject({
      denial: 'FORBIDDEN',
      requiredRole: 'MEMBER',
      reason: expect.stringContaining('OPERATOR reads organizations through the /admin routes'),
    });
  });

  it('keeps an operators-only route from every tenant role, OWNER included', async () => {
    for (const role of ['OWNER', 'ADMIN', 'MEMBER'] as const) {
      const { deps, headers } = await setup(role);
      const decision = await decide({ routeKey: 'GET /admin/only-operators', headers }, deps);
      expect(decision.response.context, role).toMatchObject({
        denial: 'FORBIDDEN',
        requiredRole: 'OPERATOR',
      });
    }
    const { deps, headers } = await setup('OPERATOR');
    const { response } = await decide({ routeKey: 'GET /admin/only-operators', headers }, deps);
    expect(response.context).toMatchObject({ role: 'OPERATOR' });
  });

  it('refuses a stored key whose org and role do not go together (an OPERATOR outside the reserved org)', async () => {
    const apiKeys = new InMemoryApiKeyStore();
    const plaintext = `sw_${'B'.repeat(43)}`;
    const forged = {
      keyId: 'forged01',
      orgId: 'org-1',
      role: 'OPERATOR' as const,
      name: 'x',
      createdAt: 'now',
    };
    await apiKeys.create(forged, hashApiKey(plaintext));
    const decision = await decide(
      { routeKey: 'GET /admin/tasks', headers: { authorization: `Bearer ${plaintext}` } },
      { apiKeys, routes },
    );
    expect(decision.response.context).toMatchObject({ denial: 'UNAUTHENTICATED' });
  });

  it('reads the credential from the identity source when the headers do not carry it', async () => {
    const { deps, headers } = await setup('ADMIN');
    const decision = await decide(
      { routeKey: 'GET /admin/tasks', identitySource: [headers.authorization] },
      deps,
    );
    expect(decision.response.isAuthorized).toBe(true);
  });

  it('passes an UNAUTHENTICATED denial with the reason when the credential is not accepted', async () => {
    const { deps } = await setup('OWNER');
    const decision = await decide(
      { routeKey: 'GET /tasks/{id}', headers: { authorization: 'Basic dXNlcjpwYXNz' } },
      deps,
    );
    expect(decision.response).toEqual({
      isAuthorized: true,
      context: { denial: 'UNAUTHENTICATED', reason: 'Authorization must be "Bearer <token>"' },
    });
    expect(decision.denied?.denied).toMatch(/Bearer/);
  });

  it('passes an UNAUTHENTICATED denial when there is no Authorization header at all', async () => {
    const { deps } = await setup('OWNER');
    const { response } = await decide({ routeKey: 'GET /tasks/{id}', headers: {} }, deps);
    expect(response).toEqual({
      isAuthorized: true,
      context: { denial: 'UNAUTHENTICATED', reason: 'missing Authorization header' },
    });
  });

  it.each([
    ['an unknown key', `Bearer sw_${'A'.repeat(43)}`, 'API key is not known'],
    ['a malformed key', 'Bearer sw_short', 'API key is malformed'],
  ])('passes an UNAUTHENTICATED denial for %s', async (_name, authorization, reason) => {
    const { deps } = await setup('OWNER');
    const { response } = await decide({ routeKey: 'GET /tasks/{id}', headers: { authorization } }, deps);
    expect(response).toEqual({ isAuthorized: true, context: { denial: 'UNAUTHENTICATED', reason } });
  });

  it('takes the org and role of a JWT from the verifier (not its expiry: each request is checked anew)', async () => {
    const { deps } = await setup('MEMBER');
    const verifyJwt = async (): Promise<AuthResult> => ({
      orgId: 'org-7',
      role: 'ADMIN',
      principal: 'user-1',
      method: 'jwt',
      expiresAt: 2_000_000_000,
    });
    const { response } = await decide(
      { routeKey: 'GET /admin/tasks', headers: { authorization: 'Bearer a.b.c' } },
      { ...deps, verifyJwt },
    );
    expect(response).toEqual({
      isAuthorized: true,
      context: { orgId: 'org-7', role: 'ADMIN', principal: 'user-1', method: 'jwt' },
    });
  });

  it('denies a route key that is not in the route table, even for an OWNER', async () => {
    const { deps, headers } = await setup('OWNER');
    const decision = await decide({ routeKey: 'DELETE /tasks/{id}', headers }, deps);
    expect(decision.response.isAuthorized).toBe(false);
    expect(decision.denied?.denied).toMatch(/not in the route table/);
  });

  it('allows a public route without credentials', async () => {
    const { deps } = await setup('MEMBER');
    const { response } = await decide({ routeKey: 'GET /health', headers: {} }, deps);
    expect(response).toEqual({ isAuthorized: true, context: {} });
  });

  it('uses the shared route table by default', async () => {
    const { deps, headers } = await setup('MEMBER');
    const { apiKeys } = deps;
    expect(
      (await decide({ routeKey: 'POST /workflows', headers }, { apiKeys })).response.context,
    ).toMatchObject({
      denial: 'FORBIDDEN',
      requiredRole: 'ADMIN',
    });
    expect((await decide({ routeKey: 'GET /tasks', headers }, { apiKeys })).response.context).toMatchObject({
      role: 'MEMBER',
    });
  });
});
