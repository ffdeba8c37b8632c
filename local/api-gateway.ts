// API Gateway (HTTP API) on the local stack: an HTTP server built from the shared route table that calls
// the real handlers with payload format 2.0 events, and answers the way API Gateway does where no
// handler runs (404 for an unknown route, 413 over the 10 MB payload limit, 500 when a handler throws).
// A path parameter that is not valid percent-encoding is a 400 naming the parameter. The request target
// is split as sent, not parsed as a WHATWG URL: that reads a target starting with `//` as a host
// (`//evil/tasks/1` would route as `/tasks/1`, `//[` would throw), where API Gateway matches the path.
import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  APIGatewayRequestAuthorizerEventV2,
} from 'aws-lambda';
import type { RouteShape } from '../functions/shared/resources';
import type { LocalAwsSettings } from './settings';

/** API Gateway's own limit on a request payload. */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

export type RouteInvoker = (route: RouteShape, event: APIGatewayProxyEventV2) => Promise<unknown>;

export type RouteAuthorizer = (
  event: APIGatewayRequestAuthorizerEventV2,
) => Promise<{ isAuthorized: boolean; context?: Record<string, unknown> }>;

export interface LocalApiGatewayOptions {
  readonly routes: readonly RouteShape[];
  readonly invoke: RouteInvoker;
  /**
   * The Lambda authorizer of the non-public routes (simple responses), configured as on AWS: no identity
   * source and no caching, so every request of such a route reaches it, with or without an Authorization
   * header; `isAuthorized: false` is API Gateway's bare 403.
   */
  readonly authorize?: RouteAuthorizer;
  /** Called with what a handler threw (API Gateway answers 500 and logs it). */
  readonly onError?: (error: unknown, routeKey: string) => void;
  /** Static files served before the routes (the console at /console); resolves true when it answered. */
  readonly serveStatic?: (
    request: IncomingMessage,
    response: ServerResponse,
    path: string,
  ) => Promise<boolean>;
  /** Serves a request before the routes do (the WebSocket API's @connections); true when it did. */
  readonly intercept?: (request: IncomingMessage, response: ServerResponse) => boolean;
}

interface CompiledRoute {
  readonly route: RouteShape;
  readonly pattern: RegExp;
  readonly parameterNames: string[];
}

export function createApiGatewayServer(settings: LocalAwsSettings, options: LocalApiGatewayOptions): Server {
  const routes = options.routes.map(compileRoute);
  const server = createServer((request, response) => {
    if (options.intercept?.(request, response)) return;
    handle(settings, routes, options, request, response).catch((error: unknown) => {
      options.onError?.(error, `${request.method} ${request.url}`);
      if (!response.headersSent) send(response, 500, { message: 'Internal Server Error' });
    });
  });
  server.on('clientError', answerUnparsable);
  return server;
}

/**
 * A request Node could not parse: its request line and headers past Node's 16 KB, or not HTTP. Node's own
 * answer is a bare status; this one says why in the API's error shape, as every other refusal does.
 */
function answerUnparsable(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'the request line and headers take more than 16 KB']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'the request did not arrive in time']
        : [400, 'Bad Request', `the request is not valid HTTP/1.1 (${error.code ?? 'unparsable'})`];
  const body = JSON.stringify({ message });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

async function handle(
  settings: LocalAwsSettings,
  routes: CompiledRoute[],
  options: LocalApiGatewayOptions,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = parseRequestTarget(request.url ?? '/');
  if (!url) {
    send(response, 400, { message: 'Bad Request' });
    return;
  }
  if (await options.serveStatic?.(request, response, url.path)) return;
  const method = request.method ?? 'GET';
  const match = matchRoute(routes, method, url.path);
  if (!match) {
    send(response, 404, { message: 'Not Found' });
    return;
  }
  if ('badParameter' in match) {
    const message = `${match.badParameter} is not valid percent-encoding`;
    send(response, 400, { error: 'BadRequest', message, details: [{ field: match.badParameter, message }] });
    return;
  }
  const body = await readBody(request);
  if (body === 'aborted') return;
  if (body === undefined) {
    send(response, 413, { message: 'Request Entity Too Large' });
    return;
  }
  const event = toEvent(settings, match, request, url, body);
  let result: unknown;
  try {
    if (match.route.access !== 'public') {
      // Without an authorizer nothing but the public routes is served (fail closed).
      const decision = options.authorize
        ? await options.authorize(toAuthorizerEvent(settings, event))
        : { isAuthorized: false };
      if (!decision.isAuthorized) {
        send(response, 403, { message: 'Forbidden' });
        return;
      }
      (event.requestContext as { authorizer?: unknown }).authorizer = { lambda: decision.context ?? {} };
    }
    result = await options.invoke(match.route, event);
  } catch (error) {
    options.onError?.(error, event.routeKey);
    send(response, 500, { message: 'Internal Server Error' });
    return;
  }
  writeResult(response, result);
}

export interface RequestTarget {
  /** As sent: percent-encoding kept, no dot segments resolved. */
  readonly path: string;
  /** Without the `?`; empty when there is none. */
  readonly query: string;
}

/**
 * The path and query of an origin-form target (`/path?query`) or of an absolute-form one
 * (`http://host/path?query`, which HTTP/1.1 servers must accept); undefined for anything else (`*`).
 */
