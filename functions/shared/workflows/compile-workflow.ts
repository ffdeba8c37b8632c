// Compiles a validated workflow definition to Amazon States Language (JSONPath only), one state machine
// per workflow version, so Step Functions itself does the retries, backoff and timeouts, and the console
// shows the user's step ids as state names. Pure: no I/O, same definition in, same ASL out.
//
// The state every state passes on is `{ task, input, steps }` (inside a map iteration also `item` and
// `mapIndex`); a step only ever writes `$.steps.<id>`:
//   runnable (http, llm, transform, lambda)  Task invoking the step runner (`kind: run`) -> `{ status, output }`
//   wait                                     Wait, then `{ status: 'SUCCEEDED' }`
//   map                                      Map over `items`; `{ status: 'SUCCEEDED', output: [<iteration steps>] }`
//   agent                                    sqs:sendMessage.waitForTaskToken to the worker type's queue;
//                                            `{ status: 'SUCCEEDED', output: <what the worker returned> }`
//   approval                                 Task `lambda:invoke.waitForTaskToken` of the step runner
//                                            (`kind: approval`), completed by the decision route ->
//                                            `{ status: 'SUCCEEDED', output: { decision, comment, decidedBy,
//                                            decidedAt } }`; its timeout becomes Approval.Rejected or
//                                            Approval.Expired (onTimeout), then the failure path below
//   `when` false                             step runner `kind: record, status: SKIPPED` -> `{ status: 'SKIPPED' }`
//   failure after retries                    step runner `kind: record, status: FAILED` (answers the error
//                                            cleaned: Cause becomes the message, without the Lambda error
//                                            JSON and its stack trace), then a Fail state with the step's
//                                            error, or with continueOnError `{ status: 'FAILED', error, cause }`
//                                            and on.
// Every step-runner invocation retries the Lambda service's transient errors (LAMBDA_SERVICE_ERRORS).
//
// Parallelism: the DAG is turned into nested sequences and Parallel states (series-parallel
// decomposition): a set of steps that splits into independent groups (no dependency between them) runs as
// a Parallel with one branch per group; a connected set runs its entry steps first, then the rest. Every
// dependency is kept. The price of expressing a DAG this way: a step may wait for a step it does not depend
// on when both sit in one connected group (a -> b, a -> d, c -> d: b waits for c too). Each Parallel
// merges its branches' `steps` back with States.JsonMerge (shallow: branches add disjoint keys).

import { NON_RETRYABLE_ERRORS } from '../actions/errors';
import { workerQueueShape } from '../resources';
import { conditionToChoiceRule } from './compile-condition';
import {
  type AgentStep,
  type ApprovalStep,
  DEFAULT_AGENT_HEARTBEAT_SECONDS,
  DEFAULT_APPROVAL_TIMEOUT_SECONDS,
  DEFAULT_MAP_CONCURRENCY,
  DEFAULT_RETRY_POLICY,
  DEFAULT_STEP_TIMEOUT_SECONDS,
  type MapStep,
  type RetryPolicy,
  type RunnableStep,
  type Step,
  type StepType,
  type WaitStep,
  type WorkflowDefinition,
} from './definition';
import { connectedGroups, entryAndRest } from './run-order';

export type AslState = Record<string, unknown> & { Type: string };
export interface AslStateMachine {
  Comment?: string;
  StartAt: string;
  States: Record<string, AslState>;
}
export interface AslDefinition extends AslStateMachine {
  TimeoutSeconds?: number;
}

export interface CompileOptions {
  /** @default '${StepRunnerFunctionArn}' (a definitionSubstitutions placeholder) */
  readonly stepRunnerArn?: string;
  /**
   * Queue URL of each worker type `agent` steps may name (WORKER_TYPES).
   * @default a `${WorkerQueue<Type>Url}` placeholder per type (workerQueuePlaceholder)
   */
  readonly workerQueueUrls?: Readonly<Record<string, string>>;
}

// A definitionSubstitutions placeholder, filled by the stack (not a template literal).
// biome-ignore lint/suspicious/noTemplateCurlyInString: the ASL placeholder is literally `${...}`
export const STEP_RUNNER_ARN_PLACEHOLDER = '${StepRunnerFunctionArn}';

/** The definitionSubstitutions placeholder of a worker type's queue URL: `${WorkerQueueResearchUrl}`. */
export const workerQueuePlaceholder = (workerType: string) => `\${${workerQueueShape(workerType).id}Url}`;

