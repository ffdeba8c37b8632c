// Live updates over a real WebSocket against the embedded stack: the credential in the subprotocol list,
// subscriptions kept to the caller's org, a task's events in the order they were recorded, connections
// pruned when they are gone, and a named error for every bad message.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { liveUrlOf, watchLive } from '../../bin/cli/live-watch';
import { createApiKey, DynamoApiKeyStore } from '../../functions/shared/auth/api-keys';
import { OPERATOR_ORG_ID } from '../../functions/shared/auth/identity';
import {
  createApiGatewayManagementClient,
  DeleteConnectionCommand,
} from '../../functions/shared/clients/apigateway-management';
import { PutCommand, QueryCommand } from '../../functions/shared/clients/table-commands';
import { taskPartition, topicPartition } from '../../functions/shared/live/live-event';
import { closeExpiredConnections } from '../../functions/shared/live/live-expiry';
import { connect as connectSession } from '../../functions/shared/live/live-session';
import { DynamoLiveStore } from '../../functions/shared/live/live-store';
import { toItem } from '../../functions/shared/workers/worker-item';
import { LOCAL_AWS } from '../../local/settings';
import { localClients } from '../support/aws-clients';
import { type LiveSocket, liveProtocols, openLiveSocket, refusedStatus } from '../support/live-socket';

const endpoints = inject('endpoints');
const { documents } = localClients(endpoints);
const keys = new DynamoApiKeyStore(documents, endpoints.tableName);
const liveStore = new DynamoLiveStore(documents, endpoints.tableName);
const RUN = Date.now().toString(36);
const ORG_A = `live-a-${RUN}`;
const ORG_B = `live-b-${RUN}`;
const WORKFLOW = `live_${RUN}`;

const keyOf: Record<string, string> = {};
const sockets: LiveSocket[] = [];

