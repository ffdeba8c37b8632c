// Authorization: the role hierarchy OWNER > ADMIN > MEMBER, each route's required role from the shared
// route table (and whether operators may use it: OPERATOR ranks nowhere in an org, so it reaches only
// the routes marked `operators: true`, or those whose access is OPERATOR itself), and the handlers' way back to the caller's identity: the authorizer's context on the
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
import { type Identity, isValidMembership, ROLES } from './identity';

export type Access = Role | 'public';

// OPERATOR ranks nowhere in an org's hierarchy: routes open to operators say so explicitly.
const RANK: Record<Role, number> = { OPERATOR: 0, MEMBER: 1, ADMIN: 2, OWNER: 3 };

/**
 * Whether a caller with `role` (undefined: anonymous) may use something that needs `required`;
 * `operators` opens it to OPERATOR as well (a route whose access is OPERATOR is for operators only).
 */
export function hasAccess(role: Role | undefined, required: Access, operators = false): boolean {
  if (required === 'public') return true;
  if (role === undefined) return false;
  if (role === 'OPERATOR') return operators || required === 'OPERATOR';
  return required !== 'OPERATOR' && RANK[role] >= RANK[required];
}

/** Why a caller is refused a route: the role it needs, and for operators that it is a tenant route. */
export function forbiddenReason(routeKey: string, route: Pick<RouteShape, 'access'>, role: Role): string {
  if (role === 'OPERATOR') {
    return `${routeKey} is a route of an organization's own members (${route.access} or above); OPERATOR reads organizations through the /admin routes`;
  }
  return `${routeKey} needs the ${route.access} role; the caller is ${role}`;
}

/**
 * The access a route key (`GET /tasks/{id}`, as API Gateway sends it) needs, from the shared route
 * table; undefined for a route key the table does not hold, which callers must deny (fail closed).
 */
export function requiredAccess(routeKey: string, routes: readonly RouteShape[] = ROUTES): Access | undefined {
  return routeOf(routeKey, routes)?.access;
}

/** The route table's row for a route key, or undefined (callers deny: fail closed). */
export function routeOf(routeKey: string, routes: readonly RouteShape[] = ROUTES): RouteShape | undefined {
  return routes.find((route) => `${route.method} ${route.path}` === routeKey);
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

const AuthorizerContextSchema = z
  .strictObject({
    orgId: z.string().min(1),
    role: z.enum([...ROLES, 'OPERATOR']),
    principal: z.string().min(1),
    method: z.enum(['jwt', 'api-key']),
  })
  .refine(({ orgId, role }) => isValidMembership(orgId, role));

export const toAuthorizerContext = ({ orgId, role, principal, method }: Identity): AuthorizerContext => ({
  orgId,
  role,
  principal,
  method,
});

/** An authorizer context (HTTP or WebSocket $connect) as an identity; undefined unless it is a complete one. */
export function identityFromContext(context: unknown): Identity | undefined {
  const parsed = AuthorizerContextSchema.safeParse(context);
  return parsed.success ? parsed.data : undefined;
}

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
