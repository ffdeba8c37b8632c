import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  hasAccess,
  identityFromEvent,
  requiredAccess,
  toAuthorizerContext,
} from '../../../functions/shared/auth/authorize';
import type { Identity } from '../../../functions/shared/auth/identity';
import { ForbiddenError, UnauthorizedError } from '../../../functions/shared/http/errors';
import { ROUTES, type RouteShape } from '../../../functions/shared/resources';

describe('role hierarchy', () => {
  it.each([
    ['OWNER', 'OWNER', true],
    ['OWNER', 'ADMIN', true],
    ['OWNER', 'MEMBER', true],
    ['ADMIN', 'OWNER', false],
    ['ADMIN', 'ADMIN', true],
    ['ADMIN', 'MEMBER', true],
    ['MEMBER', 'OWNER', false],
    ['MEMBER', 'ADMIN', false],
    ['MEMBER', 'MEMBER', true],
  ] as const)('%s on a route that needs %s: %s', (role, required, allowed) => {
    expect(hasAccess(role, required)).toBe(allowed);
  });

  it('lets OPERATOR use only routes open to operators or for operators alone', () => {
    expect(hasAccess('OPERATOR', 'MEMBER')).toBe(false);
    expect(hasAccess('OPERATOR', 'OWNER')).toBe(false);
    expect(hasAccess('OPERATOR', 'ADMIN', true)).toBe(true);
    expect(hasAccess('OPERATOR', 'OPERATOR')).toBe(true);
    expect(hasAccess('OWNER', 'OPERATOR')).toBe(false);
    expect(hasAccess('MEMBER', 'ADMIN', true)).toBe(false);
  });

  it('opens to operators, in the route table, only read routes, the worker cleanup and the alert configuration', () => {
    // The writes an operator may run: the sweep on demand (it marks silent workers DEAD), acknowledging an
    // alert (it records who and when, and resolves an event alert; no org's data changes), and the alert
    // rules and channels of the deployment or of a named org.
    const allowedWrites = [
      'POST /admin/workers/cleanup',
      'POST /admin/alerts/{id}/ack',
      'PUT /admin/alert-rules',
      'PUT /admin/alert-channels',
    ];
    const open = ROUTES.filter((route) => route.operators).map((route) => `${route.method} ${route.path}`);
    expect(open).toEqual(
      expect.arrayContaining(['GET /admin/tasks', 'GET /admin/tasks/{id}', ...allowedWrites]),
    );
    const writes = open.filter((key) => !key.startsWith('GET '));
    expect(writes).toEqual(allowedWrites);
  });

  it('lets anyone, even anonymous, use a public route', () => {
    expect(hasAccess(undefined, 'public')).toBe(true);
    expect(hasAccess('MEMBER', 'public')).toBe(true);
  });

  it('refuses anonymous callers everything that is not public', () => {
    expect(hasAccess(undefined, 'MEMBER')).toBe(false);
  });
});

describe('requiredAccess', () => {
  const routes: RouteShape[] = [
    { method: 'GET', path: '/tasks/{id}', handler: 'health', access: 'MEMBER' },
    { method: 'GET', path: '/admin/tasks', handler: 'health', access: 'ADMIN' },
  ];

  it('finds the access of a route by the route key API Gateway sends', () => {
    expect(requiredAccess('GET /tasks/{id}', routes)).toBe('MEMBER');
    expect(requiredAccess('GET /admin/tasks', routes)).toBe('ADMIN');
  });

  it('reads the shared route table by default', () => {
    expect(requiredAccess('GET /tasks/{id}')).toBe('MEMBER');
    expect(requiredAccess('POST /workflows')).toBe('ADMIN');
    expect(requiredAccess('GET /health')).toBe('public');
  });

  it('knows nothing of a route key that is not in the table', () => {
    expect(requiredAccess('DELETE /tasks/{id}', routes)).toBeUndefined();
    expect(requiredAccess('$default', routes)).toBeUndefined();
  });
});

describe('identityFromEvent', () => {
  const event = (authorizer: unknown) =>
    ({ requestContext: { authorizer } }) as unknown as Pick<APIGatewayProxyEventV2, 'requestContext'>;

  it('reads the identity the authorizer put in the request context', () => {
    const identity: Identity = { orgId: 'org-9', role: 'ADMIN', principal: 'user-1', method: 'jwt' };
    expect(identityFromEvent(event({ lambda: toAuthorizerContext(identity) }))).toEqual(identity);
  });

  it('reads an OPERATOR identity only with the reserved org, and refuses OPERATOR in a tenant org', () => {
    const operator = { orgId: '*', role: 'OPERATOR', principal: 'k', method: 'api-key' } as const;
    expect(identityFromEvent(event({ lambda: operator }))).toEqual(operator);
    expect(() => identityFromEvent(event({ lambda: { ...operator, orgId: 'org-1' } }))).toThrow(
      UnauthorizedError,
    );
    expect(() => identityFromEvent(event({ lambda: { ...operator, role: 'OWNER' } }))).toThrow(
      UnauthorizedError,
    );
  });

  it('throws a 401 UnauthorizedError when the route ran without the authorizer', () => {
    expect(() => identityFromEvent(event(undefined))).toThrow(UnauthorizedError);
  });

  it('throws a 401 UnauthorizedError when the context is incomplete or carries an unknown role', () => {
    expect(() => identityFromEvent(event({ lambda: { orgId: 'org-9', role: 'ADMIN' } }))).toThrow(
      UnauthorizedError,
    );
    expect(() =>
      identityFromEvent(event({ lambda: { orgId: 'o', role: 'ROOT', principal: 'p', method: 'jwt' } })),
    ).toThrow(UnauthorizedError);
  });

  it('throws a 401 with the reason for an UNAUTHENTICATED denial', () => {
    const denial = { denial: 'UNAUTHENTICATED', reason: 'API key is not known' };
    expect(() => identityFromEvent(event({ lambda: denial }))).toThrow(UnauthorizedError);
    expect(() => identityFromEvent(event({ lambda: denial }))).toThrow(/API key is not known/);
  });

  it('throws a 403 naming the role needed for a FORBIDDEN denial', () => {
    const denial = {
      denial: 'FORBIDDEN',
      reason: 'POST /workflows needs the ADMIN role',
      requiredRole: 'ADMIN',
    };
    expect(() => identityFromEvent(event({ lambda: denial }))).toThrow(ForbiddenError);
    expect(() => identityFromEvent(event({ lambda: denial }))).toThrow(/needs the ADMIN role/);
  });

  it('never takes a denial for an identity, even one that also carries identity fields', () => {
    const mixed = {
      denial: 'FORBIDDEN',
      reason: 'r',
      orgId: 'org-9',
      role: 'OWNER',
      principal: 'p',
      method: 'jwt',
    };
    expect(() => identityFromEvent(event({ lambda: mixed }))).toThrow(ForbiddenError);
    expect(() => identityFromEvent(event({ lambda: { ...mixed, denial: 'SOMETHING' } }))).toThrow(
      UnauthorizedError,
    );
  });

  it('refuses an identity context with extra fields (strict)', () => {
    const identity = { orgId: 'o', role: 'OWNER', principal: 'p', method: 'jwt', extra: 'x' };
    expect(() => identityFromEvent(event({ lambda: identity }))).toThrow(UnauthorizedError);
  });
});
