// With a dataDir, the local Step Functions endpoint keeps state machines and execution records across a
// restart, and an execution that was running when it stopped resumes where it was (task-journal.ts), as
// executions outlive anything on AWS: a Task that answered is not run again, a Task waiting for its task
// token waits for the same token. Only an execution whose state machine is gone ends FAILED
// (Local.ExecutionLost).
import { appendFileSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateStateMachineCommand,
  DeleteStateMachineCommand,
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ExecutionStatusChangeEvent,
  type StepFunctionsLocalOptions,
  startStepFunctionsLocal,
} from '../../local/stepfunctions/server';
import { RETRY_DELAYS_MS } from '../../local/stepfunctions/status-events';

const region = 'us-east-1';
const accountId = '000000000000';
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'stepwise-sfn-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/** The endpoint on a data folder (the file's own by default), with an SDK client; the rest as given. */
async function startServer(
  options: Partial<
    Pick<
      StepFunctionsLocalOptions,
      'invokeLambda' | 'onStatusChange' | 'retainedEndedExecutions' | 'stopGraceMs'
    >
  > & {
    folder?: string;
  } = {},
) {
  const { folder = dataDir, ...rest } = options;
  const server = await startStepFunctionsLocal({
    port: 0,
    region,
    accountId,
    dataDir: folder,
    endpoints: { sqs: 'http://127.0.0.1:1', sns: 'http://127.0.0.1:1', dynamodb: 'http://127.0.0.1:1' },
    invokeLambda: async () => null,
    ...rest,
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

const start = (events: ExecutionStatusChangeEvent[] = []) =>
  startServer({
    onStatusChange: (event) => {
      events.push(event);
    },
  });

// A Task answered before the restart is not run again; one waiting for its token waits for the same token.
const waitingMachine = (retryIntervalSeconds: number) =>
  JSON.stringify({
    StartAt: 'Before',
    States: {
      Before: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { FunctionName: 'before', Payload: { 'n.$': '$.n' } },
        ResultSelector: { 'value.$': '$.Payload' },
        ResultPath: '$.before',
        Next: 'Worker',
      },
      Worker: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: { FunctionName: 'worker', Payload: { 'token.$': '$$.Task.Token' } },
        HeartbeatSeconds: 2,
        TimeoutSeconds: 60,
        Retry: [
          { ErrorEquals: ['States.HeartbeatTimeout'], IntervalSeconds: retryIntervalSeconds, MaxAttempts: 2 },
        ],
        ResultPath: '$.worker',
        End: true,
      },
    },
  });
const WAITING_MACHINE = waitingMachine(1);

const startWaiting = (invocations: { name: string; payload: { token?: string } }[]) =>
  startServer({
    invokeLambda: async (name, payload) => {
      invocations.push({ name, payload: payload as { token?: string } });
      return name === 'before' ? 'computed once' : null;
    },
    onStatusChange: () => undefined,
  });

const tokenOf = async (invocations: { name: string; payload: { token?: string } }[], count: number) => {
  await expect
    .poll(() => invocations.filter((i) => i.name === 'worker').length, { timeout: 10_000 })
    .toBe(count);
  return invocations.filter((i) => i.name === 'worker')[count - 1]?.payload.token ?? '';
};

it('keeps state machines across a restart and resumes their executions where they were', async () => {
  const firstCalls: { name: string; payload: { token?: string } }[] = [];
  const first = await startWaiting(firstCalls);
  const { stateMachineArn } = await first.sfn.send(
    new CreateStateMachineCommand({
      name: 'durable',
      roleArn: `arn:aws:iam::${accountId}:role/x`,
      definition: WAITING_MACHINE,
    }),
  );
  const { executionArn } = await first.sfn.send(
    new StartExecutionCommand({ stateMachineArn, name: 'interrupted', input: '{"n":1}' }),
  );
  const token = await tokenOf(firstCalls, 1);
  await first.close();

  const secondCalls: typeof firstCalls = [];
  const second = await startWaiting(secondCalls);
  try {
    const machine = await second.sfn.send(new DescribeStateMachineCommand({ stateMachineArn }));
    expect(machine.definition).toBe(WAITING_MACHINE);
    expect((await second.sfn.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('RUNNING');
    // The worker holding the token from before the restart heartbeats and completes it.
    await second.sfn.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    await second.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"done":true}' }));
    await expect
      .poll(async () => (await second.sfn.send(new DescribeExecutionCommand({ executionArn }))).status)
      .toBe('SUCCEEDED');
    const { output } = await second.sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(JSON.parse(output ?? '{}')).toEqual({
      n: 1,
      before: { value: 'computed once' },
      worker: { done: true },
    });
    // Neither the finished Task nor the waiting one ran again (no second call, no second token).
    expect(secondCalls).toEqual([]);
    await expect(
      second.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })),
    ).rejects.toBeInstanceOf(TaskTimedOut);
  } finally {
    await second.close();
  }
});

