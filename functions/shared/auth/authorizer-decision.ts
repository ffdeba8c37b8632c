// The decision of the HTTP API Lambda authorizer (payload format 2.0, simple responses): authenticate
// the Authorization header, then check the role the route needs in the shared route table. Pure over
// its dependencies, so the authorizer Lambda and the local API server make the very same decision.
//
// An HTTP API authorizer can only refuse with API Gateway's bare 403 `{"message":"Forbidden"}`, and the
// API has no identity source, so API Gateway calls the authorizer even when the header is missing. So for
// a route of the table the authorizer always allows, and its context carries either the caller's
// identity or the denial (UNAUTHENTICATED -> 401, FORBIDDEN -> 403, with the reason); the handler
// (`identityFromEvent`) answers denials in the product's error shape and fails closed. A route key
// missing from the route table is still refused outright (fail closed); a public route is allowed
// whatever the credentials.
import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from 'aws-lambda';
import type { RouteShape } from '../resources';
import { type AuthenticateDeps, authenticate } from './authenticate';
import {
  type AuthorizerContext,
  type DenialContext,
  forbiddenReason,
  hasAccess,
  routeOf,
  toAuthorizerContext,
} from './authorize';
import { type Denied, deny, type Identity, isDenied } from './identity';

export type AuthorizerResult = APIGatewaySimpleAuthorizerWithContextResult<
  AuthorizerContext | DenialContext | Record<string, never>
>;

export interface AuthorizerDecision {
  readonly response: AuthorizerResult;
  /** Set when refused: why (the handler tells the caller; the authorizer logs it). */
  readonly denied?: Denied;
  /** Who the caller is, when authenticated (also on a denial for lack of role). */
  readonly identity?: Identity;
}

export interface DecideDeps extends AuthenticateDeps {
  /** @default ROUTES from shared/resources */
  readonly routes?: readonly RouteShape[];
}

export type AuthorizerEvent = Pick<APIGatewayRequestAuthorizerEventV2, 'routeKey'> &
  Partial<Pick<APIGatewayRequestAuthorizerEventV2, 'headers' | 'identitySource'>>;

/** Payload 2.0 lower-cases header names; an identity source, where one is configured, carries the same. */
const authorizationOf = (event: AuthorizerEvent): string | undefined =>
  event.headers?.authorization ?? event.identitySource?.[0];

export async function decide(event: AuthorizerEvent, deps: DecideDeps): Promise<AuthorizerDecision> {
  const route = routeOf(event.routeKey, deps.routes);
  if (route === undefined) {
    return {
      response: { isAuthorized: false, context: {} },
      denied: deny(`route ${event.routeKey} is not in the route table`),
    };
  }
  const required = route.access;
  if (required === 'public') return { response: { isAuthorized: true, context: {} } };
  const result = await authenticate(authorizationOf(event), deps);
  if (isDenied(result)) {
    return {
      response: { isAuthorized: true, context: { denial: 'UNAUTHENTICATED', reason: result.denied } },
      denied: result,
    };
  }
  if (!hasAccess(result.role, required, route.operators)) {
    const reason = forbiddenReason(event.routeKey, route, result.role);
    return {
      response: { isAuthorized: true, context: { denial: 'FORBIDDEN', reason, requiredRole: required } },
      denied: deny(reason),
      identity: result,
    };
  }
  return { response: { isAuthorized: true, context: toAuthorizerContext(result) }, identity: result };
}
