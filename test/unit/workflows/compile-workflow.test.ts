import { describe, expect, it } from 'vitest';
import { NON_RETRYABLE_ERRORS } from '../../../functions/shared/actions/errors';
import {
  type AslDefinition,
  type AslState,
  compileWorkflow,
  LAMBDA_SERVICE_ERRORS,
  STEP_RUNNER_ARN_PLACEHOLDER,
} from '../../../functions/shared/workflows/compile-workflow';
import type { WorkflowDefinition } from '../../../functions/shared/workflows/definition';
import { validateWorkflow } from '../../../functions/shared/workflows/validate-workflow';
import { allStates, finishedBefore, validateAsl } from './asl-helpers';

type StepSpec = { id: string; dependsOn?: string[] } & Record<string, unknown>;

function define(steps: StepSpec[], extra: object = {}): WorkflowDefinition {
  const result = validateWorkflow({
    id: 'wf',
    version: 1,
    name: 'Workflow',
    steps: steps.map((s) => (s.type ? s : { type: 'transform', params: { expression: '1' }, ...s })),
    ...extra,
  });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.definition;
}

function expectValidAsl(asl: AslDefinition) {
  const result = validateAsl(asl, { checkPaths: true, checkArn: true });
  expect(result.isValid, result.errorsText()).toBe(true);
}

/** Every dependency holds, and every pair of independent steps may run at the same time. */
function expectDagKept(definition: WorkflowDefinition, asl: AslDefinition) {
  const ids = definition.steps.map((s) => s.id);
  const before = finishedBefore(asl, ids);
  const deps = new Map(definition.steps.map((s) => [s.id, s.dependsOn ?? []]));
  const ancestors = (id: string, seen = new Set<string>()): Set<string> => {
    for (const d of deps.get(id) ?? []) if (!seen.has(d)) ancestors(d, seen.add(d));
    return seen;
  };
  for (const id of ids) {
    expect(before.has(id), `${id} is on the main path`).toBe(true);
    for (const dep of ancestors(id))
      expect(before.get(id)?.has(dep), `${dep} finishes before ${id}`).toBe(true);
  }
  return { before, ancestors };
}

/** AWS's recommended retrier for the Lambda service's transient errors (2 s x2, six times). */
const lambdaServiceRetrier = (errors: readonly string[] = LAMBDA_SERVICE_ERRORS) => ({
  ErrorEquals: [...errors],
  IntervalSeconds: 2,
  MaxAttempts: 6,
  BackoffRate: 2,
  JitterStrategy: 'FULL',
});

type Retrier = { ErrorEquals: string[]; MaxAttempts: number } & Record<string, unknown>;

/** The retrier Step Functions applies to an error: the first whose ErrorEquals matches it. */
const firstRetrier = (state: AslState, error: string): Retrier | undefined =>
  ((state.Retry ?? []) as Retrier[]).find(
    (r) => r.ErrorEquals.includes(error) || r.ErrorEquals.includes('States.ALL'),
  );

const parallelOf = (before: Map<string, Set<string>>, a: string, b: string) =>
  !before.get(a)?.has(b) && !before.get(b)?.has(a);

