// HTTP API Lambda authorizer (payload format 2.0, simple responses). Thin: the decision lives in
// shared/auth/authorizer-decision.ts. Attach it with caching off and no identity source: the answer
// depends on the route's required role, and a request without credentials must reach it too.
// It only reads the table (GetItem of a key by its hash), so it can be bound read-only.
// The WebSocket API's $connect authorizer is this function too (shared/live/connect-authorizer.ts).
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { DynamoApiKeyStore } from '../shared/auth/api-keys';
import { type AuthorizerResult, type DecideDeps, decide } from '../shared/auth/authorizer-decision';
import { createJwtVerifier, loadJwtConfig } from '../shared/auth/jwt';
import { documentClient } from '../shared/clients';
import { requireEnv } from '../shared/config';
import {
  type ConnectAuthorizerEvent,
  decideConnect,
  isConnectAuthorizerEvent,
} from '../shared/live/connect-authorizer';
import { logger, metrics, tracer } from '../shared/powertools';
import { authorizerLogContext, logContext } from '../shared/telemetry/log-context';
import { publishRecordedMetrics } from '../shared/telemetry/publish-metrics';

const jwtConfig = loadJwtConfig();
const deps: DecideDeps = {
  apiKeys: new DynamoApiKeyStore(documentClient(), requireEnv('TABLE_NAME')),
  ...(jwtConfig && { verifyJwt: createJwtVerifier(jwtConfig) }),
};

const lambdaHandler = async (
  event: APIGatewayRequestAuthorizerEventV2 | ConnectAuthorizerEvent,
): Promise<AuthorizerResult | APIGatewayAuthorizerResult> => {
  const connect = isConnectAuthorizerEvent(event);
  const { response, denied, identity } = connect
    ? await decideConnect(event, deps)
    : await decide(event, deps);
  logger.appendKeys({
    routeKey: connect ? '$connect' : event.routeKey,
    ...(identity && { org_id: identity.orgId, principal: identity.principal, authMethod: identity.method }),
  });
  if (denied) logger.info('Request refused', { reason: denied.denied });
  metrics.addMetric(denied ? 'AuthorizationDenied' : 'AuthorizationAllowed', MetricUnit.Count, 1);
  return response;
};

export const handler = middy(lambdaHandler)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger, { clearState: true }))
  .use(publishRecordedMetrics(metrics, { captureColdStartMetric: true }))
  .use(logContext(logger, authorizerLogContext));
