// The local Step Functions endpoint, driven through the real AWS SDK v3 SFNClient (and an SQS worker on
// fauxqs), checking the behaviours the project relies on: retry with backoff, catch, timeouts, Parallel and
// Map, task tokens with heartbeats, status events, and the AWS error names.
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startFauxqs } from 'fauxqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExecutionStatusChangeEvent, startStepFunctionsLocal } from '../../local/stepfunctions/server';

const region = 'us-east-1';
const accountId = '000000000000';
const roleArn = `arn:aws:iam::${accountId}:role/local`;
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

class FlakyError extends Error {
  override name = 'FlakyError';
}
class PaymentDeclined extends Error {
  override name = 'PaymentDeclined';
}

// The in-test Lambdas, by function name.
const attempts: Record<string, number[]> = {};
const lambdas: Record<string, (payload: unknown) => Promise<unknown>> = {
  // Fails twice, then succeeds; records when each attempt ran.
  flaky: async (payload) => {
    const key = (payload as { key: string }).key;
    const times = attempts[key] ?? [];
    attempts[key] = times;
    times.push(Date.now());
    if (times.length <= 2) throw new FlakyError(`attempt ${times.length} failed`);
    return { attempts: times.length };
  },
  decline: async () => {
    throw new PaymentDeclined('card declined');
  },
  slow: () => new Promise((resolve) => setTimeout(() => resolve('late'), 3000)),
  double: async (payload) => (payload as number) * 2,
  echo: async (payload) => payload,
};

let sfn: SFNClient;
let sqs: SQSClient;
let queueUrl: string;
let stopStack: () => Promise<void>;
const statusEvents: ExecutionStatusChangeEvent[] = [];

async function createMachine(name: string, definition: object): Promise<string> {
  const { stateMachineArn } = await sfn.send(
    new CreateStateMachineCommand({ name, roleArn, definition: JSON.stringify(definition) }),
  );
  return stateMachineArn as string;
}

async function waitForEnd(executionArn: string, timeoutMs = 20_000): Promise<DescribeExecutionCommandOutput> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (execution.status !== 'RUNNING' || Date.now() > until) return execution;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function run(stateMachineArn: string, input: unknown = {}, name?: string) {
  const { executionArn } = await sfn.send(
    new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
  );
  return waitForEnd(executionArn as string);
}

/** Receives one message from the worker queue, long polling. */
async function receiveTaskMessage(): Promise<{ taskToken: string; job: string }> {
  for (let i = 0; i < 20; i++) {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1, MaxNumberOfMessages: 1 }),
    );
    const message = Messages?.[0];
    if (message) {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
      return JSON.parse(message.Body ?? '{}');
    }
  }
  throw new Error('no task message received');
}

beforeAll(async () => {
  const fauxqs = await startFauxqs({ port: 0, logger: false });
  queueUrl = fauxqs.createQueue('agent-steps').queueUrl;
  const stepfunctions = await startStepFunctionsLocal({
    port: 0,
    region,
    accountId,
    endpoints: { sqs: fauxqs.address, sns: fauxqs.address, dynamodb: 'http://127.0.0.1:1' },
    invokeLambda: async (functionName, payload) => {
      const lambda = lambdas[functionName.split(':').at(-1) ?? ''];
      if (!lambda)
        throw Object.assign(new Error(`Function not found: ${functionName}`), {
          name: 'Lambda.ResourceNotFoundException',
        });
      return lambda(payload);
    },
    onStatusChange: (event) => {
      statusEvents.push(event);
    },
  });
  sfn = new SFNClient({ region, endpoint: stepfunctions.url, credentials });
  sqs = new SQSClient({ region, endpoint: fauxqs.address, credentials });
  stopStack = async () => {
    await stepfunctions.close();
    await fauxqs.stop();
  };
});

afterAll(async () => {
  sfn?.destroy();
  sqs?.destroy();
  await stopStack?.();
});

const invoke = (functionName: string, extra: object = {}) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke',
  Parameters: { FunctionName: functionName, 'Payload.$': '$' },
  ResultSelector: { 'value.$': '$.Payload' },
  ...extra,
});