describe('DAG shapes', () => {
  it('compiles a chain to a sequence of Task states named by step id', () => {
    const definition = define([{ id: 'a' }, { id: 'b', dependsOn: ['a'] }, { id: 'c', dependsOn: ['b'] }]);
    const asl = compileWorkflow(definition);
    expectValidAsl(asl);
    expectDagKept(definition, asl);
    expect(asl.StartAt).toBe('a');
    expect(asl.States.a?.Next).toBe('b');
    expect(asl.States.b?.Next).toBe('c');
    expect(asl.States.c?.End).toBe(true);
    expect(Object.values(asl.States).some((s) => s.Type === 'Parallel')).toBe(false);
  });

  it('runs the two middle steps of a diamond in parallel, between the first and the last', () => {
    const definition = define([
      { id: 'a' },
      { id: 'b', dependsOn: ['a'] },
      { id: 'c', dependsOn: ['a'] },
      { id: 'd', dependsOn: ['b', 'c'] },
    ]);
    const asl = compileWorkflow(definition);
    expectValidAsl(asl);
    const { before } = expectDagKept(definition, asl);
    expect(parallelOf(before, 'b', 'c')).toBe(true);
    const parallel = Object.values(asl.States).find((s) => s.Type === 'Parallel');
    expect(parallel?.Branches).toHaveLength(2);
    expect(parallel?.ResultSelector).toEqual({
      'task.$': '$[0].task',
      'input.$': '$[0].input',
      'steps.$': 'States.JsonMerge($[0].steps, $[1].steps, false)',
    });
  });

  it('fans out to many steps at once and merges all their results', () => {
    const leaves = Array.from({ length: 12 }, (_, i) => ({ id: `leaf-${i}`, dependsOn: ['root'] }));
    const definition = define([{ id: 'root' }, ...leaves]);
    const asl = compileWorkflow(definition);
    expectValidAsl(asl);
    const { before } = expectDagKept(definition, asl);
    for (const a of leaves)
      for (const b of leaves) if (a !== b) expect(parallelOf(before, a.id, b.id)).toBe(true);
    const parallel = Object.values(asl.States).find((s) => s.Type === 'Parallel');
    expect(parallel?.Branches).toHaveLength(12);
    const merge = (parallel?.ResultSelector as Record<string, string> | undefined)?.['steps.$'] ?? '';
    for (let i = 0; i < 12; i++) expect(merge).toContain(`$[${i}].steps`);
  });

  it('fans in: independent entry steps run together before the step that needs them all', () => {
    const definition = define([
      { id: 'x' },
      { id: 'y' },
      { id: 'z' },
      { id: 'join', dependsOn: ['x', 'y', 'z'] },
    ]);
    const asl = compileWorkflow(definition);
    expectValidAsl(asl);
    const { before } = expectDagKept(definition, asl);
    expect(parallelOf(before, 'x', 'y') && parallelOf(before, 'y', 'z') && parallelOf(before, 'x', 'z')).toBe(
      true,
    );
  });

  it('runs independent chains side by side, each in its own order', () => {
    const definition = define([
      { id: 'a1' },
      { id: 'a2', dependsOn: ['a1'] },
      { id: 'b1' },
      { id: 'b2', dependsOn: ['b1'] },
    ]);
    const asl = compileWorkflow(definition);
    expectValidAsl(asl);
    const { before } = expectDagKept(definition, asl);
    for (const a of ['a1', 'a2']) for (const b of ['b1', 'b2']) expect(parallelOf(before, a, b)).toBe(true);
  });

  it('keeps every dependency of an irregular DAG (and documents the extra wait it may add)', () => {
    const definition = define([
      { id: 'a' },
      { id: 'c' },
      { id: 'b', dependsOn: ['a'] },
      { id: 'd', dependsOn: ['a', 'c'] },
      { id: 'e', dependsOn: ['b', 'd'] },
      { id: 'f', dependsOn: ['c'] },
    ]);
    const asl = compileWorkflow(definition);
    expectValidAsl(asl);
    const { before } = expectDagKept(definition, asl);
    expect(parallelOf(before, 'a', 'c')).toBe(true);
    expect(parallelOf(before, 'b', 'd')).toBe(true);
  });

  it('gives every state a unique name across branches and a Comment', () => {
    const definition = define([
      { id: 'a' },
      { id: 'b', dependsOn: ['a'], continueOnError: true },
      { id: 'c', dependsOn: ['a'], when: { path: '$.input.go', equals: true } },
    ]);
    const asl = compileWorkflow(definition);
    const states = allStates(asl);
    expect(Object.keys(states)).toEqual(
      expect.arrayContaining(['a', 'b', 'c', 'b failed', 'c when', 'c skipped']),
    );
    for (const [name, state] of Object.entries(states)) {
      expect(name.length).toBeLessThanOrEqual(80);
      expect(state.Comment, name).toBeTruthy();
    }
  });
});

