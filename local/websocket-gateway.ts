// API Gateway's WebSocket API on the local stack, served by the API port's HTTP server: upgrades at the
// stage path (`/live`) go through the REQUEST authorizer (identity source Sec-WebSocket-Protocol: without
// the header, 401 and no authorizer call; a Deny policy, 403) and the $connect route, whose answer selects
// the subprotocol; each message is routed by its `action` (`$request.body.action`) with $default as the
// fallback, and a route with a route response sends the handler's body back; a close runs $disconnect.
// The Management API (`POST/GET/DELETE /live/@connections/{id}`, what ApiGatewayManagementApiClient calls
// with LIVE_ENDPOINT) is served on the same port, SigV4-signed with the stack's credentials; a connection
// that is gone answers 410 GoneException. API Gateway's limits apply: 128 KB messages, 10 minutes idle,
// 2 hours per connection.
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type {
  APIGatewayAuthorizerResult,
  APIGatewayProxyStructuredResultV2,
  APIGatewayRequestAuthorizerEvent,
} from 'aws-lambda';
import { type WebSocket, WebSocketServer } from 'ws';
import {
  type AwsJsonTransport,
  DELETE_CONNECTION,
  POST_TO_CONNECTION,
} from '../functions/shared/clients/in-process-transport';
import type { WebSocketRouteShape } from '../functions/shared/resources';
import { parseRequestTarget } from './api-gateway';
import type { LocalAwsSettings } from './settings';

/** API Gateway's WebSocket limits. */
export const WEBSOCKET_LIMITS = {
  maxMessageBytes: 128 * 1024,
  idleMs: 10 * 60 * 1000,
  maxConnectionMs: 2 * 60 * 60 * 1000,
};