describe('Retry and Catch', () => {
  it('retries a failing task with a growing backoff until it succeeds', async () => {
    const arn = await createMachine('retry', {
      StartAt: 'Flaky',
      States: {
        Flaky: invoke('flaky', {
          Retry: [{ ErrorEquals: ['FlakyError'], IntervalSeconds: 1, BackoffRate: 2, MaxAttempts: 3 }],
          End: true,
        }),
      },
    });
    const execution = await run(arn, { key: 'retry' });
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? '')).toEqual({ value: { attempts: 3 } });
    const [first = 0, second = 0, third = 0] = attempts.retry ?? [];
    const firstGap = second - first;
    const secondGap = third - second;
    expect(firstGap).toBeGreaterThanOrEqual(900);
    expect(secondGap).toBeGreaterThanOrEqual(1900);
    expect(secondGap).toBeGreaterThan(firstGap);

    const { events = [] } = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn: execution.executionArn }),
    );
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('ExecutionStarted');
    expect(types.filter((t) => t === 'TaskFailed')).toHaveLength(2);
    expect(types.filter((t) => t === 'TaskScheduled')).toHaveLength(3);
    expect(types.at(-1)).toBe('ExecutionSucceeded');
    expect(events.find((e) => e.type === 'TaskFailed')?.taskFailedEventDetails?.error).toBe('FlakyError');
  });

  it('routes a failure matched by error name to the Catch fallback state', async () => {
    const arn = await createMachine('catch', {
      StartAt: 'Charge',
      States: {
        Charge: invoke('decline', {
          Catch: [
            { ErrorEquals: ['SomethingElse'], Next: 'Wrong' },
            { ErrorEquals: ['PaymentDeclined'], ResultPath: '$.failure', Next: 'Fallback' },
          ],
          End: true,
        }),
        Wrong: { Type: 'Fail', Error: 'Wrong' },
        Fallback: { Type: 'Pass', End: true },
      },
    });
    const execution = await run(arn, { order: 7 });
    expect(execution.status).toBe('SUCCEEDED');
    const output = JSON.parse(execution.output ?? '');
    expect(output.order).toBe(7);
    expect(output.failure.Error).toBe('PaymentDeclined');
    expect(JSON.parse(output.failure.Cause).errorMessage).toBe('card declined');
  });

  it('fails the execution with the function error name when nothing catches it', async () => {
    const arn = await createMachine('uncaught', {
      StartAt: 'Charge',
      States: { Charge: invoke('decline', { End: true }) },
    });
    const execution = await run(arn);
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('PaymentDeclined');
  });

  it('times out a task after its TimeoutSeconds with States.Timeout', async () => {
    const arn = await createMachine('task-timeout', {
      StartAt: 'Slow',
      States: {
        Slow: invoke('slow', {
          TimeoutSeconds: 1,
          Catch: [{ ErrorEquals: ['States.Timeout'], Next: 'TimedOut' }],
          End: true,
        }),
        TimedOut: { Type: 'Pass', End: true },
      },
    });
    const execution = await run(arn);
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? '').Error).toBe('States.Timeout');
  });
});

describe('Parallel and Map', () => {
  it('runs Parallel branches and a Map over items, with plain Lambda ARNs and the context object', async () => {
    const arn = await createMachine('fan-out', {
      StartAt: 'Both',
      States: {
        Both: {
          Type: 'Parallel',
          Branches: [
            {
              StartAt: 'Doubles',
              States: {
                Doubles: {
                  Type: 'Map',
                  ItemsPath: '$.numbers',
                  ItemProcessor: {
                    StartAt: 'Double',
                    States: {
                      Double: {
                        Type: 'Task',
                        Resource: `arn:aws:lambda:${region}:${accountId}:function:double`,
                        End: true,
                      },
                    },
                  },
                  End: true,
                },
              },
            },
            {
              StartAt: 'WhoAmI',
              States: {
                WhoAmI: {
                  Type: 'Pass',
                  Parameters: { 'execution.$': '$$.Execution.Name', 'machine.$': '$$.StateMachine.Name' },
                  End: true,
                },
              },
            },
          ],
          End: true,
        },
      },
    });
    const execution = await run(arn, { numbers: [1, 2, 3] }, 'fan-out-1');
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? '')).toEqual([
      [2, 4, 6],
      { execution: 'fan-out-1', machine: 'fan-out' },
    ]);
  });
});

