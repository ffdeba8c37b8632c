// The console's live client without a server: what it offers on connect, that it re-subscribes after a
// reconnect, reports polling while down, and routes events to the subscriptions they belong to. (The
// socket is a stand-in: the browser tests run it against the stack's real /live endpoint.)
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  backoffDelay,
  bearerProtocol,
  LiveClient,
  type LiveEvent,
  type WebSocketLike,
} from '../../../console/src/live/live-client';

class FakeSocket implements WebSocketLike {
  readyState = 0;
  sent: unknown[] = [];
  onopen: ((event: unknown) => void) | null = null;
  onclose: ((event: unknown) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {}
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  drop() {
    this.readyState = 3;
    this.onclose?.({});
  }
  push(message: unknown) {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
}

describe('live client', () => {
  let sockets: FakeSocket[];
  let client: LiveClient;
  beforeEach(() => {
    vi.useFakeTimers();
    sockets = [];
    client = new LiveClient({
      url: 'ws://127.0.0.1:1/live',
      credential: 'sw_key+/=',
      createSocket: (url, protocols) => {
        const socket = new FakeSocket(url, protocols);
        sockets.push(socket);
        return socket;
      },
    });
  });
  afterEach(() => {
    client.stop();
    vi.useRealTimers();
  });

  it('offers stepwise.v1 and the credential as a base64url bearer subprotocol', () => {
    client.start();
    expect(sockets[0]?.protocols).toEqual(['stepwise.v1', bearerProtocol('sw_key+/=')]);
    expect(bearerProtocol('sw_key+/=')).toBe(`bearer.${Buffer.from('sw_key+/=').toString('base64url')}`);
  });

  it('is polling until open, live once open, and polling again while it reconnects with backoff', () => {
    client.start();
    expect(client.state).toBe('polling');
    sockets[0]?.open();
    expect(client.state).toBe('live');
    sockets[0]?.drop();
    expect(client.state).toBe('polling');
    vi.advanceTimersByTime(1300);
    expect(sockets).toHaveLength(2);
    sockets[1]?.drop();
    vi.advanceTimersByTime(1300);
    expect(sockets).toHaveLength(2);
    vi.advanceTimersByTime(1300);
    expect(sockets).toHaveLength(3);
  });

  it('subscribes once per topic, again after a reconnect, and delivers only matching events', () => {
    client.start();
    const tasks: LiveEvent[] = [];
    const one: LiveEvent[] = [];
    client.subscribe({ topic: 'tasks' }, (event) => tasks.push(event));
    client.subscribe({ topic: 'task', taskId: 't1' }, (event) => one.push(event));
    sockets[0]?.open();
    expect(sockets[0]?.sent).toEqual([
      { action: 'subscribe', topic: 'tasks' },
      { action: 'subscribe', topic: 'task', taskId: 't1' },
    ]);
    const event = { kind: 'task', org: 'o', taskId: 't2', workflowId: 'w', status: 'RUNNING', at: 'x' };
    sockets[0]?.push({ type: 'event', topic: 'tasks', event });
    sockets[0]?.push({ type: 'event', topic: 'task', event });
    sockets[0]?.push({ type: 'event', topic: 'task', event: { ...event, taskId: 't1' } });
    sockets[0]?.push('not json at all');
    expect(tasks).toEqual([event]);
    expect(one).toEqual([{ ...event, taskId: 't1' }]);

    sockets[0]?.drop();
    vi.advanceTimersByTime(1300);
    sockets[1]?.open();
    expect(sockets[1]?.sent).toEqual(sockets[0]?.sent);
  });

  it('unsubscribes when the last listener of a topic leaves', () => {
    client.start();
    sockets[0]?.open();
    const stopA = client.subscribe({ topic: 'alerts' }, () => undefined);
    const stopB = client.subscribe({ topic: 'alerts' }, () => undefined);
    stopA();
    expect(sockets[0]?.sent).toEqual([{ action: 'subscribe', topic: 'alerts' }]);
    stopB();
    expect(sockets[0]?.sent).toEqual([
      { action: 'subscribe', topic: 'alerts' },
      { action: 'unsubscribe', topic: 'alerts' },
    ]);
  });

  it('doubles the reconnect delay up to a cap, with jitter', () => {
    expect(backoffDelay(0, 1000, 30_000, () => 0.5)).toBe(1000);
    expect(backoffDelay(3, 1000, 30_000, () => 0.5)).toBe(8000);
    expect(backoffDelay(12, 1000, 30_000, () => 0.5)).toBe(30_000);
    expect(backoffDelay(0, 1000, 30_000, () => 0)).toBe(800);
  });
});