/** Thrown for a definition the compiler cannot express; validateWorkflow reports these beforehand. */
export class WorkflowCompileError extends Error {
  override name = 'WorkflowCompileError';
}

interface Context {
  readonly definition: WorkflowDefinition;
  readonly stepRunnerArn: string;
  readonly workerQueueUrl: (workerType: string) => string;
  /** State names are unique across the whole machine (branches and item processors included). */
  readonly usedNames: Set<string>;
}

/** Where a state list is compiled: the top level (or a Parallel branch of it) or a map iteration. */
interface Scope {
  readonly ctx: Context;
  readonly inMap: boolean;
  readonly states: Record<string, AslState>;
}

type StepCompiler<S extends Step> = (step: S, scope: Scope, next: string | undefined) => string;

/** The compiler for each step type, by type. */
const STEP_COMPILERS: { readonly [T in StepType]: StepCompiler<Extract<Step, { type: T }>> } = {
  http: (step, scope, next) => compileRunnable(step, scope, next),
  llm: (step, scope, next) => compileRunnable(step, scope, next),
  transform: (step, scope, next) => compileRunnable(step, scope, next),
  lambda: (step, scope, next) => compileRunnable(step, scope, next),
  wait: (step, scope, next) => compileWait(step, scope, next),
  map: (step, scope, next) => compileMap(step, scope, next),
  agent: (step, scope, next) => compileAgent(step, scope, next),
  approval: (step, scope, next) => compileApproval(step, scope, next),
};

export function compileWorkflow(definition: WorkflowDefinition, options: CompileOptions = {}): AslDefinition {
  const ctx: Context = {
    definition,
    stepRunnerArn: options.stepRunnerArn ?? STEP_RUNNER_ARN_PLACEHOLDER,
    workerQueueUrl: (workerType) => {
      if (!options.workerQueueUrls) return workerQueuePlaceholder(workerType);
      const url = options.workerQueueUrls[workerType];
      if (!url) throw new WorkflowCompileError(`Worker type ${workerType} is not declared`);
      return url;
    },
    usedNames: new Set(),
  };
  const body = compileDag(definition.steps, ctx, false);
  const summary = `${definition.name} (workflow ${definition.id} v${definition.version})`;
  return {
    Comment: definition.description ? `${summary}: ${definition.description}` : summary,
    StartAt: body.StartAt,
    States: body.States,
    ...(definition.timeoutSeconds !== undefined && { TimeoutSeconds: definition.timeoutSeconds }),
  };
}

/** A DAG of steps as one state list; `end` (if given) is a state to add after everything. */
function compileDag(steps: readonly Step[], ctx: Context, inMap: boolean, end?: AslState & { name: string }) {
  const scope: Scope = { ctx, inMap, states: {} };
  let next: string | undefined;
  if (end) {
    const { name, ...state } = end;
    next = claim(ctx, name);
    scope.states[next] = { ...state, End: true };
  }
  const StartAt = compileGroup(steps, scope, next);
  return { StartAt, States: inRunOrder(StartAt, scope.states) };
}

/**
 * States are compiled last to first; list them for readers in run order: the main path first (Next,
 * then a Choice's taken branch), then the skip and failure handling.
 */
function inRunOrder(start: string, states: Record<string, AslState>): Record<string, AslState> {
  const ordered: Record<string, AslState> = {};
  const pending = [start];
  for (let name = pending.shift(); name !== undefined; name = pending.shift()) {
    let current: string | undefined = name;
    while (current !== undefined && !(current in ordered)) {
      const state: AslState | undefined = states[current];
      if (!state) break;
      ordered[current] = state;
      const choices: { Next: string }[] = (state.Choices as { Next: string }[] | undefined) ?? [];
      const catchers: { Next: string }[] = (state.Catch as { Next: string }[] | undefined) ?? [];
      const branches: unknown[] = [
        ...choices.map((c) => c.Next),
        state.Default,
        state.Next,
        ...catchers.map((c) => c.Next),
      ];
      const [first, ...others]: string[] = branches.filter((b): b is string => typeof b === 'string');
      pending.unshift(...others);
      current = first;
    }
  }
  for (const [name, state] of Object.entries(states)) if (!(name in ordered)) ordered[name] = state;
  return ordered;
}

/**
 * Compiles a set of steps whose dependencies outside the set are already done; returns the first state.
 * Independent groups become a Parallel; a connected group runs its entry steps, then the rest.
 */
