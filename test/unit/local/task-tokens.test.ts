// The local Step Functions keeps a closed task token only while a late call with it needs the answer
// TaskTimedOut: a token no task waited on is not kept, and an execution the retention drops takes its
// tokens with it. Before, every Task state run added its token to a set that never shrank, so a stack left
// running under load grew by about a kilobyte per task, whatever STEPWISE_RETAINED_EXECUTIONS said.
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { startStepFunctionsLocal } from '../../../local/stepfunctions/server';
import { TaskTokens } from '../../../local/stepfunctions/task-tokens';

const errorName = (call: () => unknown) => {
  try {
    call();
    return 'none';
  } catch (error) {
    return (error as Error).name;
  }
};

describe('TaskTokens', () => {
  it('keeps nothing for a token no task waited on', () => {
    const tokens = new TaskTokens();
    for (let n = 0; n < 100; n++) tokens.expire(tokens.mint());
    expect(tokens.size).toEqual({ waiting: 0, finished: 0 });
  });

  it('answers TaskTimedOut for a token whose wait ended, until the token is forgotten', async () => {
    const tokens = new TaskTokens();
    const token = tokens.mint();
    const waited = tokens.wait(token);
    tokens.succeed(token, { ok: true });
    await expect(waited).resolves.toEqual({ ok: true });
    expect(errorName(() => tokens.heartbeat(token))).toBe('TaskTimedOut');
    expect(tokens.size).toEqual({ waiting: 0, finished: 1 });
    tokens.forget([token]);
    expect(errorName(() => tokens.heartbeat(token))).toBe('TaskDoesNotExist');
    expect(tokens.size).toEqual({ waiting: 0, finished: 0 });
  });

  it('keeps a token a restart found completed in its journal', () => {
    const tokens = new TaskTokens();
    const token = tokens.mint();
    tokens.retire(token);
    expect(errorName(() => tokens.heartbeat(token))).toBe('TaskTimedOut');
  });
});

it('forgets the task tokens of the executions the retention drops', async () => {
  const handedOut: string[] = [];
  const server = await startStepFunctionsLocal({
    port: 0,
    region: 'us-east-1',
    accountId: '000000000000',
    retainedEndedExecutions: 1,
    endpoints: { sqs: 'http://127.0.0.1:1', sns: 'http://127.0.0.1:1', dynamodb: 'http://127.0.0.1:1' },
    invokeLambda: async (_name, payload) => {
      const token = (payload as { token?: string }).token;
      if (token) handedOut.push(token);
      return payload;
    },
  });
  const sfn = new SFNClient({
    region: 'us-east-1',
    endpoint: server.url,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const heartbeat = (taskToken: string) =>
    sfn.send(new SendTaskHeartbeatCommand({ taskToken })).then(
      () => 'open',
      (error: Error) => error.name,
    );
  try {
    const { stateMachineArn } = await sfn.send(
      new CreateStateMachineCommand({
        name: 'tokens',
        roleArn: 'arn:aws:iam::000000000000:role/x',
        definition: JSON.stringify({
          StartAt: 'Plain',
          States: {
            Plain: {
              Type: 'Task',
              Resource: 'arn:aws:states:::lambda:invoke',
              Parameters: { FunctionName: 'plain', Payload: {} },
              ResultPath: null,
              Next: 'Wait',
            },
            Wait: {
              Type: 'Task',
              Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
              Parameters: { FunctionName: 'worker', Payload: { 'token.$': '$$.Task.Token' } },
              End: true,
            },
          },
        }),
      }),
    );
    const run = async (name: string) => {
      const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, name }));
      await expect.poll(() => handedOut.length, { timeout: 10_000 }).toBe(name === 'first' ? 1 : 2);
      const token = handedOut.at(-1) as string;
      await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }));
      await expect
        .poll(() => sfn.send(new DescribeExecutionCommand({ executionArn })).then((e) => e.status), {
          timeout: 10_000,
        })
        .toBe('SUCCEEDED');
      return token;
    };
    const first = await run('first');
    expect(await heartbeat(first)).toBe('TaskTimedOut');
    const second = await run('second');
    // The first execution is gone (retention 1): so is its token; the second's still answers as AWS does.
    expect(await heartbeat(first)).toBe('TaskDoesNotExist');
    expect(await heartbeat(second)).toBe('TaskTimedOut');
  } finally {
    sfn.destroy();
    await server.close();
  }
});
