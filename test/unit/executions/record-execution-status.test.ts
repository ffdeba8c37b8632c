// The task-events handler's settle from a status event as EventBridge delivers it on AWS: an output over
// EventBridge's 248 KiB is left out of the event (`output: null`, `outputDetails.included: false`), which
// the local stack's events never do, so the task's output is read from the execution instead.
import { beforeEach, describe, expect, it } from 'vitest';
import {
  type ExecutionStatusChangeEvent,
  ExecutionStatusChangeEventSchema,
} from '../../../functions/shared/executions/execution-status-event';
import { recordExecutionStatus } from '../../../functions/shared/executions/record-execution-status';
import type { Executions } from '../../../functions/shared/executions/step-functions-executions';
import { InMemoryTaskStore } from '../tasks/in-memory-task-store';
import { RUNNING_TASK } from '../tasks/task-fixtures';

const OUTPUT = JSON.stringify({ steps: { only: { status: 'SUCCEEDED', output: { answer: 42 } } } });

/** Step Functions' DescribeExecution, answering one execution and counting the calls. */
function describing(output: string | undefined) {
  const calls: string[] = [];
  const executions: Pick<Executions, 'describe'> = {
    describe: async (executionArn) => {
      calls.push(executionArn);
      return { status: 'SUCCEEDED', output };
    },
  };
  return { executions, calls };
}

/** A SUCCEEDED event of RUNNING_TASK's execution, with the fields EventBridge sets on AWS. */
function succeeded(detail: Record<string, unknown>): ExecutionStatusChangeEvent {
  return ExecutionStatusChangeEventSchema.parse({
    version: '0',
    id: 'f2b5c0de-0000-4000-8000-000000000001',
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: '123456789012',
    time: '2026-01-01T00:01:00Z',
    region: 'us-east-1',
    resources: [RUNNING_TASK.executionArn],
    detail: {
      executionArn: RUNNING_TASK.executionArn,
      stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:w',
      name: RUNNING_TASK.taskId,
      status: 'SUCCEEDED',
      startDate: Date.parse(RUNNING_TASK.createdAt),
      stopDate: Date.parse('2026-01-01T00:01:00Z'),
      input: '{}',
      inputDetails: { included: true },
      error: null,
      cause: null,
      redriveCount: 0,
      ...detail,
    },
  });
}

describe('recordExecutionStatus', () => {
  let tasks: InMemoryTaskStore;
  beforeEach(async () => {
    tasks = new InMemoryTaskStore();
    await tasks.create(RUNNING_TASK);
  });

  it('reads the output from the execution when the event left it out for its size', async () => {
    const { executions, calls } = describing(OUTPUT);
    const event = succeeded({ output: null, outputDetails: { included: false } });
    expect((await recordExecutionStatus(event, { tasks, executions })).changed).toBe(true);
    expect(calls).toEqual([RUNNING_TASK.executionArn]);
    expect((await tasks.getAnyOrg(RUNNING_TASK.taskId))?.output).toEqual({
      only: { status: 'SUCCEEDED', output: { answer: 42 } },
    });
  });

  it("takes the event's output when it carries one, without asking Step Functions", async () => {
    const { executions, calls } = describing('{"steps": {}}');
    const event = succeeded({ output: OUTPUT, outputDetails: { included: true } });
    await recordExecutionStatus(event, { tasks, executions });
    expect(calls).toEqual([]);
    expect((await tasks.getAnyOrg(RUNNING_TASK.taskId))?.output).toEqual({
      only: { status: 'SUCCEEDED', output: { answer: 42 } },
    });
  });
});