function compileGroup(steps: readonly Step[], scope: Scope, next: string | undefined): string {
  const [only] = steps;
  if (only && steps.length === 1) return compileStep(only, scope, next);
  const groups = connectedGroups(steps);
  if (groups.length > 1) return compileParallel(groups, scope, next);
  const { entry, rest } = entryAndRest(steps);
  if (entry.length === 0 || rest.length === 0) {
    throw new WorkflowCompileError(
      `Steps ${steps.map((s) => s.id).join(', ')} form a cycle; validate the workflow first`,
    );
  }
  const restStart = compileGroup(rest, scope, next);
  return compileGroup(entry, scope, restStart);
}

function compileParallel(groups: Step[][], scope: Scope, next: string | undefined): string {
  const label = groups.map((g) => g.map((s) => s.id).join(' > ')).join(' | ');
  const name = claim(scope.ctx, `parallel: ${label}`);
  const Branches = groups.map((group) => compileDag(group, scope.ctx, scope.inMap));
  scope.states[name] = {
    Type: 'Parallel',
    Comment: `Runs independent steps at the same time: ${groups.map((g) => g.map((s) => s.id).join(', ')).join('; ')}. Each branch adds its own $.steps entries; they are merged back.`,
    Branches,
    ResultSelector: {
      'task.$': '$[0].task',
      'input.$': '$[0].input',
      ...(scope.inMap && { 'item.$': '$[0].item', 'mapIndex.$': '$[0].mapIndex' }),
      'steps.$': mergeStepsExpression(0, groups.length),
    },
    ...transition(next),
  };
  return name;
}

/** `States.JsonMerge` takes two objects: merge the branches' `steps` as a balanced tree (shallow depth). */
function mergeStepsExpression(from: number, to: number): string {
  if (to - from === 1) return `$[${from}].steps`;
  const middle = Math.floor((from + to) / 2);
  return `States.JsonMerge(${mergeStepsExpression(from, middle)}, ${mergeStepsExpression(middle, to)}, false)`;
}

function compileStep(step: Step, scope: Scope, next: string | undefined): string {
  const compiler = STEP_COMPILERS[step.type] as StepCompiler<Step>;
  const start = compiler(step, scope, next);
  if (!step.when) return start;
  const skipped = claim(scope.ctx, `${step.id} skipped`);
  scope.states[skipped] = {
    ...invokeStepRunner(scope, recordPayload(step, scope, 'SKIPPED')),
    Comment: `The condition of ${step.id} does not hold: record it SKIPPED.`,
    ResultSelector: { status: 'SKIPPED' },
    ResultPath: stepResultPath(step),
    Retry: [lambdaServiceRetrier()],
    ...transition(next),
  };
  const choice = claim(scope.ctx, `${step.id} when`);
  scope.states[choice] = {
    Type: 'Choice',
    Comment: `Runs ${step.id} only if its condition holds.`,
    Choices: [{ ...conditionToChoiceRule(step.when), Next: start }],
    Default: skipped,
  };
  return choice;
}

function compileRunnable(step: RunnableStep, scope: Scope, next: string | undefined): string {
  const { defaults } = scope.ctx.definition;
  const name = claim(scope.ctx, step.id);
  const retry = { ...DEFAULT_RETRY_POLICY, ...defaults?.retry, ...step.retry };
  scope.states[name] = {
    ...invokeStepRunner(scope, {
      kind: 'run',
      'task.$': '$.task',
      step: stepRef(step, scope),
      params: step.params ?? {},
      context: {
        'input.$': '$.input',
        'steps.$': '$.steps',
        ...(scope.inMap && { 'item.$': '$.item' }),
      },
    }),
    Comment: `${step.name ?? step.id} (${step.type} step)`,
    ResultSelector: { 'status.$': '$.Payload.status', 'output.$': '$.Payload.output' },
    ResultPath: stepResultPath(step),
    TimeoutSeconds: step.timeoutSeconds ?? defaults?.timeoutSeconds ?? DEFAULT_STEP_TIMEOUT_SECONDS,
    Retry: retriers(retry),
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: compileFailure(step, scope, next) }],
    ...transition(next),
  };
  return name;
}

/**
 * Transient failures of the Lambda service in invoking the step runner, as Step Functions names them:
 * retried on every step-runner invocation, as AWS recommends for `lambda:invoke` ("Handle Lambda service
 * exceptions" in the Step Functions developer guide; CDK's LambdaInvoke retries the same by default).
 */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
] as const;

