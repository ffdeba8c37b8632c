// The API Gateway Management API client of the live WebSocket API (see once.ts for how clients are made):
// a live update is posted only when someone listens, so the SDK package is loaded on the first post, not
// at cold start (lazy-sdk.ts).
import type * as ApiGatewayManagement from '@aws-sdk/client-apigatewaymanagementapi';
import { type ClientSettings, lazySdkClient } from './lazy-sdk';
import { type ServiceClient, serviceCommand } from './service-command';

export type ApiGatewayManagementClient = ServiceClient<'apigatewaymanagementapi'>;

/** A client of the WebSocket API at `endpoint` (https://{apiId}.execute-api.{region}.amazonaws.com/{stage}). */
export function createApiGatewayManagementClient(
  settings: ClientSettings & { readonly endpoint: string },
): ApiGatewayManagementClient {
  return lazySdkClient(
    'apigatewaymanagementapi',
    () => import('@aws-sdk/client-apigatewaymanagementapi'),
    (sdk) => new sdk.ApiGatewayManagementApiClient(settings),
  );
}

export const DeleteConnectionCommand = serviceCommand<
  'apigatewaymanagementapi',
  ApiGatewayManagement.DeleteConnectionCommandInput,
  ApiGatewayManagement.DeleteConnectionCommandOutput
>('apigatewaymanagementapi', 'DeleteConnection');

export const PostToConnectionCommand = serviceCommand<
  'apigatewaymanagementapi',
  ApiGatewayManagement.PostToConnectionCommandInput,
  ApiGatewayManagement.PostToConnectionCommandOutput
>('apigatewaymanagementapi', 'PostToConnection');