async function call(method: string, path: string, apiKey: string, body?: unknown) {
  const response = await fetch(`${endpoints.api}${path}`, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function connect(org: string): Promise<LiveSocket> {
  const socket = await openLiveSocket(endpoints.live, liveProtocols(keyOf[org] ?? ''));
  sockets.push(socket);
  return socket;
}

async function startTask(org: string): Promise<string> {
  const started = await call('POST', '/tasks', keyOf[org] ?? '', { workflowId: WORKFLOW });
  expect(started.status).toBe(201);
  return String(started.body.taskId);
}

type Event = { kind: string; org?: string; taskId?: string; stepId?: string; status?: string };
const eventOf = (message: Record<string, unknown>) => message.event as Event;
const isTaskEvent = (taskId: string, status?: string) => (message: Record<string, unknown>) =>
  message.type === 'event' &&
  eventOf(message).kind === 'task' &&
  eventOf(message).taskId === taskId &&
  (status === undefined || eventOf(message).status === status);

/** Runs `stepwise <args>` as a user does; `whenOutput` runs once stdout contains its text. */
function stepwise(
  args: string[],
  apiKey: string,
  whenOutput?: { text: string; action: () => Promise<unknown> },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'bin/stepwise.ts', ...args, '--url', endpoints.api, '--api-key', apiKey],
    { cwd: new URL('../../', import.meta.url) },
  );
  let stdout = '';
  let stderr = '';
  let triggered = false;
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (whenOutput && !triggered && stdout.includes(whenOutput.text)) {
      triggered = true;
      void whenOutput.action();
    }
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** Polls until `check` holds (the fan-out runs beside the writes, so its effects land a moment later). */
async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const partitionItems = async (pk: string) =>
  (
    await documents.send(
      new QueryCommand({
        TableName: endpoints.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
      }),
    )
  ).Items ?? [];

beforeAll(async () => {
  for (const org of [ORG_A, ORG_B]) {
    keyOf[org] = (await createApiKey(keys, { orgId: org, role: 'OWNER', name: 'live' })).plaintext;
    // An approval first, so a test subscribes to the task before its steps run; then three steps in order.
    const registered = await call('POST', '/workflows', keyOf[org] ?? '', {
      id: WORKFLOW,
      version: 1,
      name: 'live',
      steps: [
        { id: 'gate', type: 'approval', approvers: ['OWNER'], message: 'Go?', timeoutSeconds: 600 },
        { id: 'one', type: 'transform', dependsOn: ['gate'], params: { expression: '1' } },
        { id: 'two', type: 'transform', dependsOn: ['one'], params: { expression: '2' } },
        { id: 'three', type: 'transform', dependsOn: ['two'], params: { expression: '3' } },
      ],
    });
    expect(registered.status).toBe(201);
  }
});

afterAll(async () => {
  await Promise.all(sockets.map((socket) => socket.close()));
});

describe('live updates over WebSocket', () => {
  it('refuses a connection without a credential (401) and one with a key that is not known (403)', async () => {
    expect(await refusedStatus(endpoints.live, [])).toBe(401);
    expect(await refusedStatus(endpoints.live, ['stepwise.v1'])).toBe(403);
    expect(await refusedStatus(endpoints.live, liveProtocols('sw_notAKeyThatExists0000000000000000'))).toBe(
      403,
    );
    expect(await refusedStatus(endpoints.live, liveProtocols('not.a.jwt'))).toBe(403);
  });

  it('selects the stepwise.v1 subprotocol and answers ping', async () => {
    const live = await connect(ORG_A);
    expect(live.socket.protocol).toBe('stepwise.v1');
    expect(await live.request({ action: 'ping' })).toEqual({ type: 'pong' });
  });

  it('answers every bad message with an error naming the field', async () => {
    const live = await connect(ORG_A);
    const cases: [unknown, string][] = [
      ['not json', 'body'],
      [[1, 2], 'body'],
      [{}, 'action'],
      [{ action: 'dance' }, 'action'],
      [{ action: 'subscribe' }, 'topic'],
      [{ action: 'subscribe', topic: 'everything' }, 'topic'],
      [{ action: 'subscribe', topic: 'task' }, 'taskId'],
      [{ action: 'subscribe', topic: 'tasks', taskId: 'x' }, 'taskId'],
      [{ action: 'subscribe', topic: 'tasks', extra: 1 }, 'extra'],
      [{ action: 'subscribe', topic: 'tasks', org: ORG_B }, 'org'],
      [{ action: 'subscribe', topic: 'tasks', org: '' }, 'org'],
      [{ action: 'subscribe', topic: 'task', taskId: 'no-such-task' }, 'taskId'],
      [{ action: 'ping', topic: 'tasks' }, 'topic'],
    ];
    for (const [message, field] of cases) {
      const reply = await live.request(message);
      expect(reply, JSON.stringify(message)).toMatchObject({ type: 'error', field });
      expect(String(reply.message)).toContain(field);
    }
  });

  it("says not found for a task of another org, and delivers only the org's own events", async () => {
    const [liveA, liveB] = [await connect(ORG_A), await connect(ORG_B)];
    expect(await liveA.request({ action: 'subscribe', topic: 'tasks' })).toEqual({
      type: 'subscribed',
      topic: 'tasks',
      org: ORG_A,
    });
    expect(await liveB.request({ action: 'subscribe', topic: 'tasks' })).toMatchObject({
      type: 'subscribed',
    });
    const [taskA, taskB] = [await startTask(ORG_A), await startTask(ORG_B)];
    expect(await liveA.request({ action: 'subscribe', topic: 'task', taskId: taskB })).toEqual({
      type: 'error',
      field: 'taskId',
      message: `taskId: task ${taskB} not found`,
    });
    await liveA.next(isTaskEvent(taskA, 'RUNNING'));
    await liveB.next(isTaskEvent(taskB, 'RUNNING'));
    await call('POST', `/tasks/${taskA}/cancel`, keyOf[ORG_A] ?? '');
    await call('POST', `/tasks/${taskB}/cancel`, keyOf[ORG_B] ?? '');
    await liveA.next(isTaskEvent(taskA, 'CANCELLED'));
    await liveB.next(isTaskEvent(taskB, 'CANCELLED'));
    const orgsHeard = (live: LiveSocket) =>
      new Set(live.messages.filter((m) => m.type === 'event').map((m) => eventOf(m).org));
    expect(orgsHeard(liveA)).toEqual(new Set([ORG_A]));
    expect(orgsHeard(liveB)).toEqual(new Set([ORG_B]));
  });

  it("delivers a task's events in the order they were recorded", async () => {
    const live = await connect(ORG_A);
    await live.request({ action: 'subscribe', topic: 'tasks' });
    const taskId = await startTask(ORG_A);
    expect(await live.request({ action: 'subscribe', topic: 'task', taskId })).toEqual({
      type: 'subscribed',
      topic: 'task',
      taskId,
    });
    // The approval exists once its step has run: 404 until then.
    await eventually(
      async () =>
        (await call('POST', `/tasks/${taskId}/approvals/gate`, keyOf[ORG_A] ?? '', { decision: 'approve' }))
          .status === 200,
    );
    for (const topic of ['task', 'tasks']) {
      await live.next((message) => message.topic === topic && isTaskEvent(taskId, 'SUCCEEDED')(message));
    }
    const ofTask = (topic: string) =>
      live.messages
        .filter((m) => m.type === 'event' && m.topic === topic && eventOf(m).taskId === taskId)
        .map(eventOf);
    // The list's topic: created (RUNNING) first, settled last.
    const listed = ofTask('tasks').map((event) => event.status);
    expect(listed[0]).toBe('RUNNING');
    expect(listed.at(-1)).toBe('SUCCEEDED');
    // The task's topic: each step RUNNING then SUCCEEDED, in step order, and the task settled last.
    const detail = ofTask('task');
    const steps = detail
      .filter((event) => event.kind === 'step' && event.stepId !== 'gate')
      .map((event) => `${event.stepId}:${event.status}`);
    expect(steps).toEqual([
      'one:RUNNING',
      'one:SUCCEEDED',
      'two:RUNNING',
      'two:SUCCEEDED',
      'three:RUNNING',
      'three:SUCCEEDED',
    ]);
    expect(detail.at(-1)).toMatchObject({
      kind: 'task',
      status: 'SUCCEEDED',
      org: ORG_A,
      workflowId: WORKFLOW,
    });
  });

  it("tells a worker's DEAD marking to the orgs its type serves and to operators, and an alert to operators", async () => {
    // closed-type serves another-org only (test/integration/global-setup.ts).
    const workerId = `live-silent-${RUN}`;
    const longAgo = new Date(Date.now() - 600_000).toISOString();
    await documents.send(
      new PutCommand({
        TableName: endpoints.tableName,
        Item: toItem({
          workerId,
          type: 'closed-type',
          host: 'it-host',
          pid: 1,
          version: '0.1.0',
          concurrency: 1,
          status: 'IDLE',
          inFlight: [],
          startedAt: longAgo,
          lastHeartbeatAt: longAgo,
          processed: 0,
          failed: 0,
          busyMs: 0,
        }),
      }),
    );
    keyOf['another-org'] = (
      await createApiKey(keys, { orgId: 'another-org', role: 'ADMIN', name: 'live' })
    ).plaintext;
    keyOf[OPERATOR_ORG_ID] = (
      await createApiKey(keys, { orgId: OPERATOR_ORG_ID, role: 'OPERATOR', name: 'live' })
    ).plaintext;
    const [served, operator, unrelated] = [
      await connect('another-org'),
      await connect(OPERATOR_ORG_ID),
      await connect(ORG_A),
    ];
    expect(await served.request({ action: 'subscribe', topic: 'workers' })).toMatchObject({
      type: 'subscribed',
    });
    for (const topic of ['workers', 'alerts']) {
      expect(await operator.request({ action: 'subscribe', topic })).toEqual({
        type: 'subscribed',
        topic,
        org: '*',
      });
    }
    expect(await unrelated.request({ action: 'subscribe', topic: 'workers' })).toMatchObject({
      type: 'subscribed',
    });
    // Swept for every org, as the sweeper does (an org's cleanup releases its own steps and marks none).
    const cleanup = await call(
      'POST',
      '/admin/workers/cleanup?type=closed-type',
      keyOf[OPERATOR_ORG_ID] ?? '',
    );
    expect(cleanup.status).toBe(200);
    const isDead = (message: Record<string, unknown>) =>
      message.type === 'event' && (message.event as { workerId?: string }).workerId === workerId;
    expect((await served.next(isDead)).event).toMatchObject({
      kind: 'worker',
      org: 'another-org',
      workerType: 'closed-type',
      status: 'DEAD',
    });
    await operator.next(isDead);
    const alert = await operator.next((message) => message.type === 'event' && message.topic === 'alerts');
    expect(alert.event).toMatchObject({ kind: 'alert', event: 'OPENED', alert: { kind: 'WORKER_DEAD' } });
    expect(unrelated.messages.filter((message) => message.type === 'event')).toEqual([]);
  });

  it('tells a dead worker of a type open to every org to the orgs whose steps it held, and no other org', async () => {
    const workerId = `live-open-${RUN}`;
    const longAgo = new Date(Date.now() - 600_000).toISOString();
    // Its token is not one Step Functions knows: the sweep logs that it could not fail it, and goes on.
    const held = {
      taskToken: 'not-a-real-token',
      tokenId: '0123456789abcdef',
      taskId: `task-${RUN}`,
      orgId: ORG_A,
      stepId: 'research',
      claimedAt: longAgo,
    };
    await documents.send(
      new PutCommand({
        TableName: endpoints.tableName,
        Item: toItem({
          workerId,
          type: 'live-open-type',
          host: 'it-host',
          pid: 1,
          version: '0.1.0',
          concurrency: 2,
          status: 'ACTIVE',
          inFlight: [held],
          startedAt: longAgo,
          lastHeartbeatAt: longAgo,
          processed: 0,
          failed: 0,
          busyMs: 0,
        }),
      }),
    );
    const [owner, other] = [await connect(ORG_A), await connect(ORG_B)];
    for (const socket of [owner, other]) {
      expect(await socket.request({ action: 'subscribe', topic: 'workers' })).toMatchObject({
        type: 'subscribed',
      });
    }
    // Swept for every org, as the sweeper does (an org's cleanup releases its own steps and marks none).
    keyOf[OPERATOR_ORG_ID] ??= (
      await createApiKey(keys, { orgId: OPERATOR_ORG_ID, role: 'OPERATOR', name: 'live' })
    ).plaintext;
    const cleanup = await call('POST', '/admin/workers/cleanup?type=live-open-type', keyOf[OPERATOR_ORG_ID]);
    expect(cleanup.status).toBe(200);
    const isDead = (message: Record<string, unknown>) =>
      message.type === 'event' && (message.event as { workerId?: string }).workerId === workerId;
    expect((await owner.next(isDead)).event).toEqual({
      kind: 'worker',
      org: ORG_A,
      workerId,
      workerType: 'live-open-type',
      status: 'DEAD',
      at: expect.any(String),
    });
    // One fan-out posts to both: had B been in the audience, its copy would be here by now.
    expect(other.messages.filter(isDead)).toEqual([]);
  });

  it('deletes the connection, its subscriptions and its references when the socket drops', async () => {
    const org = `live-drop-${RUN}`;
    const created = await createApiKey(keys, { orgId: org, role: 'MEMBER', name: 'drop' });
    keyOf[org] = created.plaintext;
    const live = await connect(org);
    await live.request({ action: 'subscribe', topic: 'tasks' });
    // The partition's one subscribers item holds the connection.
    const [subscribers, ...more] = await partitionItems(topicPartition('tasks', org));
    expect(more).toEqual([]);
    const connections = [...((subscribers?.connections as Set<string> | undefined) ?? [])];
    expect(connections).toHaveLength(1);
    const connectionId = String(connections[0]);
    expect(await liveStore.subscribers(topicPartition('tasks', org))).toEqual([connectionId]);
    expect(await partitionItems(`LIVE#CONN#${connectionId}`)).toHaveLength(2);
    expect(await partitionItems(`LIVE#KEY#${org}#${created.key.keyId}`)).toHaveLength(1);
    live.socket.terminate();
    await eventually(async () => (await partitionItems(`LIVE#CONN#${connectionId}`)).length === 0);
    expect(await liveStore.subscribers(topicPartition('tasks', org))).toEqual([]);
    // Nothing is left for TTL (which the local stack does not have): the key's reference to the
    // connection, the partition's emptied subscribers item.
    await eventually(async () => (await partitionItems(`LIVE#KEY#${org}#${created.key.keyId}`)).length === 0);
    expect(await partitionItems(topicPartition('tasks', org))).toEqual([]);
  });

  it("ends a revoked API key's connections: they hear nothing more and subscribe to nothing", async () => {
    const org = `live-revoke-${RUN}`;
    keyOf[org] = (await createApiKey(keys, { orgId: org, role: 'OWNER', name: 'owner' })).plaintext;
    const admin = await createApiKey(keys, { orgId: org, role: 'ADMIN', name: 'revoked' });
    expect(
      (
        await call('POST', '/workflows', keyOf[org] ?? '', {
          id: WORKFLOW,
          version: 1,
          name: 'live',
          steps: [
            { id: 'gate', type: 'approval', approvers: ['OWNER'], message: 'Go?', timeoutSeconds: 600 },
          ],
        })
      ).status,
    ).toBe(201);
    const owner = await connect(org);
    const revoked = await openLiveSocket(endpoints.live, liveProtocols(admin.plaintext));
    sockets.push(revoked);
    for (const live of [owner, revoked]) {
      expect(await live.request({ action: 'subscribe', topic: 'tasks' })).toMatchObject({
        type: 'subscribed',
      });
    }
    const before = await startTask(org);
    await revoked.next(isTaskEvent(before, 'RUNNING'));

    expect((await call('DELETE', `/api-keys/${admin.key.keyId}`, keyOf[org] ?? '')).status).toBe(200);

    const after = await startTask(org);
    await call('POST', `/tasks/${after}/cancel`, keyOf[org] ?? '');
    await owner.next(isTaskEvent(after, 'CANCELLED'));
    expect(revoked.messages.filter((m) => m.type === 'event' && eventOf(m).taskId === after)).toEqual([]);
    expect(await revoked.request({ action: 'subscribe', topic: 'alerts' })).toEqual({
      type: 'error',
      message: 'this connection is not registered; reconnect',
    });
    expect(await refusedStatus(endpoints.live, liveProtocols(admin.plaintext))).toBe(403);
    // The revocation left its mark where a $connect that stored its connection after the revocation's list
    // of the key's connections (authorized just before it) looks, and removes itself: nothing stays.
    const late = `late-${RUN}=`;
    const identity = {
      orgId: org,
      role: 'ADMIN' as const,
      principal: admin.key.keyId,
      method: 'api-key' as const,
    };
    const deps = { store: liveStore, taskOrg: async () => undefined, now: () => new Date() };
    expect(await connectSession(late, identity, deps)).toBe('revoked');
    expect(await partitionItems(`LIVE#CONN#${late}`)).toEqual([]);
    expect(await liveStore.connectionsOfKey(org, admin.key.keyId)).toEqual([]);
    await call('POST', `/tasks/${before}/cancel`, keyOf[org] ?? '');
  });

  it('ends a connection once its credential (a JWT) expires: removed and closed by the sweep, its messages refused', async () => {
    const org = `live-expiry-${RUN}`;
    keyOf[org] = (await createApiKey(keys, { orgId: org, role: 'OWNER', name: 'expiry' })).plaintext;
    // Three connections, each one's id learnt from the topic's subscribers as it joins.
    const connected: { live: LiveSocket; connectionId: string }[] = [];
    for (let n = 0; n < 3; n++) {
      const live = await connect(org);
      expect(await live.request({ action: 'subscribe', topic: 'tasks' })).toMatchObject({
        type: 'subscribed',
      });
      const subscribers = await liveStore.subscribers(topicPartition('tasks', org));
      const connectionId = subscribers.find((id) => !connected.some((known) => known.connectionId === id));
      connected.push({ live, connectionId: String(connectionId) });
    }
    const [swept, refused, kept] = connected as [
      (typeof connected)[0],
      (typeof connected)[0],
      (typeof connected)[0],
    ];
    // What $connect records for a connection made with a JWT: the identity with the token's expiry (here
    // a second from now), the connection listed under it. The third, an API key's connection, has none.
    const expiresAt = Math.floor(Date.now() / 1000) + 1;
    for (const { connectionId } of [swept, refused]) {
      const connection = await liveStore.getConnection(connectionId);
      if (!connection) throw new Error('connection not recorded');
      await liveStore.putConnection({
        ...connection,
        identity: { ...connection.identity, method: 'jwt', expiresAt },
      });
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt * 1000 + 50 - Date.now())));

    // A message on an expired connection is refused, and the connection removed.
    expect(await refused.live.request({ action: 'subscribe', topic: 'tasks' })).toEqual({
      type: 'error',
      message: "this connection's credential has expired; reconnect with a fresh one",
    });
    expect(await partitionItems(`LIVE#CONN#${refused.connectionId}`)).toEqual([]);

    // The sweep removes and closes the other; the API key's connection stays.
    const management = createApiGatewayManagementClient({
      region: endpoints.region,
      credentials: LOCAL_AWS.credentials,
      endpoint: endpoints.live.replace(/^ws/, 'http'),
    });
    const closedBySweep = new Promise((resolve) => swept.live.socket.once('close', resolve));
    const report = await closeExpiredConnections({
      store: liveStore,
      close: async (connectionId) => {
        try {
          await management.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
          return 'closed';
        } catch (error) {
          if ((error as { name?: string }).name === 'GoneException') return 'gone';
          throw error;
        }
      },
      now: () => new Date(),
    });
    expect(report).toEqual({ closed: 2, errors: 0 });
    await closedBySweep;
    expect(await partitionItems(`LIVE#CONN#${swept.connectionId}`)).toEqual([]);
    const listed = (await partitionItems('LIVE#EXPIRING')).map((item) => item.connectionId);
    expect(listed).not.toContain(swept.connectionId);
    expect(listed).not.toContain(refused.connectionId);
    expect(await liveStore.subscribers(topicPartition('tasks', org))).toEqual([kept.connectionId]);
    expect(kept.live.socket.readyState).toBe(kept.live.socket.OPEN);
    expect(
      await closeExpiredConnections({ store: liveStore, close: async () => 'closed', now: () => new Date() }),
    ).toEqual({ closed: 0, errors: 0 });
  });

  it('prunes a connection whose $disconnect never ran when the next event is posted to it (410)', async () => {
    // What a lost $disconnect (best-effort on API Gateway) leaves: a connection and a subscription.
    const connectionId = `gone-${RUN}=`;
    const connection = {
      connectionId,
      identity: { orgId: ORG_B, role: 'OWNER' as const, principal: 'k', method: 'api-key' as const },
      connectedAt: new Date().toISOString(),
      expiresAt: Math.floor(Date.now() / 1000) + 3600,
    };
    await liveStore.putConnection(connection);
    await liveStore.subscribe(connection, topicPartition('tasks', ORG_B));
    const listener = await connect(ORG_B);
    await listener.request({ action: 'subscribe', topic: 'tasks' });
    const taskId = await startTask(ORG_B);
    // The live listener still hears the event the gone one was sent.
    await listener.next(isTaskEvent(taskId, 'RUNNING'));
    await eventually(async () => (await partitionItems(`LIVE#CONN#${connectionId}`)).length === 0);
    const subscribers = await liveStore.subscribers(topicPartition('tasks', ORG_B));
    expect(subscribers).not.toContain(connectionId);
    await call('POST', `/tasks/${taskId}/cancel`, keyOf[ORG_B] ?? '');
  });
});

