// `npm start` stops cleanly on SIGTERM, and a second start finds the data of the first.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateStateMachineCommand, DescribeStateMachineCommand } from '@aws-sdk/client-sfn';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { localClients } from '../support/aws-clients';
import { startStackProcess, stopStackProcess } from '../support/stack-process';

const dataDirs: string[] = [];

afterAll(async () => {
  for (const dir of dataDirs) await rm(dir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('stops cleanly on SIGTERM and finds the data of the first run after a restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'stepwise-restart-'));
    dataDirs.push(dataDir);

    const first = await startStackProcess(dataDir);
    const health = await fetch(`${first.endpoints.api}/health`);
    expect(health.status).toBe(200);
    const before = localClients(first.endpoints);
    await before.documents.send(
      new PutCommand({
        TableName: first.endpoints.tableName,
        Item: { pk: 'RESTART', sk: 'A', note: 'kept' },
      }),
    );
    const queueUrl = first.endpoints.queueUrls.agentSteps ?? '';
    await before.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'survives' }));
    const { stateMachineArn } = await before.sfn.send(
      new CreateStateMachineCommand({
        name: 'kept-machine',
        roleArn: 'arn:aws:iam::000000000000:role/local',
        definition: JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Pass', End: true } } }),
      }),
    );
    expect(await stopStackProcess(first.child)).toBe(0);

    const second = await startStackProcess(dataDir);
    try {
      // The OWNER key of the first run still works: the stack keeps it rather than issuing another.
      expect(second.credentials.apiKey).toBe(first.credentials.apiKey);
      const after = localClients(second.endpoints);
      const { Item } = await after.documents.send(
        new GetCommand({ TableName: second.endpoints.tableName, Key: { pk: 'RESTART', sk: 'A' } }),
      );
      expect(Item?.note).toBe('kept');
      const { Messages } = await after.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: second.endpoints.queueUrls.agentSteps, WaitTimeSeconds: 2 }),
      );
      expect(Messages?.map((message) => message.Body)).toEqual(['survives']);
      const machine = await after.sfn.send(new DescribeStateMachineCommand({ stateMachineArn }));
      expect(machine.name).toBe('kept-machine');
    } finally {
      expect(await stopStackProcess(second.child)).toBe(0);
    }
  });
});
