// The worker routes over HTTP on the embedded stack, over worker items written as the SDK writes them:
// an org admin sees the types open to its org and only its own figures (its tasks among in-flight steps,
// the status they make, its steps' counts and time), an operator
// sees everything, a MEMBER is refused, bad queries are 400s naming the field; a silent worker reads DEAD
// before any sweep, and an operator's POST /admin/workers/cleanup marks it (once); an org's releases only
// its own steps. No response carries a task token.
// A worker of the SDK shows an org no trace of another org's steps, not even in its heartbeat time.
import { SendTaskHeartbeatCommand, TaskTimedOut } from '@aws-sdk/client-sfn';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createApiKey, DynamoApiKeyStore } from '../../functions/shared/auth/api-keys';
import { OPERATOR_ORG_ID } from '../../functions/shared/auth/identity';
import { DeleteCommand, GetCommand, PutCommand } from '../../functions/shared/clients/table-commands';
import { toItem, type WorkerItem, workerKey } from '../../functions/shared/workers/worker-item';
import { WorkerRuntime } from '../../sdk/worker';
import { DynamoWorkerStore } from '../../sdk/worker-store';
import { apiClient } from '../support/api-request';
import { localClients } from '../support/aws-clients';
import { subscribedQueue } from '../support/subscribed-queue';
import { agentMessage, fakePorts, newToken } from '../unit/sdk/fakes';

const endpoints = inject('endpoints');
const { documents, sdkDocuments, sqs, sns, sfn } = localClients(endpoints);
const keys = new DynamoApiKeyStore(documents, endpoints.tableName);
const request = apiClient(endpoints.api);

// The orgs the integration stack declares the routes-* types for (global-setup.ts).
const ORG_A = 'worker-routes-org-a';
const ORG_B = 'worker-routes-org-b';
const SHARED = 'routes-shared';
const ONLY_B = 'routes-org-b';

const secondsAgo = (seconds: number) => new Date(Date.now() - seconds * 1000).toISOString();

interface Step {
  taskToken: string;
  tokenId: string;
  taskId: string;
  orgId: string;
  stepId: string;
  claimedAt: string;
}
const step = (orgId: string, n: number): Step => ({
  taskToken: `SECRET-TOKEN-${orgId}-${n}`,
  tokenId: `${n}`.padStart(16, 'a'),
  taskId: `task-${orgId}-${n}`,
  orgId,
  stepId: 'research',
  claimedAt: secondsAgo(30),
});

/** Writes a worker item as the SDK does (worker-item.ts toItem). */
async function putWorker(type: string, workerId: string, fields: Partial<WorkerItem>) {
  const worker: WorkerItem = {
    workerId,
    type,
    host: 'it-host',
    pid: 100,
    version: '0.1.0',
    concurrency: 2,
    status: 'IDLE',
    inFlight: [],
    startedAt: secondsAgo(600),
    lastHeartbeatAt: new Date().toISOString(),
    processed: 0,
    failed: 0,
    busyMs: 0,
    ...fields,
  };
  await documents.send(new PutCommand({ TableName: endpoints.tableName, Item: toItem(worker) }));
}

interface WorkerView {
  workerId: string;
  type: string;
  status: string;
  lastHeartbeatAt: string;
  processed: number;
  inFlight: { tokenId: string; taskId: string; orgId: string }[];
  deadAt?: string;
}

let adminA: string;
let ownerB: string;
let memberA: string;
let operator: string;

const get = async (apiKey: string, path: string) => {
  const reply = await request('GET', path, undefined, { apiKey });
  expect(JSON.stringify(reply.body)).not.toContain('SECRET-TOKEN');
  return reply;
};
const workerIds = (body: Record<string, unknown>) =>
  (body.items as WorkerView[]).map((worker) => worker.workerId).sort();

beforeAll(async () => {
  const key = async (orgId: string, role: 'OWNER' | 'ADMIN' | 'MEMBER' | 'OPERATOR') =>
    (await createApiKey(keys, { orgId, role, name: `${role.toLowerCase()} workers` })).plaintext;
  [adminA, ownerB, memberA, operator] = await Promise.all([
    key(ORG_A, 'ADMIN'),
    key(ORG_B, 'OWNER'),
    key(ORG_A, 'MEMBER'),
    key(OPERATOR_ORG_ID, 'OPERATOR'),
  ]);
  await putWorker(SHARED, 'shared-stopped', { status: 'STOPPED', lastHeartbeatAt: secondsAgo(3600) });
  // Silent past the stack's 4 s: DEAD as soon as it is read, before any sweep.
  await putWorker(SHARED, 'shared-silent', {
    status: 'ACTIVE',
    lastHeartbeatAt: secondsAgo(30),
    processed: 5,
    busyMs: 4_000,
    byOrg: { [ORG_B]: { processed: 5, failed: 0, busyMs: 4_000 } },
  });
});

