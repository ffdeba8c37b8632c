// The writers' side of live updates, once per container: the publisher posting through the API Gateway
// Management API of the WebSocket API (LIVE_ENDPOINT: https://{apiId}.execute-api.{region}.amazonaws.com/live,
// or the local stack's API port, which serves the posts in process), its client and SDK package loaded on
// the first post (not at cold start: most invocations have no listener), and the middleware that lets the
// fan-out finish before the handler returns. Without LIVE_ENDPOINT nothing is published.
import type { MiddlewareObj } from '@middy/core';
import {
  createApiGatewayManagementClient,
  DeleteConnectionCommand,
  PostToConnectionCommand,
} from '../clients/apigateway-management';
import { documentClient } from '../clients/dynamodb';
import { DELETE_CONNECTION, inProcessTransport, POST_TO_CONNECTION } from '../clients/in-process-transport';
import { once } from '../clients/once';
import { requireEnv } from '../config';
import { logger } from '../powertools';
import { LIVE_API } from '../resources';
import { DynamoLiveStore } from './live-store';
import { createLivePublisher, type LivePublisher, type PostToConnection, silentPublisher } from './publisher';

const LIVE_ENDPOINT_ENV = LIVE_API.endpointEnv;

const managementClient = once(() =>
  createApiGatewayManagementClient({ endpoint: requireEnv(LIVE_ENDPOINT_ENV) }),
);

/**
 * One call of the Management API on a connection: served in process where the stack registered the live
 * endpoint (`target`, its JSON body, the status of success), else by the SDK (`send`). GoneException
 * (410: the connection is gone) is 'gone', any other failure throws.
 */
async function onConnection(
  target: string,
  body: Record<string, unknown>,
  okStatus: number,
  send: (client: ReturnType<typeof managementClient>) => Promise<unknown>,
): Promise<'done' | 'gone'> {
  const endpoint = requireEnv(LIVE_ENDPOINT_ENV);
  const inProcess = inProcessTransport(endpoint);
  if (inProcess) {
    const { status } = await inProcess({ endpoint, target, body: JSON.stringify(body) });
    if (status === 410) return 'gone';
    if (status !== okStatus) throw new Error(`${target} answered ${status}`);
    return 'done';
  }
  try {
    await send(managementClient());
    return 'done';
  } catch (error) {
    if ((error as { name?: string }).name === 'GoneException') return 'gone';
    throw error;
  }
}

/** PostToConnection, with GoneException (the client disconnected) as 'gone'. */
export const postToConnection: PostToConnection = async (connectionId, data) => {
  const outcome = await onConnection(
    POST_TO_CONNECTION,
    { ConnectionId: connectionId, Data: data },
    200,
    (client) =>
      client.send(
        new PostToConnectionCommand({ ConnectionId: connectionId, Data: new TextEncoder().encode(data) }),
      ),
  );
  return outcome === 'done' ? 'sent' : 'gone';
};

/** DeleteConnection (the socket closes, $disconnect follows), with GoneException as 'gone'. */
export async function closeConnection(connectionId: string): Promise<'closed' | 'gone'> {
  const outcome = await onConnection(DELETE_CONNECTION, { ConnectionId: connectionId }, 204, (client) =>
    client.send(new DeleteConnectionCommand({ ConnectionId: connectionId })),
  );
  return outcome === 'done' ? 'closed' : 'gone';
}

export const livePublisher = once(
  (): LivePublisher =>
    process.env[LIVE_ENDPOINT_ENV]
      ? createLivePublisher({
          store: new DynamoLiveStore(documentClient(), requireEnv('TABLE_NAME')),
          post: postToConnection,
          onError: (error, context) => logger.warn('Live update not delivered', { ...context, error }),
        })
      : silentPublisher,
);

/** Waits for the live updates the invocation published, whether it succeeded or threw. */
export const flushLiveUpdates = (publisher: () => LivePublisher = livePublisher): MiddlewareObj => {
  const flush = async () => {
    await publisher().flush();
  };
  return { after: flush, onError: flush };
};