export interface LocalWebSocketOptions {
  /** The stage, served at `/<stage>`. */
  readonly stage: string;
  readonly routes: readonly WebSocketRouteShape[];
  readonly authorize: (event: APIGatewayRequestAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;
  readonly invoke: (route: WebSocketRouteShape, event: unknown) => Promise<unknown>;
  readonly onError?: (error: unknown, routeKey: string) => void;
  /** @default WEBSOCKET_LIMITS */
  readonly limits?: Partial<typeof WEBSOCKET_LIMITS>;
}

interface Connection {
  readonly socket: WebSocket;
  readonly connectedAt: number;
  lastActiveAt: number;
  readonly sourceIp: string;
  readonly userAgent: string;
  /** Messages are handed to their route one after another. */
  queue: Promise<void>;
  readonly timers: NodeJS.Timeout[];
}

export interface LocalWebSocketGateway {
  /** Serves the Management API; false for any other request (the HTTP routes serve it). */
  handleManagement(request: IncomingMessage, response: ServerResponse): boolean;
  /**
   * The Management API's PostToConnection as a call (the stack serves the handlers' posts in process with
   * it, in-process-transport.ts): what the HTTP route answers, without HTTP or signing.
   */
  post(connectionId: string, data: string): Promise<'sent' | 'gone' | 'too large'>;
  /** The Management API's DeleteConnection as a call: closes the socket ($disconnect follows). */
  disconnect(connectionId: string): 'closed' | 'gone';
  /** How many connections are open. */
  connectionCount(): number;
  close(): Promise<void>;
}

const MANAGEMENT_PATH = /^(?:\/[^/]+)?\/@connections\/([^/]+)$/;

export function attachWebSocketGateway(
  server: Server,
  settings: LocalAwsSettings,
  options: LocalWebSocketOptions,
): LocalWebSocketGateway {
  const limits = { ...WEBSOCKET_LIMITS, ...options.limits };
  const connections = new Map<string, Connection>();
  const routeOf = (key: string) => options.routes.find((route) => route.routeKey === key);
  // The subprotocol each accepted upgrade's $connect answer selected.
  const selected = new WeakMap<IncomingMessage, string>();
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: limits.maxMessageBytes,
    handleProtocols: (_offered, request) => selected.get(request) ?? false,
  });
  const apiId = 'local';
  // Set when the stack stops: the sockets it drops then run no $disconnect (the table is going away too).
  let stopping = false;
  // $disconnect invocations in flight, which a stop lets finish before the table goes.
  const disconnecting = new Set<Promise<unknown>>();

  const requestContext = (connectionId: string, routeKey: string, eventType: string, connectedAt: number) => {
    const now = Date.now();
    return {
      routeKey,
      eventType,
      extendedRequestId: randomUUID(),
      requestTime: new Date(now).toUTCString(),
      messageDirection: 'IN',
      stage: options.stage,
      connectedAt,
      requestTimeEpoch: now,
      requestId: randomUUID(),
      domainName: 'localhost',
      connectionId,
      apiId,
    };
  };

  async function upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const target = parseRequestTarget(request.url ?? '/');
    if (target?.path !== `/${options.stage}`) return refuse(socket, 404, 'Not Found');
    const headers = flatHeaders(request);
    // The identity source: a request without it is refused before the authorizer runs.
    if (!request.headers['sec-websocket-protocol']) return refuse(socket, 401, 'Unauthorized');
    const connectionId = `${randomBytes(10).toString('base64url')}=`;
    const connectedAt = Date.now();
    const base = requestContext(connectionId, '$connect', 'CONNECT', connectedAt);
    const authorizerEvent = {
      type: 'REQUEST',
      methodArn: `arn:aws:execute-api:${settings.region}:${settings.accountId}:${apiId}/${options.stage}/$connect`,
      headers,
      multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
      queryStringParameters: Object.fromEntries(new URLSearchParams(target.query)),
      stageVariables: {},
      requestContext: base,
    } as unknown as APIGatewayRequestAuthorizerEvent;
    let policy: APIGatewayAuthorizerResult;
    try {
      policy = await options.authorize(authorizerEvent);
    } catch (error) {
      options.onError?.(error, '$connect authorizer');
      return refuse(socket, 500, 'Internal Server Error');
    }
    const allowed = policy.policyDocument.Statement.every(
      (statement) => (statement as { Effect: string }).Effect === 'Allow',
    );
    if (!allowed) return refuse(socket, 403, 'Forbidden');
    const connect = routeOf('$connect');
    if (connect) {
      let result: APIGatewayProxyStructuredResultV2 | undefined;
      try {
        result = (await options.invoke(connect, {
          headers,
          multiValueHeaders: authorizerEvent.multiValueHeaders,
          requestContext: {
            ...base,
            authorizer: { principalId: policy.principalId, integrationLatency: 0, ...policy.context },
            identity: { sourceIp: request.socket.remoteAddress ?? '127.0.0.1' },
          },
          isBase64Encoded: false,
        })) as APIGatewayProxyStructuredResultV2 | undefined;
      } catch (error) {
        options.onError?.(error, '$connect');
        return refuse(socket, 500, 'Internal Server Error');
      }
      const status = result?.statusCode ?? 200;
      if (status < 200 || status > 299) return refuse(socket, status, 'Refused');
      const protocol = Object.entries(result?.headers ?? {}).find(
        ([name]) => name.toLowerCase() === 'sec-websocket-protocol',
      )?.[1];
      if (protocol !== undefined) selected.set(request, String(protocol));
    }
    wss.handleUpgrade(request, socket, head, (ws) => accept(ws, request, connectionId, connectedAt));
  }

  function accept(socket: WebSocket, request: IncomingMessage, connectionId: string, connectedAt: number) {
    const close = () => socket.close(1001, 'Going away');
    const connection: Connection = {
      socket,
      connectedAt,
      lastActiveAt: connectedAt,
      sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
      userAgent: String(request.headers['user-agent'] ?? ''),
      queue: Promise.resolve(),
      timers: [setTimeout(close, limits.idleMs), setTimeout(close, limits.maxConnectionMs)],
    };
    connections.set(connectionId, connection);
    socket.on('message', (data, isBinary) => {
      connection.lastActiveAt = Date.now();
      connection.timers[0]?.refresh();
      const raw = Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]);
      const body = isBinary ? raw.toString('base64') : raw.toString('utf8');
      connection.queue = connection.queue.then(() => message(connectionId, connection, body, isBinary));
    });
    socket.on('close', (code, reason) => {
      for (const timer of connection.timers) clearTimeout(timer);
      connections.delete(connectionId);
      const disconnect = routeOf('$disconnect');
      if (!disconnect || stopping) return;
      const invocation = options
        .invoke(disconnect, {
          headers: {},
          requestContext: {
            ...requestContext(connectionId, '$disconnect', 'DISCONNECT', connectedAt),
            disconnectStatusCode: code,
            disconnectReason: reason.toString('utf8'),
          },
          isBase64Encoded: false,
        })
        .catch((error: unknown) => options.onError?.(error, '$disconnect'))
        .finally(() => disconnecting.delete(invocation));
      disconnecting.add(invocation);
    });
    // A client's protocol error (a frame over the limit, a bad frame: `WS_ERR_*`) closes its socket with the
    // matching code, as API Gateway does; it is the client's mistake, not a failure of the stack.
    socket.on('error', (error) => {
      if (!String((error as { code?: unknown }).code ?? '').startsWith('WS_ERR_'))
        options.onError?.(error, 'socket');
    });
  }

  async function message(connectionId: string, connection: Connection, body: string, isBinary: boolean) {
    // A message selects a custom route only: $connect and $disconnect are never a message's route, as on
    // API Gateway (`{"action": "$disconnect"}` would otherwise drop the connection's record and subscriptions).
    const action = actionOf(body, isBinary);
    const route = (action?.startsWith('$') ? undefined : routeOf(action ?? '')) ?? routeOf('$default');
    if (!route) return;
    const context = requestContext(connectionId, route.routeKey, 'MESSAGE', connection.connectedAt);
    try {
      const result = (await options.invoke(route, {
        requestContext: { ...context, messageId: randomBytes(8).toString('base64url') },
        body,
        isBase64Encoded: isBinary,
      })) as APIGatewayProxyStructuredResultV2 | string | undefined;
      const reply = typeof result === 'string' ? result : result?.body;
      if (route.returnResponse && reply !== undefined) connection.socket.send(reply);
    } catch (error) {
      options.onError?.(error, route.routeKey);
      connection.socket.send(
        JSON.stringify({ message: 'Internal server error', connectionId, requestId: context.requestId }),
      );
    }
  }

  function post(connectionId: string, data: string): Promise<'sent' | 'gone' | 'too large'> {
    if (Buffer.byteLength(data) > limits.maxMessageBytes) return Promise.resolve('too large');
    const connection = connections.get(connectionId);
    if (!connection || connection.socket.readyState !== connection.socket.OPEN)
      return Promise.resolve('gone');
    return new Promise((resolve) =>
      connection.socket.send(data, (error) => resolve(error ? 'gone' : 'sent')),
    );
  }

  function disconnect(connectionId: string): 'closed' | 'gone' {
    const connection = connections.get(connectionId);
    if (!connection) return 'gone';
    connection.socket.close(1000, 'Closed by the server');
    return 'closed';
  }

  function handleManagement(request: IncomingMessage, response: ServerResponse): boolean {
    const target = parseRequestTarget(request.url ?? '/');
    const match = target && MANAGEMENT_PATH.exec(target.path);
    if (!match) return false;
    const answer = (status: number, body?: unknown, errorType?: string) => {
      response.writeHead(status, {
        'content-type': 'application/json',
        ...(errorType && { 'x-amzn-errortype': errorType }),
      });
      response.end(body === undefined ? undefined : JSON.stringify(body));
    };
    // SigV4 with the stack's access key, as the AWS SDK signs for the Lambdas (the signature is not checked).
    const authorization = String(request.headers.authorization ?? '');
    if (!authorization.includes(`Credential=${settings.credentials.accessKeyId}/`)) {
      answer(403, { message: 'Missing Authentication Token' }, 'ForbiddenException');
      return true;
    }
    let connectionId: string;
    try {
      connectionId = decodeURIComponent(match[1] ?? '');
    } catch {
      answer(400, { message: 'Invalid connection id' }, 'BadRequestException');
      return true;
    }
    const connection = connections.get(connectionId);
    const gone = () => answer(410, { message: `Connection ${connectionId} is gone` }, 'GoneException');
    if ((request.method === 'GET' || request.method === 'DELETE') && !connection) {
      gone();
      return true;
    }
    if (request.method === 'GET' && connection) {
      answer(200, {
        ConnectedAt: new Date(connection.connectedAt).toISOString(),
        Identity: { SourceIp: connection.sourceIp, UserAgent: connection.userAgent },
        LastActiveAt: new Date(connection.lastActiveAt).toISOString(),
      });
      return true;
    }
    if (request.method === 'DELETE' && connection) {
      disconnect(connectionId);
      answer(204);
      return true;
    }
    if (request.method !== 'POST') {
      answer(404, { message: 'Not Found' }, 'NotFoundException');
      return true;
    }
    readLimited(request, limits.maxMessageBytes).then(
      async (data) => {
        const sent = data === undefined ? 'too large' : await post(connectionId, data.toString('utf8'));
        if (sent === 'too large') answer(413, { message: 'Message too long' }, 'PayloadTooLargeException');
        else if (sent === 'gone') gone();
        else answer(200);
      },
      (error: unknown) => {
        options.onError?.(error, 'POST @connections');
        if (!response.headersSent) answer(500, { message: 'Internal server error' });
      },
    );
    return true;
  }

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    upgrade(request, socket, head).catch((error: unknown) => {
      options.onError?.(error, '$connect');
      refuse(socket, 500, 'Internal Server Error');
    });
  };
  server.on('upgrade', onUpgrade);

  return {
    handleManagement,
    post,
    disconnect,
    connectionCount: () => connections.size,
    async close() {
      await Promise.allSettled([...disconnecting]);
      stopping = true;
      server.off('upgrade', onUpgrade);
      // Going away (1001), as API Gateway tells clients of a stopping endpoint: they reconnect, where a
      // dropped connection (1006) reads as a network failure. A client that does not answer is cut off.
      await Promise.all(
        [...connections.values()].map(
          ({ socket }) =>
            new Promise<void>((resolve) => {
              const cutOff = setTimeout(() => {
                socket.terminate();
                resolve();
              }, 250);
              socket.once('close', () => {
                clearTimeout(cutOff);
                resolve();
              });
              socket.close(1001, 'The server is stopping');
            }),
        ),
      );
      wss.close();
    },
  };
}