// The live workers heartbeat before each test, as the SDK would every few seconds: the stack's
// deadAfterSeconds is 4.
beforeEach(async () => {
  await putWorker(SHARED, 'shared-busy', {
    status: 'BUSY',
    inFlight: [step(ORG_A, 1), step(ORG_B, 2)],
    processed: 10,
    failed: 2,
    busyMs: 12_000,
    byOrg: {
      [ORG_A]: { processed: 4, failed: 1, busyMs: 5_000 },
      [ORG_B]: { processed: 6, failed: 1, busyMs: 7_000 },
    },
  });
  await putWorker(ONLY_B, 'only-b-idle', {});
});

describe('worker routes', () => {
  it('shows an org admin the workers of the types open to its org, with only its own in-flight steps', async () => {
    const { status, body } = await get(adminA, '/admin/workers');
    expect(status, JSON.stringify(body)).toBe(200);
    const mine = (body.items as WorkerView[]).filter((worker) => worker.type.startsWith('routes-'));
    expect(mine.map((worker) => worker.workerId).sort()).toEqual([
      'shared-busy',
      'shared-silent',
      'shared-stopped',
    ]);
    const busy = mine.find((worker) => worker.workerId === 'shared-busy');
    expect(busy?.inFlight).toEqual([
      {
        tokenId: step(ORG_A, 1).tokenId,
        taskId: `task-${ORG_A}-1`,
        orgId: ORG_A,
        stepId: 'research',
        claimedAt: expect.any(String),
      },
    ]);
    expect(body.deadAfterSeconds).toBe(4);
  });

  it('shows the other org its own type and only its own steps', async () => {
    const { body } = await get(ownerB, `/admin/workers?type=${ONLY_B}`);
    expect(workerIds(body)).toEqual(['only-b-idle']);
    // BUSY with one step of each org, it is ACTIVE to each: the other org's step is not its to count.
    const shared = await get(ownerB, `/admin/workers?type=${SHARED}&status=ACTIVE`);
    expect((shared.body.items as WorkerView[])[0]?.inFlight.map((one) => one.orgId)).toEqual([ORG_B]);
  });

  it('shows an operator every type and every step, or reads as one org with ?org=', async () => {
    const all = await get(operator, '/admin/workers');
    const ids = workerIds(all.body);
    expect(ids).toEqual(expect.arrayContaining(['only-b-idle', 'shared-busy', 'shared-silent']));
    const busy = (all.body.items as WorkerView[]).find((worker) => worker.workerId === 'shared-busy');
    expect(busy?.inFlight.map((one) => one.orgId)).toEqual([ORG_A, ORG_B]);
    const asA = await get(operator, `/admin/workers?org=${ORG_A}`);
    expect(workerIds(asA.body)).not.toContain('only-b-idle');
  });

  it('reads a worker silent past deadAfterSeconds as DEAD before the sweeper marks it', async () => {
    const { body } = await get(adminA, `/admin/workers?type=${SHARED}&status=DEAD`);
    expect(workerIds(body)).toEqual(['shared-silent']);
    const dead = await get(adminA, `/admin/workers/dead?type=${SHARED}`);
    expect(workerIds(dead.body)).toEqual(['shared-silent']);
    expect((dead.body.items as WorkerView[])[0]?.deadAt).toBeUndefined();
  });

  it('sums workers by type in the stats; an org of a shared type gets only its own steps in the figures', async () => {
    const stats = async (apiKey: string) =>
      (await get(apiKey, `/admin/workers/stats?type=${SHARED}`)).body.types as unknown[];
    const shared = {
      type: SHARED,
      idle: 0,
      stopped: 1,
      dead: 1,
      oldestHeartbeatAgeSeconds: expect.any(Number),
    };
    expect(await stats(adminA)).toEqual([
      { ...shared, active: 1, busy: 0, processed: 4, failed: 1, avgStepMs: 1000 },
    ]);
    expect(await stats(ownerB)).toEqual([
      { ...shared, active: 1, busy: 0, processed: 11, failed: 1, avgStepMs: 917 },
    ]);
    expect(await stats(operator)).toEqual([
      { ...shared, active: 0, busy: 1, processed: 15, failed: 2, avgStepMs: 941 },
    ]);
    const busyAsA = ((await get(adminA, `/admin/workers?type=${SHARED}`)).body.items as WorkerView[]).find(
      (worker) => worker.workerId === 'shared-busy',
    );
    expect(busyAsA).toMatchObject({ status: 'ACTIVE', processed: 4, failed: 1, avgStepMs: 1000 });
    const operatorStats = await get(operator, '/admin/workers/stats');
    const types = (operatorStats.body.types as { type: string }[]).map((one) => one.type);
    expect(types).toEqual(expect.arrayContaining([SHARED, ONLY_B]));
    const adminTypes = ((await get(adminA, '/admin/workers/stats')).body.types as { type: string }[]).map(
      (one) => one.type,
    );
    expect(adminTypes).not.toContain(ONLY_B);
  });

  it("shows an org no trace of another org's steps on a shared worker: its heartbeat time moves only with its heartbeats", async () => {
    // A worker of the SDK on the shared type, writing its item in the stack's table; the queue, Step
    // Functions and the recorder are the unit tests' fakes. No heartbeat falls in the test (600 s).
    const fakes = fakePorts();
    let finish = () => {};
    const worker = new WorkerRuntime(
      {
        type: SHARED,
        concurrency: 2,
        heartbeatIntervalSeconds: 600,
        gracePeriodSeconds: 0,
        pollWaitSeconds: 1,
        tableName: endpoints.tableName,
        queueUrl: 'unused',
        reportsFunction: 'unused',
      },
      () => new Promise<string>((resolve) => (finish = () => resolve('done'))),
      { ...fakes.ports, store: new DynamoWorkerStore(sdkDocuments, endpoints.tableName) },
    );
    void worker.start();
    try {
      await expect.poll(() => worker.status().state).toBe('running');
      const workerId = worker.status().workerId ?? '';
      const view = async (apiKey: string) =>
        ((await get(apiKey, `/admin/workers?type=${SHARED}`)).body.items as WorkerView[]).find(
          (one) => one.workerId === workerId,
        );
      const before = await view(ownerB);
      expect(before).toMatchObject({ status: 'IDLE', processed: 0 });

      const token = newToken();
      fakes.queue.push(
        agentMessage(token, {
          task: { id: `task-${token}`, orgId: ORG_A, workflowId: 'wf', workflowVersion: 1 },
        }),
      );
      await expect.poll(async () => (await view(operator))?.status).toBe('ACTIVE');
      expect(await view(ownerB)).toMatchObject({
        status: 'IDLE',
        inFlight: [],
        lastHeartbeatAt: before?.lastHeartbeatAt,
      });
      finish();
      await expect.poll(async () => (await view(operator))?.processed).toBe(1);
      expect(await view(ownerB)).toMatchObject({
        status: 'IDLE',
        processed: 0,
        lastHeartbeatAt: before?.lastHeartbeatAt,
      });
    } finally {
      await worker.stopNow('test over');
      await documents.send(
        new DeleteCommand({
          TableName: endpoints.tableName,
          Key: workerKey(SHARED, worker.status().workerId ?? ''),
        }),
      );
    }
  });

  it('refuses a MEMBER (403), another org (403), a type closed to the org and a bad status (400 naming the field)', async () => {
    expect((await get(memberA, '/admin/workers')).status).toBe(403);
    expect((await request('POST', '/admin/workers/cleanup', undefined, { apiKey: memberA })).status).toBe(
      403,
    );
    expect((await get(adminA, `/admin/workers?org=${ORG_B}`)).status).toBe(403);
    for (const [path, field] of [
      [`/admin/workers?type=${ONLY_B}`, 'type'],
      ['/admin/workers/stats?type=nope', 'type'],
      [`/admin/workers?type=${SHARED}&type=${ONLY_B}`, 'type'],
      ['/admin/workers?type=%C0%AF', 'type'],
      ['/admin/workers/dead?type=%00', 'type'],
      ['/admin/workers?type=%E2%80%AEabc', 'type'],
      ['/admin/workers?status=ASLEEP', 'status'],
      ['/admin/workers/dead?limit=5', 'limit'],
    ] as const) {
      const { status, body } = await get(adminA, path);
      expect(status, path).toBe(400);
      expect(body.details, path).toEqual([expect.objectContaining({ field })]);
      // Nothing a client sent that is not printable comes back in the message.
      for (const unprintable of ['\u0000', '\u202e', '\ufffd']) {
        expect(String(body.message), path).not.toContain(unprintable);
      }
    }
  });

  it("refuses an operator's ?org=* (the reserved id holds no data) and a cleanup body that would seem to scope it", async () => {
    for (const path of ['/admin/workers?org=*', '/admin/workers/stats?org=%2A', '/admin/tasks?org=*']) {
      const { status, body } = await get(operator, path);
      expect(status, path).toBe(400);
      expect(body.details, path).toEqual([expect.objectContaining({ field: 'org' })]);
    }
    const scoped = await request('POST', '/admin/workers/cleanup', { type: SHARED }, { apiKey: adminA });
    expect(scoped.status).toBe(400);
    expect(scoped.body.details).toEqual([expect.objectContaining({ field: 'type' })]);
    // An empty object says nothing and is accepted (the only worker of this type is live: nothing marked).
    const empty = await request('POST', `/admin/workers/cleanup?type=${ONLY_B}`, {}, { apiKey: ownerB });
    expect(empty.status).toBe(200);
  });

  it('reports live and dead workers in GET /admin/health', async () => {
    const { status, body } = await get(ownerB, '/admin/health');
    expect(status).toBe(200);
    expect(body.workers).toEqual({ live: expect.any(Number), dead: expect.any(Number) });
    const workers = body.workers as { live: number; dead: number };
    // B sees shared-busy and only-b-idle alive and shared-silent dead (and whatever other tests run).
    expect(workers.live).toBeGreaterThanOrEqual(2);
    expect(workers.dead).toBeGreaterThanOrEqual(1);
  });

  it("POST /admin/workers/cleanup by an operator marks the silent worker DEAD once, alerts, and leaves the others (an org's marks none)", async () => {
    const alerts = await subscribedQueue({ sqs, sns }, endpoints.topicArns.critical ?? '', 'worker-routes');
    const byOrg = await request('POST', `/admin/workers/cleanup?type=${SHARED}`, undefined, {
      apiKey: adminA,
    });
    expect(byOrg.body).toMatchObject({ marked: [], released: [] });
    const { status, body } = await request('POST', `/admin/workers/cleanup?type=${SHARED}`, undefined, {
      apiKey: operator,
    });
    expect(status, JSON.stringify(body)).toBe(200);
    expect((body.marked as WorkerView[]).map((worker) => [worker.workerId, worker.status])).toEqual([
      ['shared-silent', 'DEAD'],
    ]);
    const { Item } = await documents.send(
      new GetCommand({
        TableName: endpoints.tableName,
        Key: { pk: `WORKER#${SHARED}`, sk: 'shared-silent' },
      }),
    );
    expect(Item).toMatchObject({ status: 'DEAD', deadAt: expect.any(String) });
    const { Item: busy } = await documents.send(
      new GetCommand({ TableName: endpoints.tableName, Key: { pk: `WORKER#${SHARED}`, sk: 'shared-busy' } }),
    );
    expect(busy?.status).toBe('BUSY');

    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: alerts, WaitTimeSeconds: 3, MaxNumberOfMessages: 10 }),
    );
    const notifications = Messages.map((message) => JSON.parse(message.Body ?? '{}'));
    expect(notifications).toEqual([
      expect.objectContaining({
        Subject: '[CRITICAL] Worker shared-silent (routes-shared) is dead',
        MessageAttributes: expect.objectContaining({
          severity: { Type: 'String', Value: 'CRITICAL' },
          kind: { Type: 'String', Value: 'WORKER_DEAD' },
        }),
      }),
    ]);
    // The sqs form of the MessageStructure json publish: the AlertMessage.
    expect(JSON.parse(notifications[0].Message)).toMatchObject({
      type: 'stepwise.alert',
      event: 'OPENED',
      alert: { dedupKey: 'WORKER_DEAD#shared-silent', worker: 'shared-silent', state: 'OPEN', count: 1 },
    });

    const again = await request('POST', `/admin/workers/cleanup?type=${SHARED}`, undefined, {
      apiKey: operator,
    });
    expect(again.body.marked).toEqual([]);
    const dead = await get(adminA, `/admin/workers/dead?type=${SHARED}`);
    expect((dead.body.items as WorkerView[])[0]).toMatchObject({
      workerId: 'shared-silent',
      deadAt: Item?.deadAt,
    });
  });

  it("POST /admin/workers/cleanup by an org admin releases only its org's steps of a shared worker; the sweep releases the rest", async () => {
    // Real steps of two orgs on a type open to both, held by one silent worker.
    const type = 'routes-cleanup';
    const queueUrl = endpoints.workerQueueUrls[type] ?? '';
    const startAgentTask = async (apiKey: string) => {
      const id = `cleanup_${Math.random().toString(16).slice(2, 10)}`;
      const steps = [
        { id: 'research', type: 'agent', workerType: type, heartbeatSeconds: 120, timeoutSeconds: 300 },
      ];
      const registered = await request('POST', '/workflows', { id, version: 1, name: id, steps }, { apiKey });
      expect(registered.status, JSON.stringify(registered.body)).toBe(201);
      const started = await request('POST', '/tasks', { workflowId: id, input: {} }, { apiKey });
      expect(started.status, JSON.stringify(started.body)).toBe(201);
      return (started.body as { taskId: string }).taskId;
    };
    const tokenOf = async (taskId: string) => {
      for (let tries = 0; tries < 20; tries += 1) {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        );
        for (const message of Messages) {
          const body = JSON.parse(message.Body ?? '{}') as { taskToken: string; task: { id: string } };
          await sqs.send(
            new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }),
          );
          if (body.task.id === taskId) return body.taskToken;
        }
      }
      throw new Error(`no message for ${taskId}`);
    };
    const open = async (token: string) =>
      sfn.send(new SendTaskHeartbeatCommand({ taskToken: token })).then(
        () => true,
        (error: unknown) => {
          if (error instanceof TaskTimedOut) return false;
          throw error;
        },
      );
    const taskA = await startAgentTask(adminA);
    const tokenA = await tokenOf(taskA);
    const taskB = await startAgentTask(ownerB);
    const tokenB = await tokenOf(taskB);
    const held = (orgId: string, taskId: string, taskToken: string, n: number) => ({
      ...step(orgId, n),
      taskToken,
      taskId,
    });
    await putWorker(type, 'cleanup-silent', {
      status: 'BUSY',
      lastHeartbeatAt: secondsAgo(30),
      inFlight: [held(ORG_A, taskA, tokenA, 7), held(ORG_B, taskB, tokenB, 8)],
      revision: 3,
    });
    try {
      const byA = await request('POST', `/admin/workers/cleanup?type=${type}`, undefined, { apiKey: adminA });
      expect(byA.status, JSON.stringify(byA.body)).toBe(200);
      expect(JSON.stringify(byA.body)).not.toContain(tokenB);
      expect(JSON.stringify(byA.body)).not.toContain(ORG_B);
      // Not marked: that is the next sweep's, for every org (and would tell A that others hold steps there).
      expect(byA.body.marked).toEqual([]);
      expect(byA.body.released).toEqual([
        expect.objectContaining({ workerId: 'cleanup-silent', type, taskId: taskA, orgId: ORG_A }),
      ]);
      expect(await open(tokenA)).toBe(false);
      // B's step is still held: its task goes on as if A had not called.
      expect(await open(tokenB)).toBe(true);
      const stored = await documents.send(
        new GetCommand({ TableName: endpoints.tableName, Key: workerKey(type, 'cleanup-silent') }),
      );
      expect(stored.Item?.status).toBe('BUSY');

      // The sweep for every org (the sweeper's, or an operator's) marks it and releases B's step.
      const swept = await request('POST', `/admin/workers/cleanup?type=${type}`, undefined, {
        apiKey: operator,
      });
      expect((swept.body.marked as WorkerView[]).map((worker) => worker.workerId)).toEqual([
        'cleanup-silent',
      ]);
      expect(swept.body.released).toEqual([expect.objectContaining({ taskId: taskB, orgId: ORG_B })]);
      expect(await open(tokenB)).toBe(false);
    } finally {
      await request('POST', `/tasks/${taskA}/cancel`, undefined, { apiKey: adminA });
      await request('POST', `/tasks/${taskB}/cancel`, undefined, { apiKey: ownerB });
    }
  });
});