export function parseRequestTarget(target: string): RequestTarget | undefined {
  let rest = target.split('#', 1)[0] ?? '';
  if (!rest.startsWith('/')) {
    const absolute = /^[a-z][a-z\d+.-]*:\/\/[^/?]*(.*)$/i.exec(rest);
    if (!absolute) return undefined;
    rest = absolute[1]?.startsWith('/') ? absolute[1] : `/${absolute[1] ?? ''}`;
  }
  const queryAt = rest.indexOf('?');
  return queryAt < 0
    ? { path: rest, query: '' }
    : { path: rest.slice(0, queryAt), query: rest.slice(queryAt + 1) };
}

function compileRoute(route: RouteShape): CompiledRoute {
  const parameterNames: string[] = [];
  const source = route.path
    .split('/')
    .map((segment) => {
      const parameter = /^\{(\w+)(\+?)\}$/.exec(segment);
      if (!parameter) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      parameterNames.push(parameter[1] ?? '');
      return parameter[2] ? '(.+)' : '([^/]+)';
    })
    .join('/');
  return { route, pattern: new RegExp(`^${source}$`), parameterNames };
}

type MatchedRoute = CompiledRoute & { readonly pathParameters: Record<string, string> };

function matchRoute(
  routes: CompiledRoute[],
  method: string,
  path: string,
): MatchedRoute | { readonly badParameter: string } | undefined {
  for (const compiled of routes) {
    if (compiled.route.method !== method) continue;
    const found = compiled.pattern.exec(path);
    if (!found) continue;
    const pathParameters: Record<string, string> = {};
    for (const [index, name] of compiled.parameterNames.entries()) {
      try {
        pathParameters[name] = decodeURIComponent(found[index + 1] ?? '');
      } catch {
        return { badParameter: name };
      }
    }
    return { ...compiled, pathParameters };
  }
  return undefined;
}

/**
 * Resolves undefined when the body exceeds API Gateway's payload limit, and 'aborted' when the client went
 * away before sending all of it (API Gateway invokes nothing for such a request; there is no one to answer,
 * and it is no failure of the stack to report).
 */
async function readBody(request: IncomingMessage): Promise<Buffer | undefined | 'aborted'> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of request) {
      size += (chunk as Buffer).length;
      if (size > MAX_PAYLOAD_BYTES) return undefined;
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ECONNRESET') return 'aborted';
    throw error;
  }
  return Buffer.concat(chunks);
}

const TEXT_CONTENT = /^(text\/|application\/(json|xml|x-www-form-urlencoded|[\w.+-]+\+json))/;

function toEvent(
  settings: LocalAwsSettings,
  match: MatchedRoute,
  request: IncomingMessage,
  url: RequestTarget,
  body: Buffer,
): APIGatewayProxyEventV2 {
  // Payload format 2.0 joins a repeated header's values with commas. Node's `request.headers` keeps only the
  // first Authorization, Content-Type, Host, ... (it drops the rest), so a request with two credentials or
  // two media types would be read by its first alone here, where API Gateway passes both and they are refused.
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(request.headersDistinct)) {
    if (values !== undefined && name !== 'cookie') headers[name] = values.join(',');
  }
  const query: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(url.query))
    query[name] = name in query ? `${query[name]},${value}` : value;
  const cookies = request.headers.cookie?.split(';').map((cookie) => cookie.trim());
  // A text body that is not UTF-8 goes as the bytes sent (base64), never decoded with U+FFFD in place of
  // the bad bytes: the handler then refuses it (http/json-body.ts). AWS documents no such case.
  const isText = TEXT_CONTENT.test(headers['content-type'] ?? 'application/json') && isUtf8(body);
  const routeKey = `${match.route.method} ${match.route.path}`;
  const now = new Date();
  return {
    version: '2.0',
    routeKey,
    rawPath: url.path,
    rawQueryString: url.query,
    ...(cookies && { cookies }),
    headers,
    ...(url.query && { queryStringParameters: query }),
    ...(match.parameterNames.length > 0 && { pathParameters: match.pathParameters }),
    requestContext: {
      accountId: settings.accountId,
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: match.route.method,
        path: url.path,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0 && {
      body: isText ? body.toString('utf8') : body.toString('base64'),
    }),
    isBase64Encoded: body.length > 0 && !isText,
  };
}

function toAuthorizerEvent(
  settings: LocalAwsSettings,
  event: APIGatewayProxyEventV2,
): APIGatewayRequestAuthorizerEventV2 {
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: `arn:aws:execute-api:${settings.region}:${settings.accountId}:local/$default/${event.routeKey.replace(' ', '')}`,
    identitySource: [],
    routeKey: event.routeKey,
    rawPath: event.rawPath,
    rawQueryString: event.rawQueryString,
    cookies: event.cookies ?? [],
    headers: event.headers,
    queryStringParameters: event.queryStringParameters ?? {},
    requestContext: event.requestContext,
    pathParameters: event.pathParameters ?? {},
    stageVariables: {},
  };
}

/** Payload format 2.0: a result without statusCode is a 200 JSON body, as API Gateway infers it. */
function writeResult(response: ServerResponse, result: unknown): void {
  if (!isStructured(result)) {
    send(response, 200, result ?? null);
    return;
  }
  const headers: Record<string, string | string[]> = { ...(result.headers as Record<string, string>) };
  if (result.cookies?.length) headers['set-cookie'] = result.cookies;
  response.writeHead(result.statusCode ?? 200, headers);
  const body = result.body ?? '';
  response.end(result.isBase64Encoded ? Buffer.from(body, 'base64') : body);
}

function isStructured(result: unknown): result is APIGatewayProxyStructuredResultV2 {
  return typeof result === 'object' && result !== null && 'statusCode' in result;
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}
