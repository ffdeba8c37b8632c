// The worker items in DynamoDB (dynalite): a type's partition read whole, and the DEAD marking's
// condition — the heartbeat the sweep saw, and a worker neither STOPPED nor DEAD — holding in the table.
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import {
  type DocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '../../functions/shared/clients/table-commands';
import { sweepWorkers } from '../../functions/shared/workers/sweep-workers';
import { DynamoWorkerDirectory } from '../../functions/shared/workers/worker-directory';
import {
  toItem,
  WORKER_RETENTION_SECONDS,
  type WorkerItem,
} from '../../functions/shared/workers/worker-item';
import { DynamoWorkerStore } from '../../sdk/worker-store';
import { localClients } from '../support/aws-clients';

const endpoints = inject('endpoints');
const { documents, sdkDocuments } = localClients(endpoints);
const directory = new DynamoWorkerDirectory(documents, endpoints.tableName);
const HEARTBEAT = '2026-11-27T12:00:00.000Z';
const DEAD_AT = '2026-11-27T12:05:01.000Z';

async function putWorker(type: string, workerId: string, fields: Partial<WorkerItem> = {}) {
  const worker: WorkerItem = {
    workerId,
    type,
    host: 'h',
    pid: 1,
    version: '0.1.0',
    concurrency: 1,
    status: 'ACTIVE',
    inFlight: [
      {
        taskToken: 't',
        tokenId: 'abcdef0123456789',
        taskId: 'x',
        orgId: 'o',
        stepId: 's',
        claimedAt: HEARTBEAT,
      },
    ],
    startedAt: HEARTBEAT,
    lastHeartbeatAt: HEARTBEAT,
    processed: 1,
    failed: 0,
    busyMs: 10,
    ...fields,
  };
  await documents.send(new PutCommand({ TableName: endpoints.tableName, Item: toItem(worker) }));
  return worker;
}

const stored = async (type: string, workerId: string) =>
  (
    await documents.send(
      new GetCommand({ TableName: endpoints.tableName, Key: { pk: `WORKER#${type}`, sk: workerId } }),
    )
  ).Item;

describe('DynamoWorkerDirectory', () => {
  it('reads every worker of a type, with its type from the key, and no other type', async () => {
    const type = `dir-${randomUUID().slice(0, 8)}`;
    await Promise.all(Array.from({ length: 3 }, (_, i) => putWorker(type, `w-${i}`)));
    await putWorker(`${type}-other`, 'w-x');
    const workers = await directory.listByType(type);
    expect(workers.map((worker) => worker.workerId).sort()).toEqual(['w-0', 'w-1', 'w-2']);
    expect(workers[0]).toMatchObject({
      type,
      status: 'ACTIVE',
      inFlight: [expect.objectContaining({ tokenId: 'abcdef0123456789' })],
    });
  });

  it('marks a worker DEAD with deadAt and a day of retention when its heartbeat is the one seen', async () => {
    const type = `dir-${randomUUID().slice(0, 8)}`;
    const silent = await putWorker(type, 'silent');
    expect(await directory.markDead(silent, DEAD_AT)).toBe(true);
    expect(await stored(type, 'silent')).toMatchObject({
      status: 'DEAD',
      deadAt: DEAD_AT,
      expiresAt: Date.parse(DEAD_AT) / 1000 + WORKER_RETENTION_SECONDS,
    });
    expect(await directory.markDead(silent, DEAD_AT)).toBe(false);
  });

  it("rewrites the steps of the DEAD item it marked, and of no live worker nor another marking's item", async () => {
    const type = `dir-${randomUUID().slice(0, 8)}`;
    const silent = await putWorker(type, 'silent');
    const live = await putWorker(type, 'live');
    expect(await directory.setDeadInFlight({ ...live, status: 'DEAD', deadAt: DEAD_AT }, [])).toBe(false);
    expect((await stored(type, 'live'))?.inFlight).toHaveLength(1);
    expect(await directory.markDead(silent, DEAD_AT)).toBe(true);
    const dead = { ...silent, status: 'DEAD' as const, deadAt: DEAD_AT };
    expect(await directory.setDeadInFlight({ ...dead, deadAt: HEARTBEAT }, [])).toBe(false);
    expect(await directory.setDeadInFlight(dead, [])).toBe(true);
    expect(await stored(type, 'silent')).toMatchObject({ status: 'DEAD', deadAt: DEAD_AT, inFlight: [] });
    expect(await directory.setDeadInFlight({ ...dead, workerId: 'gone' }, [])).toBe(false);
    expect(await stored(type, 'gone')).toBeUndefined();
  });

  it('does not mark a worker whose heartbeat moved on after the sweep read it (the zombie race)', async () => {
    const type = `dir-${randomUUID().slice(0, 8)}`;
    const zombie = await putWorker(type, 'zombie');
    await documents.send(
      new UpdateCommand({
        TableName: endpoints.tableName,
        Key: { pk: `WORKER#${type}`, sk: 'zombie' },
        UpdateExpression: 'SET lastHeartbeatAt = :now',
        ExpressionAttributeValues: { ':now': '2026-11-27T12:05:00.500Z' },
      }),
    );
    expect(await directory.markDead(zombie, DEAD_AT)).toBe(false);
    expect((await stored(type, 'zombie'))?.status).toBe('ACTIVE');
  });

  it('does not mark a STOPPED worker, nor one that no longer exists', async () => {
    const type = `dir-${randomUUID().slice(0, 8)}`;
    const stopped = await putWorker(type, 'stopped', { status: 'STOPPED' });
    expect(await directory.markDead({ ...stopped, status: 'ACTIVE' }, DEAD_AT)).toBe(false);
    expect((await stored(type, 'stopped'))?.status).toBe('STOPPED');
    expect(await directory.markDead({ ...stopped, workerId: 'gone' }, DEAD_AT)).toBe(false);
    expect(await stored(type, 'gone')).toBeUndefined();
  });

  it('does not mark a worker whose claim landed after the sweep read it without that step: it reads again and releases both', async () => {
    const type = `dir-${randomUUID().slice(0, 8)}`;
    const seen = await putWorker(type, 'claiming', { revision: 4 });
    const [first] = seen.inFlight;
    const claimed = { ...(first ?? never()), taskToken: 't2', tokenId: '0123456789abcdef', taskId: 'y' };
    // The SDK's claim write (its heartbeat time unchanged) lands just before the sweep's first marking.
    const store = new DynamoWorkerStore(sdkDocuments, endpoints.tableName);
    let claims = 0;
    const interleaved: DocumentClient = {
      send: (async (command: { constructor: { name: string } }) => {
        if (command.constructor.name === 'UpdateCommand' && claims === 0) {
          claims += 1;
          expect(await store.save({ ...seen, inFlight: [...seen.inFlight, claimed], revision: 5 })).toBe(
            true,
          );
        }
        return documents.send(command as never);
      }) as DocumentClient['send'],
    };
    const failedTokens: string[] = [];
    const report = await sweepWorkers([type], {
      workers: new DynamoWorkerDirectory(interleaved, endpoints.tableName),
      failLostToken: async (token) => {
        failedTokens.push(token);
        return 'failed';
      },
      recordLostAttempt: async () => true,
      raiseAlert: async () => undefined,
      now: () => new Date(DEAD_AT),
      deadAfterSeconds: 60,
    });
    expect(claims).toBe(1);
    expect(report.marked.map((swept) => swept.worker.workerId)).toEqual(['claiming']);
    expect(failedTokens).toEqual(['t', 't2']);
    expect(await stored(type, 'claiming')).toMatchObject({ status: 'DEAD', revision: 5 });
  });
});

function never(): never {
  throw new Error('no step');
}
