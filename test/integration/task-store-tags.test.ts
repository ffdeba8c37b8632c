// DynamoTaskStore's tag items against the local DynamoDB: they carry the task's list row, RUNNING from the
// create (no live-status read), and follow the settle; a settle that stopped after the task's write and
// before its tag items (a crash) leaves them RUNNING until the settle's next attempt (which finds the task
// settled: task-service.ts endTask) brings them level.
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import {
  type DocumentClient,
  QueryCommand,
  UpdateCommand,
} from '../../functions/shared/clients/table-commands';
import type { Task } from '../../functions/shared/tasks/task';
import { DynamoTaskStore } from '../../functions/shared/tasks/task-store';
import { localClients } from '../support/aws-clients';

const endpoints = inject('endpoints');
const { documents } = localClients(endpoints);
const store = new DynamoTaskStore(documents, endpoints.tableName);

function runningTask(): Task {
  const now = new Date().toISOString();
  return {
    taskId: randomUUID(),
    orgId: 'org-tags',
    workflowId: 'wf',
    workflowVersion: 1,
    tags: { env: 'prod', team: 'red' },
    status: 'RUNNING',
    input: {},
    executionArn: 'arn:aws:states:us-east-1:000000000000:execution:m:x',
    createdAt: now,
    startedAt: now,
    updatedAt: now,
  };
}

async function tagRows(taskId: string) {
  const { Items = [] } = await documents.send(
    new QueryCommand({
      TableName: endpoints.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :tag)',
      ExpressionAttributeValues: { ':pk': `TASK#${taskId}`, ':tag': 'TAG#' },
      ConsistentRead: true,
    }),
  );
  return Object.fromEntries(Items.map((item) => [item.sk, [item.listStatus, item.error]]));
}

/**
 * What the settle's next attempt does (task-service.ts endTask): reads the task with its steps and tag rows,
 * then levels its tag rows. Answers the statuses it read and the requests the leveling sent.
 */
async function levelTagRowsOf(taskId: string) {
  const { task, tagRows: shown = {} } = await store.getWithSteps(undefined, taskId);
  if (!task) throw new Error(`task ${taskId} is gone`);
  const sent: string[] = [];
  const recording: DocumentClient = {
    send: (command) => {
      sent.push(`${command.operation} ${String((command.input as { Key?: { sk?: unknown } }).Key?.sk)}`);
      return documents.send(command);
    },
  };
  await new DynamoTaskStore(recording, endpoints.tableName).levelTagRows(task, shown);
  return { shown, sent };
}

const settlement = (status: 'FAILED' | 'CANCELLED') => {
  const at = new Date().toISOString();
  return { status, at, settledAt: at, ...(status === 'FAILED' && { error: 'Boom' }) };
};

describe('DynamoTaskStore tag items', () => {
  it('show RUNNING from the create and the terminal status after the settle', async () => {
    const task = runningTask();
    await store.create(task);
    expect(await tagRows(task.taskId)).toEqual({
      'TAG#env:prod': ['RUNNING', undefined],
      'TAG#team:red': ['RUNNING', undefined],
    });
    expect(await store.settle(task, settlement('FAILED'))).toBe(true);
    expect(await tagRows(task.taskId)).toEqual({
      'TAG#env:prod': ['FAILED', 'Boom'],
      'TAG#team:red': ['FAILED', 'Boom'],
    });
  });

  it('are brought level by the next settle attempt when a crash left them behind the task', async () => {
    const task = runningTask();
    await store.create(task);
    expect(await store.settle(task, settlement('FAILED'))).toBe(true);
    // What a crash between the task's write and its tag items' leaves: one tag row still RUNNING.
    await documents.send(
      new UpdateCommand({
        TableName: endpoints.tableName,
        Key: { pk: `TASK#${task.taskId}`, sk: 'TAG#team:red' },
        UpdateExpression: 'SET listStatus = :running REMOVE #error',
        ExpressionAttributeNames: { '#error': 'error' },
        ExpressionAttributeValues: { ':running': 'RUNNING' },
      }),
    );
    // The settle's next attempt reads the task with its steps and tag rows, finds it settled and levels its
    // tag rows: only the one behind is written.
    const { shown, sent } = await levelTagRowsOf(task.taskId);
    expect(shown).toEqual({ 'env:prod': 'FAILED', 'team:red': 'RUNNING' });
    expect(await tagRows(task.taskId)).toEqual({
      'TAG#env:prod': ['FAILED', 'Boom'],
      'TAG#team:red': ['FAILED', 'Boom'],
    });
    expect(sent).toEqual(['UpdateItem TAG#team:red']);
  });

  it("writes nothing when every tag row shows the task's end (the execution's end after a cancel)", async () => {
    const task = runningTask();
    await store.create(task);
    expect(await store.settle(task, settlement('CANCELLED'))).toBe(true);
    expect((await levelTagRowsOf(task.taskId)).sent).toEqual([]);
  });
});
