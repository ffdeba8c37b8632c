// The worker SDK's AWS adapters against the embedded stack: its item's conditional writes (a worker the
// sweeper marked DEAD cannot overwrite the marking, nothing follows STOPPED), and Step Functions' answer to
// a token it does not wait on read as `gone` rather than thrown.

import { afterAll, describe, expect, inject, it } from 'vitest';
import { GetCommand, UpdateCommand } from '../../functions/shared/clients/table-commands';
import { fromItem, type WorkerItem, workerKey } from '../../functions/shared/workers/worker-item';
import { SfnTaskAnswers } from '../../sdk/task-answers';
import { DynamoWorkerStore } from '../../sdk/worker-store';
import { localClients } from '../support/aws-clients';

const endpoints = inject('endpoints');
const { dynamodb, documents, sdkDocuments, sfn } = localClients(endpoints);
const store = new DynamoWorkerStore(sdkDocuments, endpoints.tableName);

afterAll(() => {
  dynamodb.destroy();
  sfn.destroy();
});

const worker = (workerId: string, extra: Partial<WorkerItem> = {}): WorkerItem => ({
  workerId,
  type: 'research',
  host: 'box',
  pid: 1,
  version: '0.1.0',
  concurrency: 1,
  status: 'IDLE',
  inFlight: [],
  startedAt: new Date().toISOString(),
  lastHeartbeatAt: new Date().toISOString(),
  processed: 0,
  failed: 0,
  busyMs: 0,
  ...extra,
});

const read = async (workerId: string) => {
  const { Item } = await documents.send(
    new GetCommand({
      TableName: endpoints.tableName,
      Key: workerKey('research', workerId),
      ConsistentRead: true,
    }),
  );
  return Item && fromItem(Item);
};

describe('worker store', () => {
  it('registers a new id once and saves a live worker whole', async () => {
    const id = `it-${Date.now()}-a`;
    expect(await store.register(worker(id))).toBe(true);
    expect(await store.register(worker(id))).toBe(false);
    expect(await store.save(worker(id, { status: 'ACTIVE', processed: 2 }))).toBe(true);
    expect(await read(id)).toMatchObject({ workerId: id, type: 'research', status: 'ACTIVE', processed: 2 });
  });

  it('does not overwrite a DEAD marking (a zombie heartbeat), nor write after STOPPED', async () => {
    const dead = `it-${Date.now()}-dead`;
    await store.register(worker(dead));
    await documents.send(
      new UpdateCommand({
        TableName: endpoints.tableName,
        Key: workerKey('research', dead),
        UpdateExpression: 'SET #status = :dead',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':dead': 'DEAD' },
      }),
    );
    expect(await store.save(worker(dead, { status: 'ACTIVE' }))).toBe(false);
    expect((await read(dead))?.status).toBe('DEAD');

    const stopped = `it-${Date.now()}-stopped`;
    await store.register(worker(stopped));
    expect(await store.save(worker(stopped, { status: 'STOPPED' }))).toBe(true);
    expect(await store.save(worker(stopped, { status: 'IDLE' }))).toBe(false);
    expect((await read(stopped))?.status).toBe('STOPPED');
  });

  it('does not save a worker that never registered', async () => {
    expect(await store.save(worker(`it-${Date.now()}-ghost`))).toBe(false);
  });
});

describe('task answers', () => {
  it('reads a token Step Functions does not wait on as gone, for heartbeats and answers alike', async () => {
    const answers = new SfnTaskAnswers(sfn);
    const token = `AQ${'x'.repeat(64)}`;
    expect(await answers.heartbeat(token)).toBe('gone');
    expect(await answers.succeed(token, '{}')).toBe('gone');
    expect(await answers.fail(token, 'Worker.Shutdown', 'stopping')).toBe('gone');
  });
});
