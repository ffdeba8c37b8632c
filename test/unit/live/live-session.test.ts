import { describe, expect, it } from 'vitest';
import type { Identity } from '../../../functions/shared/auth/identity';
import { taskPartition, topicPartition } from '../../../functions/shared/live/live-event';
import {
  connect,
  disconnect,
  handleMessage,
  type LiveSessionDeps,
} from '../../../functions/shared/live/live-session';
import {
  type LiveConnection,
  type LiveStore,
  MAX_SUBSCRIPTIONS_PER_CONNECTION,
} from '../../../functions/shared/live/live-store';

class InMemoryLiveStore implements LiveStore {
  readonly connections = new Map<string, LiveConnection>();
  readonly subscriptions = new Map<string, Set<string>>();
  /** Connections a partition holds (DynamoLiveStore: MAX_SUBSCRIBERS_PER_PARTITION). */
  partitionLimit = Number.POSITIVE_INFINITY;
  /** `<org>#<keyId>` of the keys whose revocation has begun. */
  readonly revokedKeys = new Set<string>();
  async putConnection(connection: LiveConnection) {
    this.connections.set(connection.connectionId, connection);
  }
  async isKeyRevoked(orgId: string, keyId: string) {
    return this.revokedKeys.has(`${orgId}#${keyId}`);
  }
  async getConnection(connectionId: string) {
    return this.connections.get(connectionId);
  }
  async subscribe(connection: LiveConnection, partition: string) {
    const held = [...this.subscriptions].filter(([, ids]) => ids.has(connection.connectionId)).length;
    if (held >= MAX_SUBSCRIPTIONS_PER_CONNECTION) return 'connection-full' as const;
    const listening = this.subscriptions.get(partition) ?? new Set();
    if (!listening.has(connection.connectionId) && listening.size >= this.partitionLimit) {
      return 'partition-full' as const;
    }
    this.subscriptions.set(
      partition,
      new Set([...(this.subscriptions.get(partition) ?? []), connection.connectionId]),
    );
    return 'subscribed' as const;
  }
  async unsubscribe(connectionId: string, partition: string) {
    this.subscriptions.get(partition)?.delete(connectionId);
  }
  async subscribers(partition: string) {
    return [...(this.subscriptions.get(partition) ?? [])];
  }
  async subscribersOf(partitions: readonly string[]) {
    return new Map(await Promise.all(partitions.map(async (p) => [p, await this.subscribers(p)] as const)));
  }
  async removeConnection(connectionId: string) {
    for (const ids of this.subscriptions.values()) ids.delete(connectionId);
    this.connections.delete(connectionId);
  }
}

const member: Identity = { orgId: 'org-a', role: 'MEMBER', principal: 'k1', method: 'api-key' };
const admin: Identity = { ...member, role: 'ADMIN' };
const operator: Identity = { orgId: '*', role: 'OPERATOR', principal: 'op', method: 'jwt' };

function session() {
  const store = new InMemoryLiveStore();
  const deps: LiveSessionDeps = {
    store,
    taskOrg: async (taskId) => ({ 'task-a': 'org-a', 'task-b': 'org-b' })[taskId],
    now: () => new Date('2026-01-01T00:00:00Z'),
  };
  const send = (connectionId: string, message: unknown) =>
    handleMessage(connectionId, JSON.stringify(message), deps);
  return { store, deps, send };
}