/** The route a message selects: its `action` when the body is a JSON object naming one. */
function actionOf(body: string, isBinary: boolean): string | undefined {
  if (isBinary) return undefined;
  try {
    const value: unknown = JSON.parse(body);
    const action =
      typeof value === 'object' && value !== null ? (value as { action?: unknown }).action : undefined;
    return typeof action === 'string' ? action : undefined;
  } catch {
    return undefined;
  }
}

function flatHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  // API Gateway passes WebSocket headers with the names as sent.
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i] ?? '';
    const value = request.rawHeaders[i + 1] ?? '';
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  return headers;
}

function refuse(socket: Duplex, status: number, reason: string): void {
  if (socket.writable) {
    const body = JSON.stringify({ message: reason });
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/** The body, or undefined past `limit` bytes. */
async function readLimited(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * The gateway's PostToConnection and DeleteConnection as the in-process transport of the live endpoint
 * (in-process-transport.ts).
 */
export function livePostTransport(
  gateway: Pick<LocalWebSocketGateway, 'post' | 'disconnect'>,
): AwsJsonTransport {
  const statusOf = { sent: 200, gone: 410, 'too large': 413, closed: 204 } as const;
  return async ({ target, body }) => {
    if (target === POST_TO_CONNECTION) {
      const { ConnectionId, Data } = JSON.parse(body) as { ConnectionId: string; Data: string };
      return { status: statusOf[await gateway.post(ConnectionId, Data)], body: '{}' };
    }
    if (target === DELETE_CONNECTION) {
      const { ConnectionId } = JSON.parse(body) as { ConnectionId: string };
      return { status: statusOf[gateway.disconnect(ConnectionId)], body: '{}' };
    }
    return { status: 404, body: '{"message":"Not Found"}' };
  };
}
