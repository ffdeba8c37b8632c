// The Step Functions calls a task needs, as a small interface so the task service is unit-tested with a
// fake; `stepFunctionsExecutions` is the real one over the SDK client.
import {
  DescribeExecutionCommand,
  type SfnClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '../clients/sfn';

export interface ExecutionDescription {
  readonly status: string;
  readonly startDate?: Date;
  readonly stopDate?: Date;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
}

export interface Executions {
  /**
   * Starts an execution. Executions are named after their task, so a start repeated for an execution that
   * already exists (it began, it ended) changes nothing and is not an error.
   */
  start(stateMachineArn: string, name: string, input: string): Promise<void>;
  /** Stops a running execution; one that ended or never existed is left as it is. */
  stop(executionArn: string, error: string, cause: string): Promise<void>;
  /** The execution as Step Functions reports it; undefined when it does not exist. */
  describe(executionArn: string): Promise<ExecutionDescription | undefined>;
}

/** Step Functions' answers, told apart by name (the SDK's error classes are not loaded here). */
const errorName = (error: unknown) => (error as { name?: unknown } | undefined)?.name;

export function stepFunctionsExecutions(sfn: Pick<SfnClient, 'send'>): Executions {
  return {
    async start(stateMachineArn, name, input) {
      try {
        await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input }));
      } catch (error) {
        if (errorName(error) !== 'ExecutionAlreadyExists') throw error;
      }
    },
    async stop(executionArn, error, cause) {
      try {
        await sfn.send(new StopExecutionCommand({ executionArn, error, cause }));
      } catch (failure) {
        if (errorName(failure) !== 'ExecutionDoesNotExist') throw failure;
      }
    },
    async describe(executionArn) {
      try {
        const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
        return {
          status: execution.status ?? 'RUNNING',
          startDate: execution.startDate,
          stopDate: execution.stopDate,
          output: execution.output,
          error: execution.error,
          cause: execution.cause,
        };
      } catch (error) {
        if (errorName(error) === 'ExecutionDoesNotExist') return undefined;
        throw error;
      }
    },
  };
}