it('a token whose worker is gone after the restart times out on its heartbeat and the Retry asks again', async () => {
  const firstCalls: { name: string; payload: { token?: string } }[] = [];
  const first = await startWaiting(firstCalls);
  const { stateMachineArn } = await first.sfn.send(
    new CreateStateMachineCommand({
      name: 'durable-retry',
      roleArn: `arn:aws:iam::${accountId}:role/x`,
      definition: WAITING_MACHINE,
    }),
  );
  const { executionArn } = await first.sfn.send(
    new StartExecutionCommand({ stateMachineArn, input: '{"n":2}' }),
  );
  const lost = await tokenOf(firstCalls, 1);
  await first.close();

  const secondCalls: typeof firstCalls = [];
  const second = await startWaiting(secondCalls);
  try {
    // Nobody heartbeats the old token: after HeartbeatSeconds the Retry sends a fresh one.
    const fresh = await tokenOf(secondCalls, 1);
    expect(fresh).not.toBe(lost);
    expect(secondCalls.filter((call) => call.name === 'before')).toEqual([]);
    await expect(
      second.sfn.send(new SendTaskSuccessCommand({ taskToken: lost, output: '{}' })),
    ).rejects.toBeInstanceOf(TaskTimedOut);
    await second.sfn.send(new SendTaskSuccessCommand({ taskToken: fresh, output: '{"done":2}' }));
    await expect
      .poll(async () => (await second.sfn.send(new DescribeExecutionCommand({ executionArn }))).status)
      .toBe('SUCCEEDED');
  } finally {
    await second.close();
  }
});

it('answers the token it was waiting for while the resumed execution is still replaying up to it', async () => {
  const firstCalls: { name: string; payload: { token?: string } }[] = [];
  const first = await startWaiting(firstCalls);
  const { stateMachineArn } = await first.sfn.send(
    new CreateStateMachineCommand({
      name: 'durable-slow-replay',
      roleArn: `arn:aws:iam::${accountId}:role/x`,
      definition: waitingMachine(3),
    }),
  );
  const { executionArn } = await first.sfn.send(
    new StartExecutionCommand({ stateMachineArn, input: '{"n":3}' }),
  );
  await tokenOf(firstCalls, 1); // never heartbeated: times out, and 3 s later the Retry asks again
  const second = await tokenOf(firstCalls, 2);
  await first.close();

  const again: typeof firstCalls = [];
  const resumed = await startWaiting(again);
  try {
    // The replay waits out the 3 s retry interval before it reaches the Task; the token works at once.
    await resumed.sfn.send(new SendTaskHeartbeatCommand({ taskToken: second }));
    await resumed.sfn.send(new SendTaskSuccessCommand({ taskToken: second, output: '{"done":3}' }));
    await expect
      .poll(async () => (await resumed.sfn.send(new DescribeExecutionCommand({ executionArn }))).status, {
        timeout: 10_000,
      })
      .toBe('SUCCEEDED');
    expect(again).toEqual([]);
  } finally {
    await resumed.close();
  }
});

