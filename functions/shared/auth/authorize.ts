// Authorization: the role hierarchy OWNER > ADMIN > MEMBER, each route's required role from the shared
// route table, and the handlers' way back to the caller's identity: the authorizer's context on the
// API Gateway event. The organization always comes from there, never from the request body.
//
// The authorizer lets every request of a known route through and says in its context either who the
// caller is or why they are refused (401 or 403), because an HTTP API authorizer can only deny with a
// bare 403 of its own. So the handler answers refusals in the product's error shape, and fails closed:
// a denial, or anything that is not a complete identity, is never taken for one.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { z } from 'zod';
import { ForbiddenError, UnauthorizedError } from '../http/errors';
import { ROUTES, type Role, type RouteShape } from '../resources';
import { type Identity, ROLES } from './identity';

export type Access = Role | 'public';

// OPERATOR ranks nowhere in an org's hierarchy: routes open to operators say so explicitly.
const RANK: Record<Role, number> = { OPERATOR: 0, MEMBER: 1, ADMIN: 2, OWNER: 3 };

/** Whether a caller with `role` (undefined: anonymous) may use something that needs `required`. */
export function hasAccess(role: Role | undefined, required: Access): boolean {
  if (required === 'public') return true;
  return role !== undefined && RANK[role] >= RANK[required];
}

/**
 * The access a route key (`GET /tasks/{id}`, as API Gateway sends it) needs, from the shared route
 * table; undefined for a route key the table does not hold, which callers must deny (fail closed).
 */
export function requiredAccess(routeKey: string, routes: readonly RouteShape[] = ROUTES): Access | undefined {
  return routes.find((route) => `${route.method} ${route.path}` === routeKey)?.access;
}

/**
 * What the authorizer puts in its simple response's `context` for an authenticated caller with the role
 * the route needs. API Gateway hands it to the route's handler as `event.requestContext.authorizer.lambda`;
 * values stay strings so they survive unchanged.
 */
export interface AuthorizerContext {
  readonly orgId: string;
  readonly role: Role;
  readonly principal: string;
  readonly method: Identity['method'];
}

/** The context of a refused request: 401 (no usable credential) or 403 (role too low), and why. */
export interface DenialContext {
  readonly denial: 'UNAUTHENTICATED' | 'FORBIDDEN';
  readonly reason: string;
  /** The role the route needs, on FORBIDDEN. */
  readonly requiredRole?: Role;
}

const AuthorizerContextSchema = z.strictObject({
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
 * The caller's identity as the authorizer established it. Throws ForbiddenError (403) for a FORBIDDEN
 * denial and UnauthorizedError (401) for any other denial, and when the event carries no complete
 * identity (which also means the route was wired without the authorizer): fail closed.
 */
export function identityFromEvent(event: Pick<APIGatewayProxyEventV2, 'requestContext'>): Identity {
  const requestContext = event.requestContext as { authorizer?: { lambda?: unknown } };
  const context = requestContext.authorizer?.lambda;
  if (typeof context === 'object' && context !== null && 'denial' in context) {
    const { denial, reason, requiredRole } = context as Partial<Record<string, unknown>>;
    const why = typeof reason === 'string' && reason !== '' ? reason : 'credentials refused';
    if (denial === 'FORBIDDEN')
      throw new ForbiddenError(why, typeof requiredRole === 'string' ? requiredRole : undefined);
    throw new UnauthorizedError(why);
  }
  const parsed = AuthorizerContextSchema.safeParse(context);
  if (!parsed.success) throw new UnauthorizedError('no authenticated identity on the request');
  return parsed.data;
}