describe('task tokens (sqs:sendMessage.waitForTaskToken)', () => {
  let arn: string;
  beforeAll(async () => {
    arn = await createMachine('agent-step', {
      StartAt: 'Agent',
      States: {
        Agent: {
          Type: 'Task',
          Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
          HeartbeatSeconds: 1,
          Parameters: {
            QueueUrl: queueUrl,
            MessageBody: { 'taskToken.$': '$$.Task.Token', 'job.$': '$.job' },
          },
          End: true,
        },
      },
    });
  });

  it('succeeds with the output a worker sends with SendTaskSuccess', async () => {
    const { executionArn = '' } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: arn, input: '{"job":"a"}' }),
    );
    const message = await receiveTaskMessage();
    expect(message.job).toBe('a');
    await sfn.send(new SendTaskSuccessCommand({ taskToken: message.taskToken, output: '{"answer":42}' }));
    const execution = await waitForEnd(executionArn);
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? '')).toEqual({ answer: 42 });
    // The token is spent: AWS answers TaskTimedOut.
    await expect(
      sfn.send(new SendTaskSuccessCommand({ taskToken: message.taskToken, output: '{}' })),
    ).rejects.toMatchObject({ name: 'TaskTimedOut' });
  });

  it('fails with the error a worker sends with SendTaskFailure', async () => {
    const { executionArn = '' } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: arn, input: '{"job":"b"}' }),
    );
    const message = await receiveTaskMessage();
    await sfn.send(
      new SendTaskFailureCommand({ taskToken: message.taskToken, error: 'AgentCrashed', cause: 'boom' }),
    );
    const execution = await waitForEnd(executionArn);
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('AgentCrashed');
    expect(execution.cause).toBe('boom');
  });

  it('fails with States.HeartbeatTimeout when no heartbeat arrives within HeartbeatSeconds', async () => {
    const { executionArn = '' } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: arn, input: '{"job":"c"}' }),
    );
    const message = await receiveTaskMessage();
    const execution = await waitForEnd(executionArn);
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('States.HeartbeatTimeout');
    await expect(
      sfn.send(new SendTaskHeartbeatCommand({ taskToken: message.taskToken })),
    ).rejects.toMatchObject({
      name: 'TaskTimedOut',
    });
  });

  it('keeps a task alive with SendTaskHeartbeat beyond HeartbeatSeconds', async () => {
    const { executionArn = '' } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: arn, input: '{"job":"d"}' }),
    );
    const message = await receiveTaskMessage();
    for (let i = 0; i < 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      await sfn.send(new SendTaskHeartbeatCommand({ taskToken: message.taskToken }));
    }
    await sfn.send(new SendTaskSuccessCommand({ taskToken: message.taskToken, output: '"done"' }));
    const execution = await waitForEnd(executionArn);
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.output).toBe('"done"');
  });

  it('matches a missed heartbeat with States.Timeout in Catch, as AWS does', async () => {
    const catching = await createMachine('agent-step-caught', {
      StartAt: 'Agent',
      States: {
        Agent: {
          Type: 'Task',
          Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
          HeartbeatSeconds: 1,
          Parameters: { QueueUrl: queueUrl, MessageBody: { 'taskToken.$': '$$.Task.Token', job: 'e' } },
          Catch: [{ ErrorEquals: ['States.Timeout'], Next: 'Lost' }],
          End: true,
        },
        Lost: { Type: 'Pass', End: true },
      },
    });
    const { executionArn = '' } = await sfn.send(new StartExecutionCommand({ stateMachineArn: catching }));
    await receiveTaskMessage();
    const execution = await waitForEnd(executionArn);
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? '').Error).toBe('States.HeartbeatTimeout');
  });
});