describe('runnable steps', () => {
  const definition = define(
    [
      { id: 'fetch', type: 'http', params: { url: 'https://example.com', 'query.$': '$.input.q' } },
      {
        id: 'tuned',
        dependsOn: ['fetch'],
        retry: { maxAttempts: 5, intervalSeconds: 3, backoffRate: 1.5, maxDelaySeconds: 30, jitter: 'NONE' },
        timeoutSeconds: 42,
      },
      { id: 'no-retry', dependsOn: ['tuned'], retry: { maxAttempts: 0 } },
    ],
    { defaults: { retry: { intervalSeconds: 2 }, timeoutSeconds: 120 }, timeoutSeconds: 3600 },
  );
  const asl = compileWorkflow(definition, { stepRunnerArn: 'arn:aws:lambda:us-east-1:1:function:runner' });

  it('invokes the step runner with the run payload and writes only $.steps.<id>', () => {
    expect(asl.States.fetch).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: {
        FunctionName: 'arn:aws:lambda:us-east-1:1:function:runner',
        Payload: {
          kind: 'run',
          'task.$': '$.task',
          step: { id: 'fetch', type: 'http' },
          params: { url: 'https://example.com', 'query.$': '$.input.q' },
          context: { 'input.$': '$.input', 'steps.$': '$.steps' },
        },
      },
      ResultSelector: { 'status.$': '$.Payload.status', 'output.$': '$.Payload.output' },
      ResultPath: '$.steps.fetch',
    });
  });

  it('maps the workflow defaults, then built-in defaults, to Retry and TimeoutSeconds; never retries a timeout or a deterministic error', () => {
    expect(asl.States.fetch?.TimeoutSeconds).toBe(120);
    expect(asl.States.fetch?.Retry).toEqual([
      { ErrorEquals: ['States.Timeout', ...NON_RETRYABLE_ERRORS], MaxAttempts: 0 },
      lambdaServiceRetrier(),
      {
        ErrorEquals: ['States.ALL'],
        IntervalSeconds: 2,
        BackoffRate: 2,
        MaxAttempts: 3,
        MaxDelaySeconds: 60,
        JitterStrategy: 'FULL',
      },
    ]);
  });

  it("maps a step's own retry policy and timeout", () => {
    expect(asl.States.tuned?.TimeoutSeconds).toBe(42);
    expect(asl.States.tuned?.Retry).toEqual([
      { ErrorEquals: ['States.Timeout', ...NON_RETRYABLE_ERRORS], MaxAttempts: 0 },
      lambdaServiceRetrier(),
      {
        ErrorEquals: ['States.ALL'],
        IntervalSeconds: 3,
        BackoffRate: 1.5,
        MaxAttempts: 5,
        MaxDelaySeconds: 30,
        JitterStrategy: 'NONE',
      },
    ]);
    expect(asl.States['no-retry']?.Retry).toEqual([
      { ErrorEquals: ['States.Timeout', ...NON_RETRYABLE_ERRORS], MaxAttempts: 0 },
      lambdaServiceRetrier(),
    ]);
  });

  it('uses 300 s and 3 retries at 1 s x2 with full jitter when nothing is set', () => {
    const plain = compileWorkflow(define([{ id: 'only' }]));
    expect(plain.States.only?.TimeoutSeconds).toBe(300);
    expect((plain.States.only?.Retry as unknown[] | undefined)?.at(-1)).toMatchObject({
      IntervalSeconds: 1,
      BackoffRate: 2,
      MaxAttempts: 3,
      MaxDelaySeconds: 60,
      JitterStrategy: 'FULL',
    });
    expect(plain.TimeoutSeconds).toBeUndefined();
    expect(plain.States.only?.Parameters).toMatchObject({ FunctionName: STEP_RUNNER_ARN_PLACEHOLDER });
  });

  it('never retries the built-in deterministic errors, ahead of the States.ALL retrier', () => {
    expect(NON_RETRYABLE_ERRORS).toEqual(
      expect.arrayContaining([
        'HttpClientError',
        'TransformError',
        'InvalidStepParams',
        'UnknownStepType',
        'OutboundAddressRefused',
        'LambdaNotAllowed',
        'LlmClientError',
        'TaskEnded',
      ]),
    );
    const retry = asl.States.fetch?.Retry as { ErrorEquals: string[]; MaxAttempts: number }[];
    expect(retry.map((r) => r.MaxAttempts)).toEqual([0, 6, 3]);
    expect(retry[0]?.ErrorEquals).toEqual(
      expect.arrayContaining(['States.Timeout', ...NON_RETRYABLE_ERRORS]),
    );
    expect(retry.at(-1)?.ErrorEquals).toEqual(['States.ALL']);
    expect(retry.slice(0, -1).flatMap((r) => r.ErrorEquals)).not.toContain('States.ALL');
  });

  it("adds a step's nonRetryableErrors, which replace the workflow default list", () => {
    const listed = compileWorkflow(
      define(
        [
          { id: 'inherits' },
          {
            id: 'own',
            dependsOn: ['inherits'],
            retry: { nonRetryableErrors: ['OrderNotFound', 'HttpClientError'] },
          },
          { id: 'none', dependsOn: ['own'], retry: { nonRetryableErrors: [] } },
        ],
        { defaults: { retry: { nonRetryableErrors: ['QuotaExceeded'] } } },
      ),
    );
    const retryOf = (id: string) => (listed.States[id]?.Retry ?? []) as { ErrorEquals: string[] }[];
    const neverRetried = (id: string) => retryOf(id)[0]?.ErrorEquals;
    expect(neverRetried('inherits')).toEqual(['States.Timeout', ...NON_RETRYABLE_ERRORS, 'QuotaExceeded']);
    // Listed once even when it is also built in.
    expect(neverRetried('own')).toEqual(['States.Timeout', ...NON_RETRYABLE_ERRORS, 'OrderNotFound']);
    expect(neverRetried('none')).toEqual(['States.Timeout', ...NON_RETRYABLE_ERRORS]);
    expect(retryOf('own').at(-1)).toMatchObject({ ErrorEquals: ['States.ALL'] });
    expectValidAsl(listed);
  });

  it('refuses States.ALL, an empty name and a name over 256 characters in nonRetryableErrors', () => {
    for (const name of ['States.ALL', '', 'x'.repeat(257)]) {
      const result = validateWorkflow({
        id: 'wf',
        version: 1,
        name: 'Workflow',
        steps: [
          { id: 'a', type: 'transform', params: { expression: '1' }, retry: { nonRetryableErrors: [name] } },
        ],
      });
      expect(result.ok, name).toBe(false);
      if (!result.ok) expect(JSON.stringify(result.errors)).toContain('nonRetryableErrors');
    }
  });

  it("retries the Lambda service's transient errors on every step-runner invocation, as AWS recommends", () => {
    // The names Step Functions gives them ("Handle Lambda service exceptions", Step Functions guide).
    expect([...LAMBDA_SERVICE_ERRORS].sort()).toEqual([
      'Lambda.AWSLambdaException',
      'Lambda.ClientExecutionTimeoutException',
      'Lambda.SdkClientException',
      'Lambda.ServiceException',
      'Lambda.TooManyRequestsException',
    ]);
    const machine = compileWorkflow(
      define([
        { id: 'plain' },
        { id: 'maybe', dependsOn: ['plain'], when: { path: '$.input.go', equals: true } },
        { id: 'going', dependsOn: ['maybe'], continueOnError: true, retry: { maxAttempts: 0 } },
        {
          id: 'each',
          type: 'map',
          dependsOn: ['going'],
          items: '$.input.list',
          steps: [
            {
              id: 'inner',
              type: 'transform',
              params: { expression: '1' },
              when: { path: '$.item.x', equals: 1 },
            },
          ],
        },
      ]),
    );
    expectValidAsl(machine);
    const invocations = Object.entries(allStates(machine)).filter(
      ([, state]) => state.Resource === 'arn:aws:states:::lambda:invoke',
    );
    // Runs and their skip and failure records; the Map state's failure record; map sub-steps.
    expect(invocations.map(([name]) => name).sort()).toEqual(
      [
        'plain',
        'plain failed',
        'maybe',
        'maybe skipped',
        'maybe failed',
        'going',
        'going failed',
        'each failed',
        'inner',
        'inner skipped',
        'inner failed',
      ].sort(),
    );
    for (const [name, state] of invocations) {
      for (const error of LAMBDA_SERVICE_ERRORS) {
        expect(firstRetrier(state, error), `${name}: ${error}`).toEqual(
          expect.objectContaining({ MaxAttempts: 6, IntervalSeconds: 2, BackoffRate: 2 }),
        );
      }
    }
    // Recording is idempotent: that is the only retrier of a record state.
    expect(machine.States['maybe skipped']?.Retry).toEqual([lambdaServiceRetrier()]);
    expect(machine.States['going failed']?.Retry).toEqual([lambdaServiceRetrier()]);
  });

  it('retries a Lambda service error on its own budget, even for a step retried 0 times, unless the step lists it', () => {
    const machine = compileWorkflow(
      define([
        { id: 'never', retry: { maxAttempts: 0 } },
        { id: 'often', dependsOn: ['never'], retry: { maxAttempts: 9 } },
        {
          id: 'opted-out',
          dependsOn: ['often'],
          retry: { nonRetryableErrors: ['Lambda.ServiceException', 'Lambda.SdkClientException'] },
        },
        {
          id: 'all-out',
          dependsOn: ['opted-out'],
          retry: { maxAttempts: 0, nonRetryableErrors: [...LAMBDA_SERVICE_ERRORS] },
        },
      ]),
    );
    expectValidAsl(machine);
    const state = (id: string) => machine.States[id] as AslState;
    expect(firstRetrier(state('never'), 'Lambda.ServiceException')?.MaxAttempts).toBe(6);
    expect(firstRetrier(state('never'), 'SomethingElse')).toBeUndefined();
    // The policy's budget is for the step's own failures; 6 Lambda service retries whatever it says.
    expect(firstRetrier(state('often'), 'Lambda.TooManyRequestsException')?.MaxAttempts).toBe(6);
    expect(firstRetrier(state('often'), 'SomethingElse')?.MaxAttempts).toBe(9);
    // Deterministic failures still come first.
    expect(firstRetrier(state('often'), 'HttpClientError')?.MaxAttempts).toBe(0);
    expect(firstRetrier(state('opted-out'), 'Lambda.ServiceException')?.MaxAttempts).toBe(0);
    expect(firstRetrier(state('opted-out'), 'Lambda.SdkClientException')?.MaxAttempts).toBe(0);
    expect(firstRetrier(state('opted-out'), 'Lambda.TooManyRequestsException')?.MaxAttempts).toBe(6);
    expect(state('opted-out').Retry).toContainEqual(
      lambdaServiceRetrier([
        'Lambda.ClientExecutionTimeoutException',
        'Lambda.AWSLambdaException',
        'Lambda.TooManyRequestsException',
      ]),
    );
    // Listing them all leaves no Lambda service retrier (never one with an empty ErrorEquals).
    expect(state('all-out').Retry).toEqual([
      { ErrorEquals: ['States.Timeout', ...NON_RETRYABLE_ERRORS, ...LAMBDA_SERVICE_ERRORS], MaxAttempts: 0 },
    ]);
    // The failure record of a step that opted out still survives a Lambda service error.
    expect(state('all-out failed').Retry).toEqual([lambdaServiceRetrier()]);
  });

  it('sets the workflow timeout as the machine TimeoutSeconds', () => {
    expect(asl.TimeoutSeconds).toBe(3600);
    expectValidAsl(asl);
  });

  it('records a failure, then fails the execution with the step error', () => {
    expect(asl.States.fetch?.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'fetch failed' },
    ]);
    expect(asl.States['fetch failed']).toMatchObject({
      Type: 'Task',
      Parameters: {
        Payload: {
          kind: 'record',
          'task.$': '$.task',
          step: { id: 'fetch', type: 'http' },
          status: 'FAILED',
          'error.$': '$.error.Error',
          'cause.$': '$.error.Cause',
        },
      },
      // The step runner answers the error clean; it replaces the raw one for the Fail state.
      ResultSelector: { 'Error.$': '$.Payload.error', 'Cause.$': '$.Payload.cause' },
      ResultPath: '$.error',
      Next: 'fetch fail workflow',
    });
    expect(asl.States['fetch fail workflow']).toMatchObject({
      Type: 'Fail',
      ErrorPath: '$.error.Error',
      CausePath: '$.error.Cause',
    });
  });

  it('with continueOnError records the failure as the step result and goes on', () => {
    const going = compileWorkflow(
      define([
        { id: 'a', continueOnError: true },
        { id: 'b', dependsOn: ['a'] },
      ]),
    );
    expect(going.States['a failed']?.Next).toBe('a continue');
    expect(going.States['a continue']).toMatchObject({
      Type: 'Pass',
      Parameters: { status: 'FAILED', 'error.$': '$.error.Error', 'cause.$': '$.error.Cause' },
      ResultPath: '$.steps.a',
      Next: 'a clear error',
    });
    expect(going.States['a clear error']).toMatchObject({
      Parameters: { 'task.$': '$.task', 'input.$': '$.input', 'steps.$': '$.steps' },
      Next: 'b',
    });
    expectValidAsl(going);
  });
});