/**
 * AWS's recommended 2 s x2, six times (about two minutes at most), with full jitter for throttling. Alone
 * on the states recording a step SKIPPED or FAILED: recording is idempotent (it sets the step's status).
 */
function lambdaServiceRetrier(errors: readonly string[] = LAMBDA_SERVICE_ERRORS): Record<string, unknown> {
  return {
    ErrorEquals: [...errors],
    IntervalSeconds: 2,
    MaxAttempts: 6,
    BackoffRate: 2,
    JitterStrategy: 'FULL',
  };
}

/**
 * The Retry of a step's run state, in the order Step Functions tries them (first match wins):
 * 1. Never retried (`MaxAttempts: 0`): a timed-out attempt (a step that runs past its timeout fails with
 *    States.Timeout, which `States.ALL` would otherwise match), the built-in deterministic failures
 *    (NON_RETRYABLE_ERRORS) and the policy's own `nonRetryableErrors`.
 * 2. Lambda service errors (LAMBDA_SERVICE_ERRORS), on their own budget, whatever the policy's
 *    `maxAttempts`: the platform failed to deliver the attempt, the step did not fail, so even a step
 *    retried 0 times survives a Lambda hiccup. A name the policy lists in `nonRetryableErrors` stays
 *    never retried (retrier 1 matches first), so a step that must not risk running twice (the invocation
 *    may have reached the step runner before the error) can opt out by naming them.
 * 3. Everything else, by the policy (`States.ALL`, which must be the last retrier).
 */
export function retriers(policy: Required<RetryPolicy>): Record<string, unknown>[] {
  const never = [...new Set(['States.Timeout', ...NON_RETRYABLE_ERRORS, ...policy.nonRetryableErrors])];
  const transient = LAMBDA_SERVICE_ERRORS.filter((name) => !never.includes(name));
  const result: Record<string, unknown>[] = [{ ErrorEquals: never, MaxAttempts: 0 }];
  if (transient.length > 0) result.push(lambdaServiceRetrier(transient));
  if (policy.maxAttempts === 0) return result;
  result.push({
    ErrorEquals: ['States.ALL'],
    IntervalSeconds: policy.intervalSeconds,
    BackoffRate: policy.backoffRate,
    MaxAttempts: policy.maxAttempts,
    MaxDelaySeconds: policy.maxDelaySeconds,
    JitterStrategy: policy.jitter,
  });
  return result;
}

/**
 * Errors that mean the worker, not the step, failed: no heartbeat (crashed, hung, network gone), a worker
 * past the step's timeout (stuck on this attempt: another worker may fare better), a worker the sweeper
 * found dead, a worker stopping. Retried first and fast on a budget of their own (at least 3), so another
 * worker takes the step over at once, before the step's own retriers see anything.
 */
export const WORKER_RECOVERY_ERRORS = [
  'States.HeartbeatTimeout',
  'States.Timeout',
  'Worker.Lost',
  'Worker.Shutdown',
] as const;

function workerRecoveryRetrier(policy: Required<RetryPolicy>): Record<string, unknown> {
  return {
    ErrorEquals: [...WORKER_RECOVERY_ERRORS],
    IntervalSeconds: 1,
    BackoffRate: 2,
    MaxAttempts: Math.max(policy.maxAttempts, 3),
    MaxDelaySeconds: 10,
    JitterStrategy: 'FULL',
  };
}

/**
 * An `agent` step: a message with the task token on its worker type's queue, then a wait until a worker
 * answers SendTaskSuccess (the output) or SendTaskFailure (an error by name, retried by the step's policy),
 * heartbeating at least every HeartbeatSeconds.
 */