describe('the subscribers store (one item per partition)', () => {
  const connectionOf = (connectionId: string) => ({
    connectionId,
    identity: { orgId: ORG_A, role: 'OWNER' as const, principal: 'k', method: 'api-key' as const },
    connectedAt: new Date().toISOString(),
    expiresAt: Math.floor(Date.now() / 1000) + 3600,
  });

  it('takes back a subscription whose connection was removed meanwhile', async () => {
    // A removal (disconnect, revocation) that deleted the connection item before this subscribe's write.
    const removed = connectionOf(`removed-${RUN}=`);
    const partition = taskPartition(`removed-${RUN}`);
    expect(await liveStore.subscribe(removed, partition)).toBe('connection-gone');
    expect(await liveStore.subscribers(partition)).toEqual([]);
    expect(await partitionItems(`LIVE#CONN#${removed.connectionId}`)).toEqual([]);
  });

  it('answers every partition of an event from one read, nobody listening included', async () => {
    const [one, two] = [connectionOf(`one-${RUN}=`), connectionOf(`two-${RUN}=`)];
    const [listened, quiet] = [taskPartition(`listened-${RUN}`), taskPartition(`quiet-${RUN}`)];
    for (const connection of [one, two]) {
      await liveStore.putConnection(connection);
      expect(await liveStore.subscribe(connection, listened)).toBe('subscribed');
    }
    // Subscribing again holds the connection once.
    expect(await liveStore.subscribe(one, listened)).toBe('subscribed');
    expect(await liveStore.subscribersOf([listened, quiet])).toEqual(
      new Map([
        [listened, [one.connectionId, two.connectionId].sort()],
        [quiet, []],
      ]),
    );
    await liveStore.removeConnection(one.connectionId);
    expect(await liveStore.subscribers(listened)).toEqual([two.connectionId]);
    // Leaving a partition nobody subscribed in writes nothing there.
    await liveStore.unsubscribe(two.connectionId, quiet);
    expect(await partitionItems(quiet)).toEqual([]);
    await liveStore.removeConnection(two.connectionId);
    expect(await liveStore.subscribers(listened)).toEqual([]);
  });

  it('expires the subscribers item no earlier than its latest connection would', async () => {
    const connection = connectionOf(`ttl-${RUN}=`);
    const partition = taskPartition(`ttl-${RUN}`);
    await liveStore.putConnection(connection);
    await liveStore.subscribe(connection, partition);
    const [item] = await partitionItems(partition);
    expect(Number(item?.expiresAt)).toBeGreaterThanOrEqual(connection.expiresAt);
    await liveStore.removeConnection(connection.connectionId);
  });
});

