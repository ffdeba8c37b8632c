// Runs ASL on the local Step Functions endpoint, for suites that test state machines without the rest of
// the stack: the endpoint starts on a free port for the calling suite (beforeAll to afterAll), its Lambda
// tasks are answered in-process by `invokeLambda`, and each definition runs to its end through the real
// SFNClient.
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll } from 'vitest';
import { startStepFunctionsLocal } from '../../local/stepfunctions/server';

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT_ID = '000000000000';
const roleArn = `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/local`;

export interface LocalStateMachines {
  /** Creates a state machine named `name` and runs it on `input`; resolves when it ends or after `timeoutMs`. */
  execute(
    name: string,
    definition: object,
    input: unknown,
    timeoutMs?: number,
  ): Promise<DescribeExecutionCommandOutput>;
  /** The endpoint's client, for calls a test makes itself (SendTaskSuccess, ...); from beforeAll on. */
  client(): SFNClient;
}

export function localStateMachines(
  invokeLambda: (functionName: string, payload: unknown) => Promise<unknown>,
): LocalStateMachines {
  let sfn: SFNClient | undefined;
  let stop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const stepfunctions = await startStepFunctionsLocal({
      port: 0,
      region: LOCAL_REGION,
      accountId: LOCAL_ACCOUNT_ID,
      // Only Lambda tasks run here; any other integration fails to connect.
      endpoints: { sqs: 'http://127.0.0.1:1', sns: 'http://127.0.0.1:1', dynamodb: 'http://127.0.0.1:1' },
      invokeLambda,
    });
    sfn = new SFNClient({
      region: LOCAL_REGION,
      endpoint: stepfunctions.url,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    stop = () => stepfunctions.close();
  });
  afterAll(async () => {
    sfn?.destroy();
    await stop?.();
  });
  return {
    client() {
      if (!sfn) throw new Error('localStateMachines: the endpoint starts in beforeAll');
      return sfn;
    },
    async execute(name, definition, input, timeoutMs = 20_000) {
      const client = sfn;
      if (!client) throw new Error('localStateMachines: the endpoint starts in beforeAll');
      const { stateMachineArn } = await client.send(
        new CreateStateMachineCommand({ name, roleArn, definition: JSON.stringify(definition) }),
      );
      const { executionArn } = await client.send(
        new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input) }),
      );
      const until = Date.now() + timeoutMs;
      for (;;) {
        const execution = await client.send(new DescribeExecutionCommand({ executionArn }));
        if (execution.status !== 'RUNNING' || Date.now() > until) return execution;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
  };
}