function compileAgent(step: AgentStep, scope: Scope, next: string | undefined): string {
  const { defaults } = scope.ctx.definition;
  const name = claim(scope.ctx, step.id);
  const retry = { ...DEFAULT_RETRY_POLICY, ...defaults?.retry, ...step.retry };
  scope.states[name] = {
    Type: 'Task',
    Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
    Comment: `${step.name ?? step.id} (agent step: a ${step.workerType} worker runs it)`,
    Parameters: {
      QueueUrl: scope.ctx.workerQueueUrl(step.workerType),
      MessageBody: {
        'taskToken.$': '$$.Task.Token',
        workerType: step.workerType,
        'task.$': '$.task',
        step: { id: step.id, ...(scope.inMap && { 'mapIndex.$': '$.mapIndex' }) },
        input: step.params ?? {},
      },
    },
    ResultSelector: { status: 'SUCCEEDED', 'output.$': '$' },
    ResultPath: stepResultPath(step),
    HeartbeatSeconds: step.heartbeatSeconds ?? DEFAULT_AGENT_HEARTBEAT_SECONDS,
    TimeoutSeconds: step.timeoutSeconds ?? defaults?.timeoutSeconds ?? DEFAULT_STEP_TIMEOUT_SECONDS,
    Retry: [workerRecoveryRetrier(retry), ...retriers(retry)],
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: compileFailure(step, scope, next) }],
    ...transition(next),
  };
  return name;
}

function compileWait(step: WaitStep, scope: Scope, next: string | undefined): string {
  const name = claim(scope.ctx, step.id);
  const done = claim(scope.ctx, `${step.id} done`);
  scope.states[name] = {
    Type: 'Wait',
    Comment:
      step.name ?? `Waits ${step.seconds !== undefined ? `${step.seconds} s` : `${step.secondsPath} s`}`,
    ...(step.seconds !== undefined ? { Seconds: step.seconds } : { SecondsPath: step.secondsPath }),
    Next: done,
  };
  scope.states[done] = {
    Type: 'Pass',
    Comment: `Records ${step.id} as done.`,
    Result: { status: 'SUCCEEDED' },
    ResultPath: stepResultPath(step),
    ...transition(next),
  };
  return name;
}

function compileMap(step: MapStep, scope: Scope, next: string | undefined): string {
  const name = claim(scope.ctx, step.id);
  const processor = compileDag(step.steps, scope.ctx, true, {
    name: `${step.id} item done`,
    Type: 'Pass',
    Comment: "The iteration's result is its steps.",
    OutputPath: '$.steps',
  });
  scope.states[name] = {
    Type: 'Map',
    Comment: `${step.name ?? step.id}: runs ${step.steps.map((s) => s.id).join(', ')} for each item of ${step.items}`,
    ItemsPath: step.items,
    MaxConcurrency: step.maxConcurrency ?? DEFAULT_MAP_CONCURRENCY,
    ItemSelector: {
      'task.$': '$.task',
      'input.$': '$.input',
      'item.$': '$$.Map.Item.Value',
      'mapIndex.$': '$$.Map.Item.Index',
      steps: {},
    },
    ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, ...processor },
    ResultSelector: { status: 'SUCCEEDED', 'output.$': '$' },
    ResultPath: stepResultPath(step),
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: compileFailure(step, scope, next) }],
    ...transition(next),
  };
  return name;
}

/** The error an approval step fails with when nobody decides in time, by its `onTimeout`. */
export const APPROVAL_TIMEOUT_ERRORS = { reject: 'Approval.Rejected', fail: 'Approval.Expired' } as const;

/**
 * An approval waits on a task token that the step runner stores (it never leaves the server) and the
 * decision route completes. Only the Lambda service's errors are retried (the step runner's request is
 * idempotent per step); TimeoutSeconds is the approval's deadline, and its States.Timeout is renamed by
 * `onTimeout` before the failure path records it, so the record also marks the approval EXPIRED and the
 * step's continueOnError sees the approval's own error.
 */
function compileApproval(step: ApprovalStep, scope: Scope, next: string | undefined): string {
  const name = claim(scope.ctx, step.id);
  const failed = compileFailure(step, scope, next);
  const timeoutSeconds = step.timeoutSeconds ?? DEFAULT_APPROVAL_TIMEOUT_SECONDS;
  const onTimeout = step.onTimeout ?? 'reject';
  const expired = claim(scope.ctx, `${step.id} expired`);
  scope.states[expired] = {
    Type: 'Pass',
    Comment: `No decision on ${step.id} within ${timeoutSeconds} s: onTimeout ${onTimeout}.`,
    Parameters: {
      Error: APPROVAL_TIMEOUT_ERRORS[onTimeout],
      Cause: `expired: no decision within ${timeoutSeconds} s`,
    },
    ResultPath: '$.error',
    Next: failed,
  };
  scope.states[name] = {
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
    Parameters: {
      FunctionName: scope.ctx.stepRunnerArn,
      Payload: {
        kind: 'approval',
        'task.$': '$.task',
        step: stepRef(step, scope),
        'taskToken.$': '$$.Task.Token',
        approvers: step.approvers,
        message: step.message,
        timeoutSeconds,
        onTimeout,
      },
    },
    Comment: `${step.name ?? step.id} (approval step): waits for a decision by ${step.approvers.join(', ')}`,
    ResultSelector: { status: 'SUCCEEDED', 'output.$': '$' },
    ResultPath: stepResultPath(step),
    TimeoutSeconds: timeoutSeconds,
    Retry: [lambdaServiceRetrier()],
    Catch: [
      { ErrorEquals: ['States.Timeout'], ResultPath: '$.error', Next: expired },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: failed },
    ],
    ...transition(next),
  };
  return name;
}

