// The definition adaptations that make aws-local-stepfunctions behave like AWS, and the pieces of the
// local endpoint that can be checked without running an execution.
import { describe, expect, it } from 'vitest';
import {
  adaptForInterpreter,
  DefinitionCache,
  UNLIMITED_TASK_TIMEOUT_SECONDS,
} from '../../local/stepfunctions/definition';
import { lambdaTaskError, parseResource } from '../../local/stepfunctions/integrations';
import { statusChangeEvent } from '../../local/stepfunctions/status-events';

const lambdaTask = (extra: object = {}) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke',
  Parameters: { FunctionName: 'f' },
  End: true,
  ...extra,
});

describe('adaptForInterpreter', () => {
  it("lifts the interpreter's 60 s default task timeout to the largest timer, everywhere in the machine", () => {
    const adapted = adaptForInterpreter({
      StartAt: 'Top',
      States: {
        Top: {
          Type: 'Parallel',
          Branches: [{ StartAt: 'Inner', States: { Inner: lambdaTask() } }],
          Next: 'Own',
        },
        Own: lambdaTask({ TimeoutSeconds: 5 }),
      },
    });
    const branches = adapted.States.Top?.Branches as {
      States: Record<string, { TimeoutSeconds?: number }>;
    }[];
    const branch = branches[0];
    expect(branch?.States.Inner?.TimeoutSeconds).toBe(UNLIMITED_TASK_TIMEOUT_SECONDS);
    expect(UNLIMITED_TASK_TIMEOUT_SECONDS * 1000).toBeLessThanOrEqual(2 ** 31 - 1);
    expect(adapted.States.Own?.TimeoutSeconds).toBe(5);
  });

  it('lets States.Timeout match a heartbeat timeout on tasks with HeartbeatSeconds', () => {
    const adapted = adaptForInterpreter({
      StartAt: 'Agent',
      States: {
        Agent: lambdaTask({
          HeartbeatSeconds: 10,
          Retry: [{ ErrorEquals: ['States.Timeout'] }],
          Catch: [{ ErrorEquals: ['Other'], Next: 'X' }],
        }),
        X: { Type: 'Pass', End: true },
      },
    });
    expect(adapted.States.Agent?.Retry).toEqual([
      { ErrorEquals: ['States.Timeout', 'States.HeartbeatTimeout'] },
    ]);
    expect(adapted.States.Agent?.Catch).toEqual([{ ErrorEquals: ['Other'], Next: 'X' }]);
  });
});

describe('DefinitionCache', () => {
  it('compiles each definition once', () => {
    const cache = new DefinitionCache();
    const text = JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } });
    expect(cache.compile(text)).toBe(cache.compile(text));
  });

  it('refuses HeartbeatSeconds not below TimeoutSeconds and JSONata', () => {
    const cache = new DefinitionCache();
    const heartbeat = {
      StartAt: 'T',
      States: { T: lambdaTask({ HeartbeatSeconds: 10, TimeoutSeconds: 10 }) },
    };
    expect(() => cache.compile(JSON.stringify(heartbeat))).toThrow(
      expect.objectContaining({ name: 'InvalidDefinition' }),
    );
    const jsonata = { QueryLanguage: 'JSONata', StartAt: 'P', States: { P: { Type: 'Pass', End: true } } };
    expect(() => cache.compile(JSON.stringify(jsonata))).toThrow(
      expect.objectContaining({ name: 'InvalidDefinition' }),
    );
  });
});

describe('integrations', () => {
  it('parses integration and Lambda ARNs into history resource names', () => {
    expect(parseResource('arn:aws:states:::sqs:sendMessage.waitForTaskToken')).toMatchObject({
      resourceType: 'sqs',
      resource: 'sendMessage.waitForTaskToken',
      waitForTaskToken: true,
    });
    expect(
      parseResource('arn:aws:lambda:us-east-1:000000000000:function:x')?.lambdaFunctionArn,
    ).toBeDefined();
    expect(parseResource('arn:aws:states:us-east-1:000000000000:activity:a')).toBeUndefined();
  });

  it('names a function error after the thrown error, Lambda.Unknown when it has no name', () => {
    class FooError extends Error {
      override name = 'FooError';
    }
    const error = lambdaTaskError(new FooError('nope'));
    expect(error.name).toBe('FooError');
    expect(JSON.parse(error.message)).toMatchObject({ errorType: 'FooError', errorMessage: 'nope' });
    expect(lambdaTaskError('a string').name).toBe('Lambda.Unknown');
  });
});

it("builds the status event in EventBridge's shape", () => {
  const event = statusChangeEvent(
    { region: 'us-east-1', accountId: '000000000000' },
    {
      executionArn: 'arn:aws:states:us-east-1:000000000000:execution:m:e',
      stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:m',
      name: 'e',
      status: 'RUNNING',
      startDate: 1_700_000_000_000,
      input: '{}',
    },
  );
  expect(event).toMatchObject({
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    detail: { status: 'RUNNING', stopDate: null, output: null, startDate: 1_700_000_000_000 },
  });
});