describe('execution status change events', () => {
  const eventsFor = (executionArn: string) =>
    statusEvents.filter((e) => e.detail.executionArn === executionArn);
  const settle = () => new Promise((resolve) => setTimeout(resolve, 100));

  it('emits RUNNING then SUCCEEDED in the EventBridge shape', async () => {
    const arn = await createMachine('events-ok', {
      StartAt: 'Echo',
      States: { Echo: invoke('echo', { End: true }) },
    });
    const execution = await run(arn, { hello: 'world' }, 'events-ok-1');
    await settle();
    const [running, succeeded] = eventsFor(execution.executionArn ?? '');
    expect(running?.detail.status).toBe('RUNNING');
    expect(succeeded).toMatchObject({
      version: '0',
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      account: accountId,
      region,
      resources: [execution.executionArn],
      detail: {
        executionArn: execution.executionArn,
        stateMachineArn: arn,
        name: 'events-ok-1',
        status: 'SUCCEEDED',
        input: '{"hello":"world"}',
        output: '{"value":{"hello":"world"}}',
        error: null,
        cause: null,
      },
    });
    expect(succeeded?.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(typeof succeeded?.detail.startDate).toBe('number');
    expect(succeeded?.detail.stopDate).toBeGreaterThanOrEqual(succeeded?.detail.startDate ?? 0);
  });

  it('emits FAILED with the error and cause', async () => {
    const arn = await createMachine('events-fail', {
      StartAt: 'Boom',
      States: { Boom: { Type: 'Fail', Error: 'Boom', Cause: 'on purpose' } },
    });
    const execution = await run(arn);
    await settle();
    expect(eventsFor(execution.executionArn ?? '').at(-1)?.detail).toMatchObject({
      status: 'FAILED',
      error: 'Boom',
      cause: 'on purpose',
    });
  });

  it('emits TIMED_OUT when the machine-level TimeoutSeconds passes', async () => {
    const arn = await createMachine('events-timeout', {
      TimeoutSeconds: 1,
      StartAt: 'Wait',
      States: { Wait: { Type: 'Wait', Seconds: 5, End: true } },
    });
    const execution = await run(arn);
    expect(execution.status).toBe('TIMED_OUT');
    await settle();
    expect(eventsFor(execution.executionArn ?? '').at(-1)?.detail.status).toBe('TIMED_OUT');
  });

  it('emits ABORTED when StopExecution stops it', async () => {
    const arn = await createMachine('events-abort', {
      StartAt: 'Wait',
      States: { Wait: { Type: 'Wait', Seconds: 30, End: true } },
    });
    const { executionArn = '' } = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn }));
    await sfn.send(new StopExecutionCommand({ executionArn, error: 'Cancelled', cause: 'by the user' }));
    const execution = await waitForEnd(executionArn);
    expect(execution).toMatchObject({ status: 'ABORTED', error: 'Cancelled', cause: 'by the user' });
    await settle();
    expect(eventsFor(executionArn).map((e) => e.detail.status)).toEqual(['RUNNING', 'ABORTED']);
    const { executions = [] } = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: arn, statusFilter: 'ABORTED' }),
    );
    expect(executions.map((e) => e.executionArn)).toEqual([executionArn]);
  });
});

describe('API errors', () => {
  it('refuses a reused execution name with ExecutionAlreadyExists', async () => {
    const arn = await createMachine('names', { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } });
    await run(arn, {}, 'once');
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'once' })),
    ).rejects.toMatchObject({
      name: 'ExecutionAlreadyExists',
    });
  });

  it('names a missing state machine StateMachineDoesNotExist', async () => {
    await expect(
      sfn.send(
        new StartExecutionCommand({
          stateMachineArn: `arn:aws:states:${region}:${accountId}:stateMachine:nope`,
        }),
      ),
    ).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });
  });

  it('refuses malformed ASL with InvalidDefinition', async () => {
    await expect(
      sfn.send(
        new CreateStateMachineCommand({ name: 'bad', roleArn, definition: '{"StartAt":"X","States":{}}' }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidDefinition' });
    await expect(
      sfn.send(new CreateStateMachineCommand({ name: 'bad', roleArn, definition: 'not json' })),
    ).rejects.toMatchObject({ name: 'InvalidDefinition' });
  });

  it('refuses an unknown task token with InvalidToken or TaskDoesNotExist', async () => {
    await expect(
      sfn.send(new SendTaskSuccessCommand({ taskToken: 'made-up', output: '{}' })),
    ).rejects.toMatchObject({
      name: 'InvalidToken',
    });
    await expect(
      sfn.send(new SendTaskSuccessCommand({ taskToken: `AQ${'x'.repeat(64)}`, output: '{}' })),
    ).rejects.toMatchObject({ name: 'TaskDoesNotExist' });
  });

  it('answers a malformed body with SerializationException and keeps serving', async () => {
    const endpoint = await sfn.config.endpoint?.();
    const url = `${endpoint?.protocol}//${endpoint?.hostname}:${endpoint?.port}/`;
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'AWSStepFunctions.StartExecution',
      },
      body: '{not json',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ __type: 'SerializationException' });
    const unknown = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'AWSStepFunctions.CreateActivity',
      },
      body: '{}',
    });
    expect(await unknown.json()).toMatchObject({ __type: 'UnknownOperationException' });
    await expect(
      sfn.send(new ListExecutionsCommand({ stateMachineArn: 'not-an-arn' })),
    ).rejects.toMatchObject({
      name: 'InvalidArn',
    });
  });
});
