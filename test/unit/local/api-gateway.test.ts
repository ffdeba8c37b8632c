import type { Server } from 'node:http';
import { connect } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteShape } from '../../../functions/shared/resources';
import { createApiGatewayServer, parseRequestTarget } from '../../../local/api-gateway';
import { closeServer, listen } from '../../../local/listen';
import { LOCAL_AWS } from '../../../local/settings';
import { sendRawTarget } from '../../support/raw-target';

const routes: RouteShape[] = [
  { method: 'GET', path: '/tasks/{id}', handler: 'health', access: 'public' },
  { method: 'POST', path: '/echo', handler: 'health', access: 'public' },
  { method: 'GET', path: '/plain', handler: 'health', access: 'public' },
  { method: 'GET', path: '/boom', handler: 'health', access: 'public' },
  { method: 'GET', path: '/private', handler: 'health', access: 'MEMBER' },
];

let server: Server;
let url: string;
const events: APIGatewayProxyEventV2[] = [];
const errors: string[] = [];
const authorizerEvents: APIGatewayRequestAuthorizerEventV2[] = [];

beforeAll(async () => {
  server = createApiGatewayServer(LOCAL_AWS, {
    routes,
    invoke: async (route, event) => {
      events.push(event);
      if (route.path === '/boom') throw new Error('handler bug');
      if (route.path === '/plain') return { hello: 'world' };
      return { statusCode: 201, headers: { 'x-route': event.routeKey }, body: event.body ?? '' };
    },
    onError: (_error, routeKey) => errors.push(routeKey),
    serveStatic: async (_request, response, path) => {
      if (!path.startsWith('/console/')) return false;
      response.writeHead(200, { 'content-type': 'text/html' }).end(`static ${path}`);
      return true;
    },
    authorize: async (event) => {
      authorizerEvents.push(event);
      return event.headers?.authorization === 'Bearer good'
        ? { isAuthorized: true, context: { orgId: 'org-1', role: 'MEMBER' } }
        : { isAuthorized: false };
    },
  });
  url = await listen(server, 0, '127.0.0.1');
});

afterAll(() => closeServer(server));

