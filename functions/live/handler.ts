// live: the WebSocket API's routes. $connect records the connection with the identity its authorizer
// established and selects the `stepwise.v1` subprotocol; $disconnect deletes it and its subscriptions;
// $default answers subscribe/unsubscribe/ping (a route response). The logic is in shared/live/live-session.ts.
// Its table access is limited to the LIVE# keys and reading task items (lib/live.ts).
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyStructuredResultV2, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { identityFromContext } from '../shared/auth/authorize';
import { documentClient } from '../shared/clients/dynamodb';
import { requireEnv } from '../shared/config';
import { CREDENTIAL_EXPIRY_KEY, credentialExpiryOf } from '../shared/live/live-expiry';
import { LIVE_PROTOCOL } from '../shared/live/live-messages';
import { connect, disconnect, handleMessage, type LiveSessionDeps } from '../shared/live/live-session';
import { DynamoLiveStore } from '../shared/live/live-store';
import { logger, metrics } from '../shared/powertools';
import { DynamoTaskStore } from '../shared/tasks/task-store';
import { publishRecordedMetrics } from '../shared/telemetry/publish-metrics';
import { traceLambdaHandler } from '../shared/tracing';

const tableName = requireEnv('TABLE_NAME');
const tasks = new DynamoTaskStore(documentClient(), tableName);
const deps: LiveSessionDeps = {
  store: new DynamoLiveStore(documentClient(), tableName),
  taskOrg: async (taskId) => (await tasks.getAnyOrg(taskId))?.orgId,
  now: () => new Date(),
};

type WebSocketEvent = APIGatewayProxyWebsocketEventV2 & {
  requestContext: { authorizer?: Record<string, unknown> };
};

/**
 * The identity the $connect authorizer put in its context (API Gateway adds principalId and
 * integrationLatency), with its credential's expiry when it has one.
 */
function identityOf(event: WebSocketEvent) {
  const {
    orgId,
    role,
    principal,
    method,
    [CREDENTIAL_EXPIRY_KEY]: expiry,
  } = event.requestContext.authorizer ?? {};
  const identity = identityFromContext({ orgId, role, principal, method });
  const expiresAt = credentialExpiryOf(expiry);
  // A JWT always has an expiry: without one the connection is refused, never kept for 2 hours.
  if (identity?.method === 'jwt' && expiresAt === undefined) return undefined;
  return identity && expiresAt !== undefined ? { ...identity, expiresAt } : identity;
}

const lambdaHandler = async (event: WebSocketEvent): Promise<APIGatewayProxyStructuredResultV2> => {
  const { routeKey, connectionId } = event.requestContext;
  logger.appendKeys({ routeKey, connectionId });
  if (routeKey === '$connect') {
    const identity = identityOf(event);
    // Only an API wired without its authorizer gets here: refuse (fail closed).
    if (!identity) return { statusCode: 401 };
    if ((await connect(connectionId, identity, deps)) === 'revoked') return { statusCode: 401 };
    return { statusCode: 200, headers: { 'Sec-WebSocket-Protocol': LIVE_PROTOCOL } };
  }
  if (routeKey === '$disconnect') {
    await disconnect(connectionId, deps);
    return { statusCode: 200 };
  }
  const body =
    event.body && event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  const reply = await handleMessage(connectionId, body, deps);
  if (reply.type === 'error') logger.info('Message refused', { reason: reply.message });
  return { statusCode: 200, body: JSON.stringify(reply) };
};

export const handler = middy(lambdaHandler)
  .use(traceLambdaHandler())
  .use(injectLambdaContext(logger, { clearState: true }))
  .use(publishRecordedMetrics(metrics, { captureColdStartMetric: true }));