/**
 * After a step failed for good (`$.error` holds `{ Error, Cause }`, Cause being the Lambda error JSON with
 * its stack trace when the step runner threw): record it, which replaces `$.error` with the clean
 * `{ Error, Cause: <message> }`, then fail the execution with that, or with continueOnError write
 * `{ status: 'FAILED', error, cause }` and go on.
 */
function compileFailure(
  step: RunnableStep | MapStep | AgentStep | ApprovalStep,
  scope: Scope,
  next: string | undefined,
): string {
  const failed = claim(scope.ctx, `${step.id} failed`);
  let after: string;
  if (step.continueOnError) {
    after = claim(scope.ctx, `${step.id} continue`);
    const clear = claim(scope.ctx, `${step.id} clear error`);
    scope.states[after] = {
      Type: 'Pass',
      Comment: `continueOnError: ${step.id} counts as FAILED and the workflow goes on.`,
      Parameters: { status: 'FAILED', 'error.$': '$.error.Error', 'cause.$': '$.error.Cause' },
      ResultPath: stepResultPath(step),
      Next: clear,
    };
    scope.states[clear] = {
      Type: 'Pass',
      Comment: 'Drops $.error so the state keeps its shape.',
      Parameters: stateShape(scope),
      ...transition(next),
    };
  } else {
    after = claim(scope.ctx, `${step.id} fail workflow`);
    scope.states[after] = {
      Type: 'Fail',
      Comment: `Fails the task with the error of ${step.id}.`,
      ErrorPath: '$.error.Error',
      CausePath: '$.error.Cause',
    };
  }
  scope.states[failed] = {
    ...invokeStepRunner(scope, recordPayload(step, scope, 'FAILED')),
    Comment: `Records ${step.id} FAILED; the step runner answers the error cleaned (the message, no stack trace).`,
    ResultSelector: { 'Error.$': '$.Payload.error', 'Cause.$': '$.Payload.cause' },
    ResultPath: '$.error',
    Retry: [lambdaServiceRetrier()],
    Next: after,
  };
  return failed;
}

function invokeStepRunner(scope: Scope, payload: Record<string, unknown>): AslState {
  return {
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke',
    Parameters: { FunctionName: scope.ctx.stepRunnerArn, Payload: payload },
  };
}

function recordPayload(step: Step, scope: Scope, status: 'FAILED' | 'SKIPPED'): Record<string, unknown> {
  return {
    kind: 'record',
    'task.$': '$.task',
    step: stepRef(step, scope),
    status,
    ...(status === 'FAILED' && { 'error.$': '$.error.Error', 'cause.$': '$.error.Cause' }),
  };
}

function stepRef(step: Step, scope: Scope): Record<string, unknown> {
  return { id: step.id, type: step.type, ...(scope.inMap && { 'mapIndex.$': '$.mapIndex' }) };
}

function stateShape(scope: Scope): Record<string, string> {
  return {
    'task.$': '$.task',
    'input.$': '$.input',
    ...(scope.inMap && { 'item.$': '$.item', 'mapIndex.$': '$.mapIndex' }),
    'steps.$': '$.steps',
  };
}

const stepResultPath = (step: Step) => `$.steps.${step.id}`;

const transition = (next: string | undefined) => (next === undefined ? { End: true } : { Next: next });

/** ASL state names: unique, at most 80 characters. */
function claim(ctx: Context, wanted: string): string {
  let name = wanted.length > 80 ? `${wanted.slice(0, 77)}...` : wanted;
  for (let n = 2; ctx.usedNames.has(name); n++) {
    const suffix = ` #${n}`;
    name = `${wanted.slice(0, 80 - suffix.length)}${suffix}`;
  }
  ctx.usedNames.add(name);
  return name;
}
