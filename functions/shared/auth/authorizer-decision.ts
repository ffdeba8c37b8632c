// The decision of the HTTP API Lambda authorizer (payload format 2.0, simple responses): authenticate
// the Authorization header, then check the role the route needs in the shared route table. Pure over
// its dependencies, so the authorizer Lambda and the local API server make the very same decision.
//
// API Gateway answers 401 itself when the identity source (the Authorization header) is missing,
// without calling the authorizer, and 403 whenever `isAuthorized` is false; the local API server
// mirrors both. A route key missing from the route table is denied (fail closed); a public route is
// allowed whatever the credentials.
import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from 'aws-lambda';
import type { RouteShape } from '../resources';
import { type AuthenticateDeps, authenticate } from './authenticate';
import { type AuthorizerContext, hasAccess, requiredAccess, toAuthorizerContext } from './authorize';
import { type Denied, deny, type Identity, isDenied } from './identity';

export type AuthorizerResult = APIGatewaySimpleAuthorizerWithContextResult<
  AuthorizerContext | Record<string, never>
>;

export interface AuthorizerDecision {
  readonly response: AuthorizerResult;
  /** Set when denied: why, for the logs (never sent to the caller: API Gateway answers a bare 403). */
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

const denial = (denied: Denied, identity?: Identity): AuthorizerDecision => ({
  response: { isAuthorized: false, context: {} },
  denied,
  ...(identity && { identity }),
});

/** Payload 2.0 lower-cases header names; the identity source carries the same value. */
const authorizationOf = (event: AuthorizerEvent): string | undefined =>
  event.headers?.authorization ?? event.identitySource?.[0];

export async function decide(event: AuthorizerEvent, deps: DecideDeps): Promise<AuthorizerDecision> {
  const required = requiredAccess(event.routeKey, deps.routes);
  if (required === undefined) return denial(deny(`route ${event.routeKey} is not in the route table`));
  if (required === 'public') return { response: { isAuthorized: true, context: {} } };
  const result = await authenticate(authorizationOf(event), deps);
  if (isDenied(result)) return denial(result);
  if (!hasAccess(result.role, required)) {
    return denial(deny(`${event.routeKey} needs ${required}; the caller is ${result.role}`), result);
  }
  return { response: { isAuthorized: true, context: toAuthorizerContext(result) }, identity: result };
}
