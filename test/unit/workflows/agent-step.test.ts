// The `agent` step: its validation, its compiled Task state (the brief's contract with the worker SDK),
// and registration refusing worker types the deployment does not declare or open to the org.
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../functions/shared/http/errors';
import { registerWorkflow } from '../../../functions/shared/registry/register-workflow';
import type { WorkerType } from '../../../functions/shared/workers/worker-types';
import {
  type AslState,
  compileWorkflow,
  WORKER_RECOVERY_ERRORS,
  workerQueuePlaceholder,
} from '../../../functions/shared/workflows/compile-workflow';
import { validateWorkflow } from '../../../functions/shared/workflows/validate-workflow';
import {
  InMemoryOwnership,
  InMemoryStateMachines,
  InMemoryWorkflowVersions,
} from '../registry/in-memory-registry';
import { allStates, validateAsl } from './asl-helpers';

const agent = (extra: object = {}) => ({
  id: 'research',
  type: 'agent',
  workerType: 'research',
  params: { company: 'Acme', 'domain.$': '$.input.domain' },
  ...extra,
});
const workflow = (steps: object[], extra: object = {}) => ({
  id: 'wf',
  version: 1,
  name: 'W',
  steps,
  ...extra,
});

function compiled(steps: object[], extra: object = {}) {
  const result = validateWorkflow(workflow(steps, extra));
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return compileWorkflow(result.definition, { workerQueueUrls: { research: 'https://sqs/research' } });
}

describe('agent step', () => {
  it('compiles to sqs:sendMessage.waitForTaskToken on its type queue with the contract message body', () => {
    const asl = compiled([agent()]);
    expect(validateAsl(asl, { checkPaths: true, checkArn: true }).isValid).toBe(true);
    const state = asl.States.research as AslState;
    expect(state).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
      Parameters: {
        QueueUrl: 'https://sqs/research',
        MessageBody: {
          'taskToken.$': '$$.Task.Token',
          workerType: 'research',
          'task.$': '$.task',
          step: { id: 'research' },
          input: { company: 'Acme', 'domain.$': '$.input.domain' },
        },
      },
      ResultSelector: { status: 'SUCCEEDED', 'output.$': '$' },
      ResultPath: '$.steps.research',
      HeartbeatSeconds: 90,
      TimeoutSeconds: 300,
    });
  });

  it('retries worker loss and a stuck attempt first, fast and at least 3 times, then by the policy', () => {
    const state = compiled([agent({ retry: { maxAttempts: 1 } })]).States.research as AslState;
    const retry = state.Retry as { ErrorEquals: string[]; MaxAttempts: number }[];
    expect(retry[0]).toEqual({
      ErrorEquals: [...WORKER_RECOVERY_ERRORS],
      IntervalSeconds: 1,
      BackoffRate: 2,
      MaxAttempts: 3,
      MaxDelaySeconds: 10,
      JitterStrategy: 'FULL',
    });
    // The step's timeout goes to another worker (the recovery retrier matches first, so the policy's
    // never-retry entry for States.Timeout does not apply to an agent step).
    expect(retry[0]?.ErrorEquals).toEqual(
      expect.arrayContaining(['States.HeartbeatTimeout', 'States.Timeout', 'Worker.Lost', 'Worker.Shutdown']),
    );
    expect(retry.at(-1)).toMatchObject({ ErrorEquals: ['States.ALL'], MaxAttempts: 1 });
    expect(state.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'research failed' },
    ]);
  });

  it('inside a map, names the iteration in the message', () => {
    const asl = compiled(
      [{ id: 'each', type: 'map', items: '$.input.list', steps: [agent({ params: {} })] }],
      { inputSchema: { type: 'object', properties: { list: { type: 'array' } } } },
    );
    const state = allStates(asl).research as AslState;
    expect((state.Parameters as { MessageBody: unknown }).MessageBody).toMatchObject({
      step: { id: 'research', 'mapIndex.$': '$.mapIndex' },
    });
  });

  it('leaves a placeholder per worker type when no queue URLs are given (the checked-in examples)', () => {
    const result = validateWorkflow(workflow([agent()]));
    if (!result.ok) throw new Error('invalid');
    const state = compileWorkflow(result.definition).States.research as AslState;
    expect((state.Parameters as { QueueUrl: string }).QueueUrl).toBe(workerQueuePlaceholder('research'));
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the ASL placeholder is literally `${...}`
    expect(workerQueuePlaceholder('deep-research')).toBe('${WorkerQueueDeepResearchUrl}');
  });

  it('refuses heartbeatSeconds not below the timeout, naming the field', () => {
    const result = validateWorkflow(workflow([agent({ heartbeatSeconds: 60, timeoutSeconds: 60 })]));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual([
      expect.objectContaining({
        rule: 'timeout-range',
        field: 'steps[0].heartbeatSeconds',
        stepId: 'research',
      }),
    ]);
  });

  it('requires a workerType', () => {
    const result = validateWorkflow(workflow([{ id: 'a', type: 'agent' }]));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]?.field).toBe('steps[0].workerType');
  });
});

describe('registering agent steps', () => {
  const deps = (workerTypes: Record<string, WorkerType>) => ({
    store: new InMemoryWorkflowVersions(),
    ownership: new InMemoryOwnership(),
    stateMachines: new InMemoryStateMachines(),
    stateMachinePrefix: 'StackA',
    stepRunnerArn: 'arn:aws:lambda:eu-west-1:123456789012:function:step-runner',
    lambdaFunctions: {},
    workerTypes,
  });
  const types = {
    research: {
      name: 'research',
      orgs: [],
      queueUrl: 'https://sqs/research',
      deadLetterQueueUrl: 'https://sqs/research-dlq',
    },
    private: {
      name: 'private',
      orgs: ['org-b'],
      queueUrl: 'https://sqs/private',
      deadLetterQueueUrl: 'https://sqs/private-dlq',
    },
  };

  it("compiles the declared type's queue URL into the state machine", async () => {
    const registry = deps(types);
    await registerWorkflow('org-a', workflow([agent()]), registry);
    expect([...registry.stateMachines.definitions.values()][0]).toContain('https://sqs/research');
  });

  it('refuses an undeclared type with a 400 naming steps[i].workerType', async () => {
    const error = await registerWorkflow(
      'org-a',
      workflow([{ id: 'x', type: 'transform', params: { expression: '1' } }, agent({ workerType: 'nope' })]),
      deps(types),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).details).toEqual([
      expect.objectContaining({ field: 'steps[1].workerType', stepId: 'research' }),
    ]);
    expect((error as Error).message).toContain('not declared');
  });

  it('refuses a type not open to the org, and accepts it for the org it is open to', async () => {
    const error = await registerWorkflow(
      'org-a',
      workflow([agent({ workerType: 'private' })]),
      deps(types),
    ).catch((e: unknown) => e);
    expect((error as ValidationError).details).toEqual([
      expect.objectContaining({ field: 'steps[0].workerType' }),
    ]);
    await expect(
      registerWorkflow('org-b', workflow([agent({ workerType: 'private' })]), deps(types)),
    ).resolves.toMatchObject({ created: true });
  });
});