describe('when, wait and map', () => {
  it('puts a Choice before a conditional step; the other way records SKIPPED', () => {
    const asl = compileWorkflow(
      define([
        {
          id: 'maybe',
          when: {
            or: [
              { path: '$.input.mode', equals: 'fast' },
              { not: { path: '$.input.count', greaterThan: 3 } },
              {
                and: [
                  { path: '$.input.name', matches: 'a*' },
                  { path: '$.input.flag', isPresent: true },
                ],
              },
            ],
          },
        },
      ]),
    );
    expectValidAsl(asl);
    expect(asl.StartAt).toBe('maybe when');
    const choice = asl.States['maybe when'];
    expect(choice?.Default).toBe('maybe skipped');
    expect(choice?.Choices).toEqual([
      {
        Or: [
          {
            And: [
              { Variable: '$.input.mode', IsPresent: true },
              { Variable: '$.input.mode', IsString: true },
              { Variable: '$.input.mode', StringEquals: 'fast' },
            ],
          },
          {
            Not: {
              And: [
                { Variable: '$.input.count', IsPresent: true },
                { Variable: '$.input.count', IsNumeric: true },
                { Variable: '$.input.count', NumericGreaterThan: 3 },
              ],
            },
          },
          {
            And: [
              {
                And: [
                  { Variable: '$.input.name', IsPresent: true },
                  { Variable: '$.input.name', IsString: true },
                  { Variable: '$.input.name', StringMatches: 'a*' },
                ],
              },
              { Variable: '$.input.flag', IsPresent: true },
            ],
          },
        ],
        Next: 'maybe',
      },
    ]);
    expect(asl.States['maybe skipped']).toMatchObject({
      Parameters: {
        Payload: { kind: 'record', status: 'SKIPPED', step: { id: 'maybe', type: 'transform' } },
      },
      ResultSelector: { status: 'SKIPPED' },
      ResultPath: '$.steps.maybe',
      End: true,
    });
  });

  it('compiles wait to a Wait state and records it done', () => {
    const asl = compileWorkflow(
      define([
        { id: 'pause', type: 'wait', seconds: 5 },
        { id: 'later', type: 'wait', secondsPath: '$.input.delay', dependsOn: ['pause'] },
      ]),
    );
    expectValidAsl(asl);
    expect(asl.States.pause).toMatchObject({ Type: 'Wait', Seconds: 5, Next: 'pause done' });
    expect(asl.States['pause done']).toMatchObject({
      Type: 'Pass',
      Result: { status: 'SUCCEEDED' },
      ResultPath: '$.steps.pause',
    });
    expect(asl.States.later).toMatchObject({ Type: 'Wait', SecondsPath: '$.input.delay' });
  });

  it('compiles map to a Map state whose iterations run the sub-DAG with the item', () => {
    const asl = compileWorkflow(
      define([
        {
          id: 'each',
          type: 'map',
          items: '$.input.companies',
          maxConcurrency: 4,
          steps: [
            { id: 'look', type: 'llm', params: { 'prompt.$': '$.item.name' } },
            { id: 'other', type: 'llm', params: { prompt: 'x' } },
            { id: 'sum', type: 'transform', dependsOn: ['look', 'other'], params: { expression: '1' } },
          ],
        },
      ]),
    );
    expectValidAsl(asl);
    const map = asl.States.each;
    expect(map).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.input.companies',
      MaxConcurrency: 4,
      ItemSelector: {
        'task.$': '$.task',
        'input.$': '$.input',
        'item.$': '$$.Map.Item.Value',
        'mapIndex.$': '$$.Map.Item.Index',
        steps: {},
      },
      ResultSelector: { status: 'SUCCEEDED', 'output.$': '$' },
      ResultPath: '$.steps.each',
    });
    const processor = map?.ItemProcessor as AslDefinition;
    expect(allStates(processor).look).toMatchObject({
      Parameters: {
        Payload: {
          step: { id: 'look', type: 'llm', 'mapIndex.$': '$.mapIndex' },
          params: { 'prompt.$': '$.item.name' },
          context: { 'input.$': '$.input', 'steps.$': '$.steps', 'item.$': '$.item' },
        },
      },
    });
    const parallel = Object.values(processor.States).find((s) => s.Type === 'Parallel');
    expect(parallel?.ResultSelector).toMatchObject({ 'item.$': '$[0].item', 'mapIndex.$': '$[0].mapIndex' });
    expect(processor.States['each item done']).toMatchObject({
      Type: 'Pass',
      OutputPath: '$.steps',
      End: true,
    });
  });

  it('is pure: the same definition compiles to the same ASL', () => {
    const definition = define([{ id: 'a' }, { id: 'b', dependsOn: ['a'] }, { id: 'c', dependsOn: ['a'] }]);
    expect(JSON.stringify(compileWorkflow(definition))).toBe(JSON.stringify(compileWorkflow(definition)));
  });
});
