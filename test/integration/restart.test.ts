// `npm start` as a user runs it: a child process that stops on SIGTERM, and a second start that finds
// the data of the first.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateStateMachineCommand, DescribeStateMachineCommand } from '@aws-sdk/client-sfn';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import type { LocalEndpoints } from '../../local/stack';
import { localClients } from '../support/aws-clients';

const dataDirs: string[] = [];

afterAll(async () => {
  for (const dir of dataDirs) await rm(dir, { recursive: true, force: true });
});

async function startStack(dataDir: string): Promise<{ child: ChildProcess; endpoints: LocalEndpoints }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], {
    env: { ...process.env, STEPWISE_DATA_DIR: dataDir, STEPWISE_PORT: '0', STEPWISE_LOG_LEVEL: 'ERROR' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`stack did not start:\n${output}`)), 60_000);
    child.on('exit', (code) => reject(new Error(`stack exited with ${code}:\n${output}`)));
    child.stdout?.on('data', () => {
      if (output.includes('Press Ctrl-C to stop.')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const endpoints = JSON.parse(await readFile(join(dataDir, 'endpoints.json'), 'utf8')) as LocalEndpoints;
  return { child, endpoints };
}

async function stopStack(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return exited;
}

describe('npm start', () => {
  it('stops cleanly on SIGTERM and finds the data of the first run after a restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'stepwise-restart-'));
    dataDirs.push(dataDir);

    const first = await startStack(dataDir);
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
    expect(await stopStack(first.child)).toBe(0);

    const second = await startStack(dataDir);
    try {
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
      expect(await stopStack(second.child)).toBe(0);
    }
  });
});
