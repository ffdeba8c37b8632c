// With a dataDir, the local Step Functions endpoint keeps state machines and execution records across a
// restart; an execution that was running when it stopped cannot resume, so it ends FAILED with
// Local.ExecutionLost (and its status event).
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ExecutionStatusChangeEvent, startStepFunctionsLocal } from '../../local/stepfunctions/server';

const region = 'us-east-1';
const accountId = '000000000000';
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'stepwise-sfn-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

async function start(events: ExecutionStatusChangeEvent[] = []) {
  const server = await startStepFunctionsLocal({
    port: 0,
    region,
    accountId,
    dataDir,
    endpoints: { sqs: 'http://127.0.0.1:1', sns: 'http://127.0.0.1:1', dynamodb: 'http://127.0.0.1:1' },
    invokeLambda: async () => null,
    onStatusChange: (event) => {
      events.push(event);
    },
  });
  const sfn = new SFNClient({
    region,
    endpoint: server.url,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  return {
    sfn,
    close: async () => {
      sfn.destroy();
      await server.close();
    },
  };
}

it('keeps state machines across a restart and fails the executions it was running as lost', async () => {
  const definition = JSON.stringify({
    StartAt: 'Wait',
    States: { Wait: { Type: 'Wait', Seconds: 60, End: true } },
  });
  const first = await start();
  const { stateMachineArn } = await first.sfn.send(
    new CreateStateMachineCommand({
      name: 'durable',
      roleArn: `arn:aws:iam::${accountId}:role/x`,
      definition,
    }),
  );
  const { executionArn } = await first.sfn.send(
    new StartExecutionCommand({ stateMachineArn, name: 'interrupted' }),
  );
  await first.close();

  const events: ExecutionStatusChangeEvent[] = [];
  const second = await start(events);
  try {
    const machine = await second.sfn.send(new DescribeStateMachineCommand({ stateMachineArn }));
    expect(machine.definition).toBe(definition);
    const execution = await second.sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(execution).toMatchObject({
      status: 'FAILED',
      error: 'Local.ExecutionLost',
      cause: 'The local stack stopped while this execution ran; executions cannot resume',
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(events.map((e) => [e.detail.executionArn, e.detail.status, e.detail.error])).toEqual([
      [executionArn, 'FAILED', 'Local.ExecutionLost'],
    ]);
  } finally {
    await second.close();
  }
});

// A kill -9 right after an answer must not lose what the answer acknowledged: a task whose StartExecution
// answered but whose execution never reached the disk ended ExecutionLost ("never started") a minute later.
it('has a created state machine and a started execution on disk before it answers', async () => {
  const stored = (name: string) => readFileSync(join(dataDir, 'stepfunctions', `${name}.json`), 'utf8');
  const server = await start();
  try {
    for (let i = 0; i < 5; i++) {
      const { stateMachineArn } = await server.sfn.send(
        new CreateStateMachineCommand({
          name: `acknowledged-${i}`,
          roleArn: `arn:aws:iam::${accountId}:role/x`,
          definition: JSON.stringify({
            StartAt: 'W',
            States: { W: { Type: 'Wait', Seconds: 60, End: true } },
          }),
        }),
      );
      expect(stored('state-machines')).toContain(stateMachineArn);
      const { executionArn } = await server.sfn.send(new StartExecutionCommand({ stateMachineArn }));
      expect(stored('executions')).toContain(executionArn);
    }
  } finally {
    await server.close();
  }
});
