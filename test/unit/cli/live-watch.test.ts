// `tasks watch` over a WebSocket server of the test's own: what it prints when events arrive while it is
// still reading the task (the snapshot), as they do for a task that ends in the first milliseconds.
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { type WatchedEvent, watchLive } from '../../../bin/cli/live-watch';
import { shows, type TaskView } from '../../../bin/cli/tasks';

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
function slowSnapshot(status: string, shown?: (event: WatchedEvent) => boolean) {
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  return {
    release: () => release(),
    snapshot: async () => {
      await released;
      return { status, view: `task task-1: ${status}`, shows: shown };
    },
  };
}

const connection = { url: 'http://127.0.0.1:1', apiKey: 'sw_test' };
const step: WatchedEvent = { kind: 'step', taskId: 'task-1', stepId: 'a', status: 'SUCCEEDED', attempt: 1 };
const ended: WatchedEvent = { kind: 'task', taskId: 'task-1', status: 'SUCCEEDED' };

/** Watches task-1 while its read answers `status` only after the live events have come. */
async function watchThroughSlowRead(
  status: string,
  events: WatchedEvent[] = [step, ended],
  shown?: (event: WatchedEvent) => boolean,
) {
  const url = await liveServer(events);
  const read = slowSnapshot(status, shown);
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

  it('prints only the events that arrived during the read and that the task as read does not show', async () => {
    const events: WatchedEvent[] = [
      { kind: 'task', taskId: 'task-1', status: 'RUNNING' },
      { kind: 'step', taskId: 'task-1', stepId: 'a', status: 'RUNNING', attempt: 1 },
      { kind: 'step', taskId: 'task-1', stepId: 'a', status: 'SUCCEEDED', attempt: 1 },
      { kind: 'step', taskId: 'task-1', stepId: 'b', status: 'RUNNING', attempt: 1 },
      { kind: 'step', taskId: 'task-1', stepId: 'b', status: 'SUCCEEDED', attempt: 1 },
      ended,
    ];
    // The read saw a done and b running: the events up to b's start are in it.
    const read: TaskView = {
      taskId: 'task-1',
      workflowId: 'wf',
      status: 'RUNNING',
      steps: [
        { stepId: 'a', status: 'SUCCEEDED', attempts: 1 },
        { stepId: 'b', status: 'RUNNING', attempts: 1 },
      ],
    };
    expect(await watchThroughSlowRead('RUNNING', events, (event) => shows(read, event))).toEqual({
      result: 'SUCCEEDED',
      printed: ['task task-1: RUNNING', 'step b SUCCEEDED  attempt 1', 'task SUCCEEDED'],
    });
  });
});

describe('shows (what a task as read already shows of a live event)', () => {
  const task = (status: string, attempts: number): TaskView => ({
    taskId: 't',
    workflowId: 'wf',
    status: 'RUNNING',
    steps: [{ stepId: 's', mapIndex: 2, status, attempts }],
  });
  const event = (status: string, attempt?: number): WatchedEvent => ({
    kind: 'step',
    stepId: 's',
    mapIndex: 2,
    status,
    ...(attempt !== undefined && { attempt }),
  });

  it.each([
    ['RETRYING', 1, event('RUNNING', 1), true],
    ['RETRYING', 1, event('RETRYING', 1), true],
    ['RUNNING', 2, event('RETRYING', 1), true],
    ['RUNNING', 2, event('RUNNING', 2), true],
    ['FAILED', 2, event('RUNNING', 2), true],
    ['RUNNING', 2, event('SUCCEEDED', 2), false],
    ['RUNNING', 1, event('RUNNING', 2), false],
    ['SKIPPED', 0, event('SKIPPED'), true],
    ['RUNNING', 1, event('SKIPPED'), false],
  ] as const)('a step %s at attempt %i shows %o: %s', (status, attempts, live, expected) => {
    expect(shows(task(status, attempts), live)).toBe(expected);
  });

  it('knows steps by id and map index, and the task by its status', () => {
    expect(shows(task('SUCCEEDED', 1), { ...event('SUCCEEDED', 1), mapIndex: 3 })).toBe(false);
    expect(shows(task('SUCCEEDED', 1), { kind: 'task', status: 'RUNNING' })).toBe(true);
    expect(shows(task('SUCCEEDED', 1), { kind: 'task', status: 'FAILED' })).toBe(false);
  });
});
