// The `approval` step: what validation accepts and refuses (each refusal naming its field), and the ASL
// it compiles to: a waitForTaskToken invocation of the step runner whose timeout becomes the approval's
// own error before the usual failure path.
import { describe, expect, it } from 'vitest';
import {
  type AslState,
  compileWorkflow,
  LAMBDA_SERVICE_ERRORS,
} from '../../../functions/shared/workflows/compile-workflow';
import { validateWorkflow } from '../../../functions/shared/workflows/validate-workflow';
import { validateAsl } from './asl-helpers';

const approval = (extra: object = {}) => ({
  id: 'ask',
  type: 'approval',
  approvers: ['ADMIN', 'user-42'],
  message: 'Ship the report?',
  ...extra,
});
const workflow = (steps: object[], extra: object = {}) => ({
  id: 'wf',
  version: 1,
  name: 'W',
  steps,
  ...extra,
});

function compiled(steps: object[]) {
  const result = validateWorkflow(workflow(steps));
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  const asl = compileWorkflow(result.definition);
  const check = validateAsl(asl, { checkPaths: true, checkArn: true });
  expect(check.isValid, check.errorsText()).toBe(true);
  return asl.States as Record<string, AslState>;
}

const errorsOf = (steps: object[], extra: object = {}) => {
  const result = validateWorkflow(workflow(steps, extra));
  return result.ok ? [] : result.errors;
};

describe('approval step validation', () => {
  it('accepts roles and user ids, with the defaults for timeoutSeconds and onTimeout', () => {
    expect(errorsOf([approval()])).toEqual([]);
    expect(errorsOf([approval({ timeoutSeconds: 2, onTimeout: 'fail', continueOnError: true })])).toEqual([]);
  });

  it.each([
    [{ approvers: [] }, 'steps[0].approvers', 'at least one approver'],
    [{ approvers: ['has space'] }, 'steps[0].approvers[0]', 'a role (OWNER, ADMIN, MEMBER) or a user id'],
    [{ approvers: 'ADMIN' }, 'steps[0].approvers', 'expected array'],
    [{ approvers: ['admin'] }, 'steps[0].approvers[0]', 'roles are OWNER, ADMIN, MEMBER (upper case'],
    [{ approvers: ['OPERATOR'] }, 'steps[0].approvers[0]', 'OPERATOR decides nothing'],
    [{ approvers: ['*'] }, 'steps[0].approvers[0]', 'no wildcard approver'],
    [{ approvers: ['ADMIN', 'ADMIN'] }, 'steps[0].approvers', 'lists an approver twice'],
    [{ message: '' }, 'steps[0].message', ''],
    [{ message: 'x'.repeat(2001) }, 'steps[0].message', ''],
    [{ message: ' \n\t ' }, 'steps[0].message', 'must not be blank'],
    [{ message: 'Ship it?\u0000' }, 'steps[0].message', 'control characters'],
    [{ message: 'Ship \u202Eti pihS' }, 'steps[0].message', 'bidi overrides'],
    [{ timeoutSeconds: 0 }, 'steps[0].timeoutSeconds', ''],
    [{ timeoutSeconds: 1.5 }, 'steps[0].timeoutSeconds', ''],
    [{ onTimeout: 'ignore' }, 'steps[0].onTimeout', ''],
    [{ retry: { maxAttempts: 1 } }, 'steps[0].retry', 'unknown field'],
    [{ params: {} }, 'steps[0].params', 'unknown field'],
  ])('refuses %j naming %s', (extra, field, text) => {
    const errors = errorsOf([approval(extra)]);
    expect(errors[0], JSON.stringify(errors)).toMatchObject({ stepId: 'ask', field });
    expect(errors[0]?.message).toContain(`Step 'ask' (${field})`);
    expect(errors[0]?.message).toContain(text);
  });

  it('refuses a missing message and approvers, and a timeout longer than the workflow', () => {
    const { message: _m, approvers: _a, ...bare } = approval();
    expect(errorsOf([bare]).map((e) => e.field)).toEqual(['steps[0].approvers', 'steps[0].message']);
    expect(errorsOf([approval({ timeoutSeconds: 600 })], { timeoutSeconds: 60 })).toMatchObject([
      { rule: 'timeout-range', field: 'steps[0].timeoutSeconds' },
    ]);
  });
});

describe('approval step compilation', () => {
  it('waits on a task token of the step runner, retrying only Lambda service errors', () => {
    const states = compiled([approval({ timeoutSeconds: 120 })]);
    expect(states.ask).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: {
        Payload: {
          kind: 'approval',
          'task.$': '$.task',
          step: { id: 'ask', type: 'approval' },
          'taskToken.$': '$$.Task.Token',
          approvers: ['ADMIN', 'user-42'],
          message: 'Ship the report?',
          timeoutSeconds: 120,
          onTimeout: 'reject',
        },
      },
      ResultSelector: { status: 'SUCCEEDED', 'output.$': '$' },
      ResultPath: '$.steps.ask',
      TimeoutSeconds: 120,
      End: true,
    });
    expect(states.ask?.Retry).toEqual([expect.objectContaining({ ErrorEquals: [...LAMBDA_SERVICE_ERRORS] })]);
  });

  it.each([
    ['reject', 'Approval.Rejected'],
    ['fail', 'Approval.Expired'],
  ])('turns a timeout with onTimeout %s into %s before recording the step FAILED', (onTimeout, error) => {
    const states = compiled([approval({ onTimeout, timeoutSeconds: 2 })]);
    expect(states.ask?.Catch).toEqual([
      { ErrorEquals: ['States.Timeout'], ResultPath: '$.error', Next: 'ask expired' },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'ask failed' },
    ]);
    expect(states['ask expired']).toMatchObject({
      Type: 'Pass',
      Parameters: { Error: error, Cause: 'expired: no decision within 2 s' },
      ResultPath: '$.error',
      Next: 'ask failed',
    });
    expect(states['ask failed']).toMatchObject({
      Parameters: { Payload: { kind: 'record', status: 'FAILED', step: { id: 'ask', type: 'approval' } } },
      Next: 'ask fail workflow',
    });
  });

  it('with continueOnError records the failure as the step result and goes on', () => {
    const states = compiled([
      approval({ continueOnError: true }),
      { id: 'after', type: 'transform', params: { expression: '1' }, dependsOn: ['ask'] },
    ]);
    expect(states['ask failed']?.Next).toBe('ask continue');
    expect(states['ask clear error']?.Next).toBe('after');
  });

  it('passes the map iteration index in an approval inside a map', () => {
    const states = compiled([{ id: 'each', type: 'map', items: '$.input.items', steps: [approval()] }]);
    const map = states.each as unknown as { ItemProcessor: { States: Record<string, AslState> } };
    expect(map.ItemProcessor.States.ask).toMatchObject({
      Parameters: { Payload: { step: { id: 'ask', type: 'approval', 'mapIndex.$': '$.mapIndex' } } },
    });
  });
});