describe('stepwise tasks watch', () => {
  it('prints each step event as it arrives over the WebSocket and exits 0 when the task succeeds', async () => {
    const taskId = await startTask(ORG_A);
    const approve = () =>
      eventually(
        async () =>
          (await call('POST', `/tasks/${taskId}/approvals/gate`, keyOf[ORG_A] ?? '', { decision: 'approve' }))
            .status === 200,
      );
    // Approved once the watch has printed the task: its events come after.
    const { code, stdout, stderr } = await stepwise(['tasks', 'watch', taskId], keyOf[ORG_A] ?? '', {
      text: `task ${taskId}`,
      action: approve,
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const events = stdout
      .split('\n')
      .filter((line) => / step (one|two|three) /.test(line) || / task [A-Z_]+$/.test(line))
      .map((line) => line.replace(/^\S+\s+/, '').replace(/\s+attempt \d+$/, ''));
    expect(events).toEqual([
      'step one RUNNING',
      'step one SUCCEEDED',
      'step two RUNNING',
      'step two SUCCEEDED',
      'step three RUNNING',
      'step three SUCCEEDED',
      'task SUCCEEDED',
    ]);
  });

  it('prints only the 404 for a task that does not exist, not a fallback to polling', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    const { code, stdout, stderr } = await stepwise(['tasks', 'watch', missing], keyOf[ORG_A] ?? '');
    expect(code).not.toBe(0);
    expect(stdout).toBe('');
    expect(stderr).not.toContain('polling');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain('404');
  });

  it('prints an ended task once and exits with its outcome', async () => {
    const taskId = await startTask(ORG_A);
    expect((await call('POST', `/tasks/${taskId}/cancel`, keyOf[ORG_A] ?? '')).status).toBe(200);
    await eventually(
      async () => (await call('GET', `/tasks/${taskId}`, keyOf[ORG_A] ?? '')).body.status === 'CANCELLED',
    );
    const { code, stdout, stderr } = await stepwise(['tasks', 'watch', taskId], keyOf[ORG_A] ?? '');
    expect(stderr).toBe('');
    expect(code).toBe(1);
    expect(stdout.split(`task ${taskId} `)).toHaveLength(2);
    expect(stdout).toContain(`task ${taskId} (${WORKFLOW}): CANCELLED`);
  });

  it('falls back (unavailable) when the socket is unreachable or refuses the key, so the watch polls', async () => {
    const taskId = await startTask(ORG_A);
    const hooks = { snapshot: async () => ({ status: 'RUNNING', view: '' }), print: () => undefined };
    const connection = { url: endpoints.api, apiKey: keyOf[ORG_A] ?? '' };
    expect(await watchLive(connection, taskId, 'ws://127.0.0.1:9/live', hooks)).toBe('unavailable');
    expect(
      await watchLive(
        { ...connection, apiKey: 'sw_notAKeyThatExists0000000000000000' },
        taskId,
        endpoints.live,
        hooks,
      ),
    ).toBe('unavailable');
    expect(liveUrlOf(connection)).toBe(endpoints.live);
    await call('POST', `/tasks/${taskId}/cancel`, keyOf[ORG_A] ?? '');
  });
});
