// `tasks watch` over a WebSocket server of the test's own: what it prints when events arrive while it is
// still reading the task (the snapshot), as they do for a task that ends in the first milliseconds.
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { type WatchedEvent, watchLive } from '../../../bin/cli/live-watch';

const servers: WebSocketServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A live endpoint that answers the subscription, then pushes `events` at once. */
async function liveServer(events: WatchedEvent[]): Promise<string> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => 'stepwise.v1' });
  servers.push(server);
  server.on('connection', (socket) => {
    socket.on('message', () => {
      socket.send(JSON.stringify({ type: 'subscribed', topic: 'task', taskId: 'task-1' }));
      for (const event of events) socket.send(JSON.stringify({ type: 'event', topic: 'task', event }));
    });
  });
  await new Promise((resolve) => server.once('listening', resolve));
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}/live`;
}

/** A snapshot read that answers only once `release` is called (after the events have arrived). */
function slowSnapshot(status: string) {
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  return {
    release: () => release(),
    snapshot: async () => {
      await released;
      return { status, view: `task task-1: ${status}` };
    },
  };
}

const connection = { url: 'http://127.0.0.1:1', apiKey: 'sw_test' };
const step: WatchedEvent = { kind: 'step', taskId: 'task-1', stepId: 'a', status: 'SUCCEEDED', attempt: 1 };
const ended: WatchedEvent = { kind: 'task', taskId: 'task-1', status: 'SUCCEEDED' };

/** Watches task-1 while its read answers `status` only after the live events have come. */
async function watchThroughSlowRead(status: string) {
  const url = await liveServer([step, ended]);
  const read = slowSnapshot(status);
  const printed: string[] = [];
  const watching = watchLive(connection, 'task-1', url, {
    snapshot: read.snapshot,
    print: (line) => printed.push(line),
  });
  await new Promise((resolve) => setTimeout(resolve, 100));
  read.release();
  return { result: await watching, printed };
}

describe('watchLive', () => {
  it('prints the task once, first, when it had ended by the time the read answered', async () => {
    expect(await watchThroughSlowRead('SUCCEEDED')).toEqual({
      result: 'SUCCEEDED',
      printed: ['task task-1: SUCCEEDED'],
    });
  });

  it('prints the events that arrived during the read after the task, in order, when it was still running', async () => {
    expect(await watchThroughSlowRead('RUNNING')).toEqual({
      result: 'SUCCEEDED',
      printed: ['task task-1: RUNNING', 'step a SUCCEEDED  attempt 1', 'task SUCCEEDED'],
    });
  });
});
