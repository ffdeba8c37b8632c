// The WebSocket API's $connect authorizer (a REQUEST authorizer, identity source the Sec-WebSocket-Protocol
// header): browsers cannot set headers on a WebSocket and credentials must not go in URLs (access logs),
// so the client offers the subprotocols `stepwise.v1` and `bearer.<base64url(credential)>`. The credential
// is authenticated by the same code as the HTTP authorizer (API key or JWT). Any refusal is a Deny policy
// (API Gateway answers 403 before the upgrade): throwing would count as a function error and page someone
// for every stray client. The identity goes on as the policy's context, which $connect reads.
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { type AuthenticateDeps, authenticate } from '../auth/authenticate';
import { type AuthorizerContext, toAuthorizerContext } from '../auth/authorize';
import { type Denied, deny, type Identity, isDenied } from '../auth/identity';
import { CREDENTIAL_EXPIRY_KEY } from './live-expiry';
import { BEARER_PROTOCOL_PREFIX, LIVE_PROTOCOL } from './live-messages';

export type ConnectAuthorizerEvent = Pick<APIGatewayRequestAuthorizerEvent, 'methodArn' | 'headers'>;

export interface ConnectDecision {
  readonly response: APIGatewayAuthorizerResult;
  readonly denied?: Denied;
  readonly identity?: Identity;
}

/** Whether an authorizer event is a WebSocket $connect (its method ARN ends with the route, no HTTP method). */
export const isConnectAuthorizerEvent = (event: unknown): event is ConnectAuthorizerEvent =>
  typeof event === 'object' &&
  event !== null &&
  typeof (event as { methodArn?: unknown }).methodArn === 'string' &&
  (event as { methodArn: string }).methodArn.endsWith('/$connect');

/** The header, whatever the case of its name (API Gateway passes WebSocket headers as the client sent them). */
export function headerOf(headers: Record<string, string | undefined> | null | undefined, name: string) {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers ?? {})) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/** The credential in the offered subprotocols, or why there is none usable. */
export function credentialOfProtocols(header: string | undefined): string | Denied {
  const offered = (header ?? '').split(',').map((protocol) => protocol.trim());
  if (!offered.includes(LIVE_PROTOCOL)) return deny(`Sec-WebSocket-Protocol must offer ${LIVE_PROTOCOL}`);
  const bearer = offered.filter((protocol) => protocol.startsWith(BEARER_PROTOCOL_PREFIX));
  if (bearer.length !== 1) {
    return deny(`Sec-WebSocket-Protocol must offer one ${BEARER_PROTOCOL_PREFIX}<base64url credential>`);
  }
  const encoded = bearer[0]?.slice(BEARER_PROTOCOL_PREFIX.length) ?? '';
  if (!/^[A-Za-z0-9_-]+$/.test(encoded)) return deny('the bearer subprotocol is not base64url');
  return Buffer.from(encoded, 'base64url').toString('utf8');
}

const policy = (effect: 'Allow' | 'Deny', methodArn: string, principalId: string) => ({
  principalId,
  policyDocument: {
    Version: '2012-10-17',
    Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: methodArn }],
  },
});

export async function decideConnect(
  event: ConnectAuthorizerEvent,
  deps: AuthenticateDeps,
): Promise<ConnectDecision> {
  const credential = credentialOfProtocols(headerOf(event.headers, 'sec-websocket-protocol'));
  const result =
    typeof credential === 'string' ? await authenticate(`Bearer ${credential}`, deps) : credential;
  if (isDenied(result)) return { response: policy('Deny', event.methodArn, 'anonymous'), denied: result };
  const context: AuthorizerContext = toAuthorizerContext(result);
  // The credential's expiry too (a JWT's), so $connect records when the connection must end.
  const expiry = result.expiresAt === undefined ? {} : { [CREDENTIAL_EXPIRY_KEY]: result.expiresAt };
  return {
    response: {
      ...policy('Allow', event.methodArn, result.principal),
      context: { ...context, ...expiry },
    },
    identity: result,
  };
}
