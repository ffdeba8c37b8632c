import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { WebSocketRouteShape } from '../../../functions/shared/resources';
import { closeServer, listen } from '../../../local/listen';
import { LOCAL_AWS } from '../../../local/settings';
import { attachWebSocketGateway, type LocalWebSocketGateway } from '../../../local/websocket-gateway';

const routes: WebSocketRouteShape[] = [
  { routeKey: '$connect', handler: 'live' },
  { routeKey: '$disconnect', handler: 'live' },
  { routeKey: '$default', handler: 'live', returnResponse: true },
];
const invoked: string[] = [];
const errors: string[] = [];
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
    invoke: async (route) => {
      invoked.push(route.routeKey);
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