it('ends an execution FAILED with Local.ExecutionLost when its state machine is gone after the restart', async () => {
  const events: ExecutionStatusChangeEvent[] = [];
  const first = await start();
  const { stateMachineArn } = await first.sfn.send(
    new CreateStateMachineCommand({
      name: 'deleted',
      roleArn: `arn:aws:iam::${accountId}:role/x`,
      definition: JSON.stringify({
        StartAt: 'Wait',
        States: { Wait: { Type: 'Wait', Seconds: 60, End: true } },
      }),
    }),
  );
  const { executionArn } = await first.sfn.send(
    new StartExecutionCommand({ stateMachineArn, name: 'orphan' }),
  );
  await first.sfn.send(new DeleteStateMachineCommand({ stateMachineArn }));
  await first.close();

  const second = await start(events);
  try {
    expect(await second.sfn.send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({
      status: 'FAILED',
      error: 'Local.ExecutionLost',
    });
    await expect
      .poll(() => events.map((e) => [e.detail.executionArn, e.detail.status]))
      .toEqual([[executionArn, 'FAILED']]);
  } finally {
    await second.close();
  }
});

// A stop (Ctrl-C, SIGTERM) lets a Lambda invocation under way end and keeps its answer, rather than cut it
// off for the next start to run again: a step runner call whose HTTP request had gone out ran it twice,
// however the step's retry policy said it must run once. A Task the execution reaches meanwhile waits for
// the next start.
describe('a stop while a Lambda invocation is under way', () => {
  const machine = JSON.stringify({
    StartAt: 'Slow',
    States: {
      Slow: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { FunctionName: 'slow', Payload: {} },
        ResultSelector: { 'value.$': '$.Payload' },
        ResultPath: '$.slow',
        Next: 'After',
      },
      After: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { FunctionName: 'after', Payload: {} },
        ResultSelector: { 'value.$': '$.Payload' },
        ResultPath: '$.after',
        End: true,
      },
    },
  });

  it('lets it end and keeps its answer: the next start does not run it again', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'stepwise-sfn-drain-'));
    try {
      const firstCalls: string[] = [];
      const first = await startCountingIn(folder, firstCalls, 500);
      const { stateMachineArn } = await first.sfn.send(
        new CreateStateMachineCommand({
          name: 'drained',
          roleArn: `arn:aws:iam::${accountId}:role/x`,
          definition: machine,
        }),
      );
      const { executionArn } = await first.sfn.send(
        new StartExecutionCommand({ stateMachineArn, input: '{}' }),
      );
      await expect.poll(() => firstCalls).toEqual(['slow']);
      await first.close();
      // The Task the execution reached during the stop did not start.
      expect(firstCalls).toEqual(['slow']);

      const secondCalls: string[] = [];
      const second = await startCountingIn(folder, secondCalls, 500);
      try {
        await expect
          .poll(async () => (await second.sfn.send(new DescribeExecutionCommand({ executionArn }))).status)
          .toBe('SUCCEEDED');
        expect(secondCalls).toEqual(['after']);
        const { output } = await second.sfn.send(new DescribeExecutionCommand({ executionArn }));
        expect(JSON.parse(output ?? '{}')).toEqual({
          slow: { value: 'slow done' },
          after: { value: 'after done' },
        });
      } finally {
        await second.close();
      }
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('waits for it no longer than stopGraceMs: one still running then runs again at the next start', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'stepwise-sfn-drain-'));
    try {
      const firstCalls: string[] = [];
      const first = await startCountingIn(folder, firstCalls, 60_000, 200);
      const { stateMachineArn } = await first.sfn.send(
        new CreateStateMachineCommand({
          name: 'cut-off',
          roleArn: `arn:aws:iam::${accountId}:role/x`,
          definition: machine,
        }),
      );
      const { executionArn } = await first.sfn.send(
        new StartExecutionCommand({ stateMachineArn, input: '{}' }),
      );
      await expect.poll(() => firstCalls).toEqual(['slow']);
      const stopping = Date.now();
      await first.close();
      expect(Date.now() - stopping).toBeLessThan(5_000);

      const secondCalls: string[] = [];
      const second = await startCountingIn(folder, secondCalls, 10);
      try {
        await expect
          .poll(async () => (await second.sfn.send(new DescribeExecutionCommand({ executionArn }))).status)
          .toBe('SUCCEEDED');
        expect(secondCalls).toEqual(['slow', 'after']);
      } finally {
        await second.close();
      }
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  function startCountingIn(folder: string, calls: string[], slowMs: number, stopGraceMs?: number) {
    return startServer({
      folder,
      invokeLambda: async (name) => {
        calls.push(name);
        if (name === 'slow') await new Promise((resolve) => setTimeout(resolve, slowMs));
        return `${name} done`;
      },
      onStatusChange: () => undefined,
      ...(stopGraceMs !== undefined && { stopGraceMs }),
    });
  }
});

// A kill -9 right after an answer must not lose what the answer acknowledged: a task whose StartExecution
// answered but whose execution never reached the disk ended ExecutionLost ("never started") a minute later.
it('has a created state machine and a started execution on disk before it answers', async () => {
  const stored = (file: string) => readFileSync(join(dataDir, 'stepfunctions', file), 'utf8');
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
      expect(stored('state-machines.json')).toContain(stateMachineArn);
      const { executionArn } = await server.sfn.send(new StartExecutionCommand({ stateMachineArn }));
      expect(stored('executions.log')).toContain(executionArn);
    }
  } finally {
    await server.close();
  }
});

