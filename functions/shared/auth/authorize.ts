// Authorization: the role hierarchy OWNER > ADMIN > MEMBER, each route's required role from the shared
// route table, and the handlers' way back to the caller's identity: the authorizer's context on the
// API Gateway event. The organization always comes from there, never from the request body.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { z } from 'zod';
import { ForbiddenError, UnauthorizedError } from '../http/errors';
import { ROUTES, type Role, type RouteShape } from '../resources';
import { type Identity, ROLES } from './identity';

export type Access = Role | 'public';

const RANK: Record<Role, number> = { MEMBER: 1, ADMIN: 2, OWNER: 3 };

/** Whether a caller with `role` (undefined: anonymous) may use something that needs `required`. */
export function hasAccess(role: Role | undefined, required: Access): boolean {
  if (required === 'public') return true;
  return role !== undefined && RANK[role] >= RANK[required];
}

/** Throws ForbiddenError (403) unless the identity holds `required` or a stronger role. */
export function requireRole(identity: Identity, required: Access): void {
  if (!hasAccess(identity.role, required)) {
    throw new ForbiddenError(`This operation needs the ${required} role; the caller is ${identity.role}`);
  }
}

/**
 * The access a route key (`GET /tasks/{id}`, as API Gateway sends it) needs, from the shared route
 * table; undefined for a route key the table does not hold, which callers must deny (fail closed).
 */
export function requiredAccess(routeKey: string, routes: readonly RouteShape[] = ROUTES): Access | undefined {
  return routes.find((route) => `${route.method} ${route.path}` === routeKey)?.access;
}

/**
 * What the authorizer puts in its simple response's `context`. API Gateway hands it to the route's
 * handler as `event.requestContext.authorizer.lambda`; values stay strings so they survive unchanged.
 */
export interface AuthorizerContext {
  readonly orgId: string;
  readonly role: Role;
  readonly principal: string;
  readonly method: Identity['method'];
}

const AuthorizerContextSchema = z.object({
  orgId: z.string().min(1),
  role: z.enum(ROLES),
  principal: z.string().min(1),
  method: z.enum(['jwt', 'api-key']),
});

export const toAuthorizerContext = ({ orgId, role, principal, method }: Identity): AuthorizerContext => ({
  orgId,
  role,
  principal,
  method,
});

/**
 * The caller's identity as the authorizer established it. Throws UnauthorizedError (401) when the
 * event carries none, which means the route was wired without the authorizer: fail closed.
 */
export function identityFromEvent(event: Pick<APIGatewayProxyEventV2, 'requestContext'>): Identity {
  const requestContext = event.requestContext as { authorizer?: { lambda?: unknown } };
  const parsed = AuthorizerContextSchema.safeParse(requestContext.authorizer?.lambda);
  if (!parsed.success) throw new UnauthorizedError('No authenticated identity on the request');
  return parsed.data;
}
