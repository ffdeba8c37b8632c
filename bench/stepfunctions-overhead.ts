// Step Functions local overhead per state transition: a machine of 3 Task states whose Lambda returns at
// once, run sequentially; each execution's wall time (StartExecution to its SUCCEEDED status event)
// divided by its 3 transitions is what the emulator itself costs per transition.
import { CreateStateMachineCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { LOCAL_AWS } from '../local/settings';
import { startStepFunctionsLocal } from '../local/stepfunctions/server';
import { ms, summarize } from './stats';

const EXECUTIONS = 200;
const TASKS = 3;

const task = (next?: string) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke',
  Parameters: { FunctionName: 'noop', 'Payload.$': '$' },
  OutputPath: '$.Payload',
  ...(next ? { Next: next } : { End: true }),
});

export async function benchStepFunctionsOverhead(): Promise<void> {
  const finished = new Map<string, () => void>();
  const server = await startStepFunctionsLocal({
    region: LOCAL_AWS.region,
    accountId: LOCAL_AWS.accountId,
    endpoints: { sqs: 'http://127.0.0.1:1', sns: 'http://127.0.0.1:1', dynamodb: 'http://127.0.0.1:1' },
    invokeLambda: async (_name, payload) => payload,
    onStatusChange: (event) => {
      if (event.detail.status !== 'RUNNING') finished.get(event.detail.executionArn)?.();
    },
  });
  const sfn = new SFNClient({
    region: LOCAL_AWS.region,
    credentials: LOCAL_AWS.credentials,
    endpoint: server.url,
  });
  try {
    const { stateMachineArn } = await sfn.send(
      new CreateStateMachineCommand({
        name: 'bench-three-tasks',
        roleArn: `arn:aws:iam::${LOCAL_AWS.accountId}:role/bench`,
        definition: JSON.stringify({
          StartAt: 'One',
          States: { One: task('Two'), Two: task('Three'), Three: task() },
        }),
      }),
    );
    const perTransition: number[] = [];
    for (let run = 0; run < EXECUTIONS; run++) {
      const name = `run-${run}`;
      const executionArn = `${stateMachineArn?.replace(':stateMachine:', ':execution:')}:${name}`;
      const done = new Promise<void>((resolve) => finished.set(executionArn, resolve));
      const started = performance.now();
      await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: '{"n":1}' }));
      await done;
      perTransition.push((performance.now() - started) / TASKS);
    }
    const { n, p50, p99, max } = summarize(perTransition.slice(10)); // first runs warm the JIT
    console.log(
      `step functions local, 3-Task machine: per transition p50 ${ms(p50)}, p99 ${ms(p99)}, max ${ms(max)} (n=${n})`,
    );
  } finally {
    sfn.destroy();
    await server.close();
  }
}