// The log keeps the ended executions the retention allows, oldest-ended dropped first, across a restart;
// a line torn by a kill mid-write is skipped, and what was appended before it is kept.
it('keeps the newest ended executions up to the retention, across a restart and a torn last line', async () => {
  const folder = await mkdtemp(join(tmpdir(), 'stepwise-sfn-retention-'));
  const open = async () => {
    const { sfn, close } = await startServer({
      folder,
      retainedEndedExecutions: 3,
      invokeLambda: async (_name, payload) => payload,
    });
    const status = (executionArn: string) =>
      sfn.send(new DescribeExecutionCommand({ executionArn })).then(
        (execution) => execution.status,
        (error: Error) => (error.name === 'ExecutionDoesNotExist' ? 'gone' : error.name),
      );
    return { sfn, status, close };
  };
  const first = await open();
  const { stateMachineArn } = await first.sfn.send(
    new CreateStateMachineCommand({
      name: 'retained',
      roleArn: `arn:aws:iam::${accountId}:role/x`,
      definition: JSON.stringify({
        StartAt: 'Echo',
        States: {
          Echo: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            Parameters: { FunctionName: 'echo', 'Payload.$': '$' },
            End: true,
          },
        },
      }),
    }),
  );
  const arns: string[] = [];
  for (let n = 0; n < 5; n++) {
    const { executionArn = '' } = await first.sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: `run-${n}`, input: `{"n":${n}}` }),
    );
    arns.push(executionArn);
    await expect.poll(() => first.status(executionArn)).toBe('SUCCEEDED');
  }
  const expected = ['gone', 'gone', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED'];
  expect(await Promise.all(arns.map(first.status))).toEqual(expected);
  await first.close();
  appendFileSync(join(folder, 'stepfunctions', 'executions.log'), '{"arn":"torn-by-a-ki');

  const second = await open();
  try {
    expect(await Promise.all(arns.map(second.status))).toEqual(expected);
    const { events = [] } = await second.sfn.send(new GetExecutionHistoryCommand({ executionArn: arns[4] }));
    expect(events.map((event) => event.type)).toContain('ExecutionSucceeded');
  } finally {
    await second.close();
    await rm(folder, { recursive: true, force: true });
  }
});

// EventBridge delivers an execution's status change whatever happens to its consumer meanwhile: an ended
// execution whose event its listener had not taken (it failed, or the stack stopped first) is delivered
// again, by a retry while the stack runs and at the next start if it stops first; once taken, never again.
describe('status events of ended executions', () => {
  /** Starts an execution that ends at once (one Pass state); answers its ARN. */
  const runPassMachine = async (sfn: SFNClient) => {
    const { stateMachineArn } = await sfn.send(
      new CreateStateMachineCommand({
        name: 'ends-at-once',
        roleArn: `arn:aws:iam::${accountId}:role/x`,
        definition: JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Pass', End: true } } }),
      }),
    );
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn }));
    return executionArn;
  };
  const open = (folder: string, listener: (event: ExecutionStatusChangeEvent) => void) =>
    startServer({ folder, onStatusChange: listener });

  const ends = (events: ExecutionStatusChangeEvent[]) =>
    events.filter((e) => e.detail.status !== 'RUNNING').map((e) => [e.detail.executionArn, e.detail.status]);

  it('delivers the event again at the next start when its listener failed until the stack stopped, then never again', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'stepwise-sfn-events-'));
    try {
      let failures = 0;
      const first = await open(folder, (event) => {
        if (event.detail.status === 'RUNNING') return;
        failures++;
        throw new Error('the consumer is down');
      });
      const executionArn = await runPassMachine(first.sfn);
      await expect.poll(() => failures).toBe(1);
      // Closed while the retry waits: the stop does not wait for it.
      const closing = Date.now();
      await first.close();
      expect(Date.now() - closing).toBeLessThan(RETRY_DELAYS_MS[0]);

      const events: ExecutionStatusChangeEvent[] = [];
      const second = await open(folder, (event) => {
        events.push(event);
      });
      await expect.poll(() => ends(events)).toEqual([[executionArn, 'SUCCEEDED']]);
      await second.close();

      const after: ExecutionStatusChangeEvent[] = [];
      const third = await open(folder, (event) => {
        after.push(event);
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      await third.close();
      expect(after).toEqual([]);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('tries a failed delivery again while the stack runs', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'stepwise-sfn-events-'));
    const tries: ExecutionStatusChangeEvent[] = [];
    const server = await open(folder, (event) => {
      if (event.detail.status === 'RUNNING') return;
      tries.push(event);
      if (tries.length === 1) throw new Error('a passing failure');
    });
    try {
      const executionArn = await runPassMachine(server.sfn);
      await expect
        .poll(() => ends(tries), { timeout: RETRY_DELAYS_MS[0] + 4_000 })
        .toEqual([
          [executionArn, 'SUCCEEDED'],
          [executionArn, 'SUCCEEDED'],
        ]);
    } finally {
      await server.close();
      await rm(folder, { recursive: true, force: true });
    }
  });
});