describe('live sessions', () => {
  it('records the connection with its identity and a TTL past the 2-hour connection limit', async () => {
    const { store, deps } = session();
    await connect('c1', member, deps);
    expect(store.connections.get('c1')).toEqual({
      connectionId: 'c1',
      identity: member,
      connectedAt: '2026-01-01T00:00:00.000Z',
      expiresAt: Date.parse('2026-01-01T00:00:00Z') / 1000 + 2 * 3600 + 300,
    });
  });

  it('removes and refuses a connection whose API key was revoked between its authorization and its write', async () => {
    const { store, deps } = session();
    store.revokedKeys.add('org-a#k1');
    expect(await connect('c1', member, deps)).toBe('revoked');
    expect(store.connections.has('c1')).toBe(false);
    // Another key of the org, and a JWT, connect.
    expect(await connect('c2', { ...member, principal: 'k2' }, deps)).toBe('connected');
    expect(await connect('c3', { ...member, principal: 'k1', method: 'jwt' }, deps)).toBe('connected');
  });

  it("subscribes an org user to its own org's task list, and refuses another org naming the field", async () => {
    const { store, deps, send } = session();
    await connect('c1', member, deps);
    expect(await send('c1', { action: 'subscribe', topic: 'tasks' })).toEqual({
      type: 'subscribed',
      topic: 'tasks',
      org: 'org-a',
    });
    expect(await store.subscribers(topicPartition('tasks', 'org-a'))).toEqual(['c1']);
    expect(await send('c1', { action: 'subscribe', topic: 'tasks', org: 'org-b' })).toMatchObject({
      type: 'error',
      field: 'org',
    });
    expect(await send('c1', { action: 'subscribe', topic: 'tasks', org: '*' })).toMatchObject({
      field: 'org',
    });
  });

  it('answers not found for a task of another org or none, and subscribes to its own task', async () => {
    const { deps, send } = session();
    await connect('c1', member, deps);
    expect(await send('c1', { action: 'subscribe', topic: 'task', taskId: 'task-b' })).toEqual({
      type: 'error',
      field: 'taskId',
      message: 'taskId: task task-b not found',
    });
    expect(await send('c1', { action: 'subscribe', topic: 'task', taskId: 'missing' })).toMatchObject({
      field: 'taskId',
    });
    expect(await send('c1', { action: 'subscribe', topic: 'task', taskId: 'task-a' })).toEqual({
      type: 'subscribed',
      topic: 'task',
      taskId: 'task-a',
    });
  });

  it('keeps workers and alerts to ADMIN and above, as their routes', async () => {
    const { deps, send } = session();
    await connect('m', member, deps);
    await connect('a', admin, deps);
    expect(await send('m', { action: 'subscribe', topic: 'alerts' })).toMatchObject({
      type: 'error',
      field: 'topic',
      message: 'topic: alerts needs the ADMIN role; the caller is MEMBER',
    });
    expect(await send('a', { action: 'subscribe', topic: 'workers' })).toMatchObject({ type: 'subscribed' });
  });

  it("lets an operator hear one org or every org ('*', the default), and any org's task", async () => {
    const { store, deps, send } = session();
    await connect('op', operator, deps);
    expect(await send('op', { action: 'subscribe', topic: 'alerts' })).toEqual({
      type: 'subscribed',
      topic: 'alerts',
      org: '*',
    });
    expect(await send('op', { action: 'subscribe', topic: 'tasks', org: 'org-b' })).toMatchObject({
      org: 'org-b',
    });
    expect(await send('op', { action: 'subscribe', topic: 'task', taskId: 'task-b' })).toMatchObject({
      type: 'subscribed',
    });
    expect(await store.subscribers(topicPartition('alerts', '*'))).toEqual(['op']);
    expect(await store.subscribers(taskPartition('task-b'))).toEqual(['op']);
  });

  it('unsubscribes, and deletes everything of a connection on disconnect', async () => {
    const { store, deps, send } = session();
    await connect('c1', member, deps);
    await send('c1', { action: 'subscribe', topic: 'tasks' });
    await send('c1', { action: 'subscribe', topic: 'task', taskId: 'task-a' });
    expect(await send('c1', { action: 'unsubscribe', topic: 'tasks' })).toEqual({
      type: 'unsubscribed',
      topic: 'tasks',
      org: 'org-a',
    });
    expect(await store.subscribers(topicPartition('tasks', 'org-a'))).toEqual([]);
    await disconnect('c1', deps);
    expect(store.connections.size).toBe(0);
    expect(await store.subscribers(taskPartition('task-a'))).toEqual([]);
  });

  it('refuses a subscription past either limit with an error naming the topic', async () => {
    const { store, deps, send } = session();
    store.partitionLimit = 1;
    await connect('c1', member, deps);
    await connect('c2', member, deps);
    expect(await send('c1', { action: 'subscribe', topic: 'tasks' })).toMatchObject({ type: 'subscribed' });
    expect(await send('c2', { action: 'subscribe', topic: 'tasks' })).toMatchObject({
      type: 'error',
      field: 'topic',
      message: expect.stringContaining('as many listeners'),
    });
    store.partitionLimit = Number.POSITIVE_INFINITY;
    // c1 holds 'tasks' and as many others as make the limit.
    for (let i = 1; i < MAX_SUBSCRIPTIONS_PER_CONNECTION; i++)
      store.subscriptions.set(`extra-${i}`, new Set(['c1']));
    expect(await send('c1', { action: 'subscribe', topic: 'task', taskId: 'task-a' })).toMatchObject({
      type: 'error',
      message: expect.stringContaining('too many subscriptions'),
    });
  });

  it('answers a message on a connection it does not know with an error', async () => {
    const { send } = session();
    expect(await send('ghost', { action: 'subscribe', topic: 'tasks' })).toMatchObject({ type: 'error' });
    expect(await send('ghost', { action: 'ping' })).toEqual({ type: 'pong' });
  });
});