describe('local API Gateway server', () => {
  it('lets the static files (the console) answer their paths before the routes, and no others', async () => {
    const before = events.length;
    const page = await fetch(`${url}/console/tasks?status=FAILED`);
    expect(await page.text()).toBe('static /console/tasks');
    expect(events).toHaveLength(before);
    expect((await fetch(`${url}/plain`)).status).toBe(200);
  });

  it('passes a payload format 2.0 event with path and query parameters', async () => {
    const response = await fetch(`${url}/tasks/abc%20d?status=RUNNING&status=FAILED&limit=5`);
    expect(response.status).toBe(201);
    expect(response.headers.get('x-route')).toBe('GET /tasks/{id}');
    const event = events.at(-1);
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'GET /tasks/{id}',
      rawPath: '/tasks/abc%20d',
      rawQueryString: 'status=RUNNING&status=FAILED&limit=5',
      pathParameters: { id: 'abc d' },
      queryStringParameters: { status: 'RUNNING,FAILED', limit: '5' },
      isBase64Encoded: false,
      requestContext: { http: { method: 'GET' }, stage: '$default', accountId: LOCAL_AWS.accountId },
    });
  });

  it('passes a JSON body as text and a binary body base64-encoded', async () => {
    await fetch(`${url}/echo`, {
      method: 'POST',
      body: '{"a":1}',
      headers: { 'content-type': 'application/json' },
    });
    expect(events.at(-1)).toMatchObject({ body: '{"a":1}', isBase64Encoded: false });
    await fetch(`${url}/echo`, {
      method: 'POST',
      body: new Uint8Array([0, 1, 2]),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(events.at(-1)).toMatchObject({ body: 'AAEC', isBase64Encoded: true });
  });

  it('passes a JSON body that is not valid UTF-8 as its bytes, base64-encoded, never with U+FFFD', async () => {
    await fetch(`${url}/echo`, {
      method: 'POST',
      body: new Uint8Array([0x22, 0xff, 0x22]),
      headers: { 'content-type': 'application/json' },
    });
    expect(events.at(-1)).toMatchObject({ body: 'Iv8i', isBase64Encoded: true });
  });

  it('answers a result without statusCode as a 200 JSON body', async () => {
    const response = await fetch(`${url}/plain`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ hello: 'world' });
  });

  it('answers 500 without details when the handler throws, and reports the error', async () => {
    const response = await fetch(`${url}/boom`);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ message: 'Internal Server Error' });
    expect(errors).toContain('GET /boom');
  });

  it('answers 404 for an unknown route and 413 above the 10 MB payload limit', async () => {
    expect((await fetch(`${url}/unknown`)).status).toBe(404);
    const tooBig = await fetch(`${url}/echo`, { method: 'POST', body: 'x'.repeat(10 * 1024 * 1024 + 1) });
    expect(tooBig.status).toBe(413);
  });

  it('joins the values of a repeated header with commas, Authorization and Content-Type included, as payload format 2.0 does', async () => {
    await new Promise<void>((resolve) => {
      const socket = connect(Number(new URL(url).port), '127.0.0.1');
      socket.on('data', () => socket.end());
      socket.on('close', () => resolve());
      socket.write(
        'POST /echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer one\r\nAuthorization: Bearer two\r\n' +
          'Content-Type: application/json\r\nContent-Type: text/plain\r\nX-Tag: a\r\nX-Tag: b\r\nContent-Length: 2\r\n\r\n{}',
      );
    });
    expect(events.at(-1)?.headers).toMatchObject({
      authorization: 'Bearer one,Bearer two',
      'content-type': 'application/json,text/plain',
      'x-tag': 'a,b',
    });
  });

  it('drops a request whose client goes away mid-body without calling the handler or reporting an error', async () => {
    const before = { events: events.length, errors: errors.length };
    await new Promise<void>((resolve) => {
      const socket = connect(Number(new URL(url).port), '127.0.0.1');
      socket.on('error', () => resolve());
      socket.on('close', () => resolve());
      socket.write(
        'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":',
      );
      setTimeout(() => socket.destroy(), 50);
    });
    // The next request is served: the server is still up, and the dropped one left nothing behind.
    expect((await fetch(`${url}/plain`)).status).toBe(200);
    expect(events).toHaveLength(before.events + 1);
    expect(errors).toHaveLength(before.errors);
  });

  it('answers a request it cannot parse with a JSON error naming why: headers over 16 KB (431), not HTTP (400)', async () => {
    const raw = (text: string) =>
      new Promise<string>((resolve) => {
        const socket = connect(Number(new URL(url).port), '127.0.0.1');
        let answer = '';
        socket.on('data', (chunk) => {
          answer += chunk.toString('utf8');
        });
        socket.on('error', () => resolve(answer));
        socket.on('close', () => resolve(answer));
        socket.end(text);
      });
    const tooLarge = await raw(`GET /plain HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(tooLarge).toMatch(/^HTTP\/1\.1 431 /);
    expect(tooLarge).toContain('{"message":"the request line and headers take more than 16 KB"}');
    const notHttp = await raw('HELLO THERE\r\n\r\n');
    expect(notHttp).toMatch(/^HTTP\/1\.1 400 /);
    expect(notHttp).toContain('"message":"the request is not valid HTTP/1.1');
  });

  it('calls the authorizer even without an Authorization header (no identity source), as the CDK API does', async () => {
    const before = authorizerEvents.length;
    await fetch(`${url}/private`);
    expect(authorizerEvents).toHaveLength(before + 1);
    expect(authorizerEvents.at(-1)).toMatchObject({ routeKey: 'GET /private', identitySource: [] });
  });

  it("answers API Gateway's bare 403 when the authorizer refuses, without calling the handler", async () => {
    const before = events.length;
    const response = await fetch(`${url}/private`, { headers: { authorization: 'Bearer bad' } });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ message: 'Forbidden' });
    expect(events).toHaveLength(before);
  });

  it('answers 400 naming the parameter when a path parameter is not valid percent-encoding', async () => {
    const before = events.length;
    const response = await fetch(`${url}/tasks/%zz`);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'BadRequest', details: [{ field: 'id' }] });
    expect(events).toHaveLength(before);
  });

  it("passes the authorizer's context to the handler under requestContext.authorizer.lambda", async () => {
    const response = await fetch(`${url}/private`, { headers: { authorization: 'Bearer good' } });
    expect(response.status).toBe(201);
    expect(events.at(-1)?.requestContext).toMatchObject({
      authorizer: { lambda: { orgId: 'org-1', role: 'MEMBER' } },
    });
  });

  it("answers API Gateway's 404 for a target starting with // instead of reading it as a host or failing", async () => {
    const before = events.length;
    for (const target of ['//[', '//a@:x/tasks/1', '//evil/tasks/1', '//tasks/1', '//']) {
      const response = await sendRawTarget(url, 'GET', target);
      expect({ target, status: response.status, body: JSON.parse(response.text) }).toEqual({
        target,
        status: 404,
        body: { message: 'Not Found' },
      });
    }
    expect(events).toHaveLength(before);
    expect(errors).not.toContainEqual(expect.stringContaining('//'));
  });

  it('routes an absolute-form target by its path and query', async () => {
    const response = await sendRawTarget(url, 'GET', 'http://elsewhere/tasks/a%2Fb?limit=1');
    expect(response.status).toBe(201);
    expect(events.at(-1)).toMatchObject({
      rawPath: '/tasks/a%2Fb',
      rawQueryString: 'limit=1',
      pathParameters: { id: 'a/b' },
      queryStringParameters: { limit: '1' },
    });
  });
});

describe('parseRequestTarget', () => {
  it('keeps the path as sent and splits off the query', () => {
    expect(parseRequestTarget('//evil/tasks/1?a=1')).toEqual({ path: '//evil/tasks/1', query: 'a=1' });
    expect(parseRequestTarget('/tasks/../x')).toEqual({ path: '/tasks/../x', query: '' });
    expect(parseRequestTarget('/x?')).toEqual({ path: '/x', query: '' });
    expect(parseRequestTarget('http://h')).toEqual({ path: '/', query: '' });
    expect(parseRequestTarget('*')).toBeUndefined();
  });
});
