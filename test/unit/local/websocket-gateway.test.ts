import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  DELETE_CONNECTION,
  POST_TO_CONNECTION,
} from '../../../functions/shared/clients/in-process-transport';
import type { WebSocketRouteShape } from '../../../functions/shared/resources';
import { closeServer, listen } from '../../../local/listen';
import { LOCAL_AWS } from '../../../local/settings';
import {
  attachWebSocketGateway,
  type LocalWebSocketGateway,
  livePostTransport,
} from '../../../local/websocket-gateway';

const routes: WebSocketRouteShape[] = [
  { routeKey: '$connect', handler: 'live' },
  { routeKey: '$disconnect', handler: 'live' },
  { routeKey: '$default', handler: 'live', returnResponse: true },
];
const invoked: string[] = [];
const errors: string[] = [];
const connected: string[] = [];
let server: Server;
let gateway: LocalWebSocketGateway;
let url: string;

beforeAll(async () => {
  server = createServer();
  gateway = attachWebSocketGateway(server, LOCAL_AWS, {
    stage: 'live',
    routes,
    authorize: async () => ({
      principalId: 'p',
      policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'x', Effect: 'Allow', Resource: '*' }] },
    }),
    invoke: async (route, event) => {
      invoked.push(route.routeKey);
      if (route.routeKey === '$connect') {
        connected.push((event as { requestContext: { connectionId: string } }).requestContext.connectionId);
      }
      return route.routeKey === '$connect'
        ? { statusCode: 200, headers: { 'Sec-WebSocket-Protocol': 'stepwise.v1' } }
        : { statusCode: 200, body: route.routeKey };
    },
    onError: (error, where) => errors.push(`${where}: ${String(error)}`),
  });
  url = (await listen(server, 0, '127.0.0.1')).replace(/^http/, 'ws');
});

afterAll(async () => {
  await gateway.close();
  await closeServer(server);
});

it('routes a message naming $connect or $disconnect to $default, as API Gateway does', async () => {
  const socket = new WebSocket(`${url}/live`, ['stepwise.v1']);
  await new Promise((resolve) => socket.once('open', resolve));
  const replies: string[] = [];
  const heard = new Promise<void>((resolve) =>
    socket.on('message', (data) => {
      replies.push(String(data));
      if (replies.length === 2) resolve();
    }),
  );
  socket.send('{"action":"$disconnect"}');
  socket.send('{"action":"$connect"}');
  await heard;
  expect(replies).toEqual(['$default', '$default']);
  expect(invoked).toEqual(['$connect', '$default', '$default']);
  socket.close();
});

it('serves PostToConnection in process as the Management API does: delivered, 413 over 128 KB, 410 once gone', async () => {
  const socket = new WebSocket(`${url}/live`, ['stepwise.v1']);
  await new Promise((resolve) => socket.once('open', resolve));
  const connectionId = connected.at(-1) ?? '';
  const transport = livePostTransport(gateway);
  const post = (data: string, id = connectionId) =>
    transport({
      endpoint: url,
      target: POST_TO_CONNECTION,
      body: JSON.stringify({ ConnectionId: id, Data: data }),
    });
  const heard = new Promise<string>((resolve) => socket.once('message', (data) => resolve(String(data))));
  expect((await post('{"hello":1}')).status).toBe(200);
  expect(await heard).toBe('{"hello":1}');
  expect((await post('x'.repeat(129 * 1024))).status).toBe(413);
  expect((await post('late', 'no-such-connection')).status).toBe(410);
  const closed = new Promise((resolve) => socket.once('close', resolve));
  socket.close();
  await closed;
  await expect.poll(async () => (await post('after close')).status).toBe(410);
});

it('serves DeleteConnection in process: the socket closes, $disconnect runs, and a second delete is 410', async () => {
  const socket = new WebSocket(`${url}/live`, ['stepwise.v1']);
  await new Promise((resolve) => socket.once('open', resolve));
  const connectionId = connected.at(-1) ?? '';
  const transport = livePostTransport(gateway);
  const close = () =>
    transport({
      endpoint: url,
      target: DELETE_CONNECTION,
      body: JSON.stringify({ ConnectionId: connectionId }),
    });
  const closed = new Promise<number>((resolve) => socket.once('close', resolve));
  const disconnects = invoked.filter((route) => route === '$disconnect').length;
  expect((await close()).status).toBe(204);
  expect(await closed).toBe(1000);
  await expect.poll(() => invoked.filter((route) => route === '$disconnect').length).toBe(disconnects + 1);
  await expect.poll(async () => (await close()).status).toBe(410);
  expect((await transport({ endpoint: url, target: 'Other.Target', body: '{}' })).status).toBe(404);
});

it('closes a socket that sends a frame over 128 KB with 1009, as API Gateway does, and reports no failure of its own', async () => {
  const socket = new WebSocket(`${url}/live`, ['stepwise.v1']);
  await new Promise((resolve) => socket.once('open', resolve));
  const closed = new Promise<number>((resolve) => socket.once('close', resolve));
  socket.send('x'.repeat(129 * 1024));
  expect(await closed).toBe(1009);
  expect(errors).toEqual([]);
});

it('tells its clients it is going away (1001) when it stops, rather than dropping them (1006)', async () => {
  const own = createServer();
  const stopping = attachWebSocketGateway(own, LOCAL_AWS, {
    stage: 'live',
    routes,
    authorize: async () => ({
      principalId: 'p',
      policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'x', Effect: 'Allow', Resource: '*' }] },
    }),
    invoke: async (route) =>
      route.routeKey === '$connect'
        ? { statusCode: 200, headers: { 'Sec-WebSocket-Protocol': 'stepwise.v1' } }
        : { statusCode: 200 },
  });
  const ownUrl = (await listen(own, 0, '127.0.0.1')).replace(/^http/, 'ws');
  const socket = new WebSocket(`${ownUrl}/live`, ['stepwise.v1']);
  await new Promise((resolve) => socket.once('open', resolve));
  const closed = new Promise<number>((resolve) => socket.once('close', resolve));
  await stopping.close();
  await closeServer(own);
  expect(await closed).toBe(1001);
});
