// The step-runner's domain: numbers and records each attempt of a step (the local interpreter has no
// `$$.State.RetryCount`, and this way AWS and local agree), runs the step's action, and records outcomes
// the state machine decides (FAILED after retries or on timeout, SKIPPED by a `when`). Errors leave it
// clean (clean-error.ts): the name, and the message without stack trace or server paths. A task's RUNNING
// status comes from its execution's start (task-events); a step marks it only if it got there first.
import { closingStatus, isTerminal } from '../tasks/task';
import type { TaskStore } from '../tasks/task-store';
import { cleanCause, cleanError, StepFailure } from './clean-error';
import { applySimulation, SimulateSchema } from './simulate';
import type { RecordStepPayload, RunStepPayload, StepPayload } from './step-payload';

export interface ActionResult {
  readonly output: unknown;
  readonly metrics?: Record<string, unknown>;
}

/** Runs a built-in action (`http`, `llm`, `transform`, `lambda`) with resolved params, for the task's org. */
export type ActionRunner = (
  type: string,
  params: Record<string, unknown>,
  context: { readonly orgId: string },
) => Promise<ActionResult>;

export interface StepRunnerDeps {
  readonly tasks: TaskStore;
  readonly runAction: ActionRunner;
  readonly now?: () => Date;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface StepResult {
  readonly status: 'SUCCEEDED';
  readonly output: unknown;
  readonly attempt: number;
}

const OUTPUT_SUMMARY_CHARS = 1_000;

/** The step's task ended (cancelled, timed out, lost) before this attempt could start its work. */
export class TaskEnded extends Error {
  override name = 'TaskEnded';
}

/** The clean error of a step recorded FAILED: the name and the message (no stack trace, no JSON). */
export interface RecordedFailure {
  readonly error: string;
  readonly cause: string;
}

export async function handleStepPayload(
  payload: StepPayload,
  deps: StepRunnerDeps,
): Promise<StepResult | RecordedFailure | null> {
  return payload.kind === 'run' ? runStep(payload, deps) : recordStep(payload, deps);
}

export async function runStep(payload: RunStepPayload, deps: StepRunnerDeps): Promise<StepResult> {
  const now = deps.now ?? (() => new Date());
  const sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  const { task, step } = payload;
  const startedAt = now();
  const attempt = await deps.tasks.startAttempt(task.id, step.id, step.mapIndex, startedAt.toISOString());
  if (attempt === undefined) throw new TaskEnded(`Task ${task.id} ended; step ${step.id} was closed`);
  // The task may have ended (and closed its open steps) just before this attempt was written: read it
  // after the write, so that either the settling saw this attempt or this attempt sees the ended task.
  const current = await deps.tasks.getAnyOrg(task.id);
  if (current && isTerminal(current.status)) {
    await deps.tasks.closeOpenSteps(task.id, {
      status: closingStatus(current.status),
      at: startedAt.toISOString(),
      cause: `The task ended ${current.status} while this step was open`,
    });
    throw new TaskEnded(`Task ${task.id} ended ${current.status} before step ${step.id} ran`);
  }
  // The execution's RUNNING event normally marks the task first; when it is slower than the first step,
  // the step does (one conditional write, only in that race).
  if (current?.status === 'PENDING') await deps.tasks.markRunning(task.id, startedAt.toISOString());
  const finish = (
    status: 'SUCCEEDED' | 'FAILED',
    detail: { error?: string; cause?: string; output?: unknown },
  ) => {
    const endedAt = now();
    return deps.tasks.finishAttempt({
      taskId: task.id,
      stepId: step.id,
      mapIndex: step.mapIndex,
      attempt,
      status,
      error: detail.error,
      cause: detail.cause,
      outputSummary: detail.output === undefined ? undefined : summarize(detail.output),
      endedAt: endedAt.toISOString(),
      durationMs: endedAt.getTime() - startedAt.getTime(),
    });
  };
  try {
    const { simulate, ...params } = payload.params;
    await applySimulation(SimulateSchema.optional().parse(simulate), attempt, sleep);
    const { output } = await deps.runAction(step.type, params, { orgId: task.orgId });
    await finish('SUCCEEDED', { output });
    return { status: 'SUCCEEDED', output, attempt };
  } catch (error) {
    const clean = cleanError(error);
    await finish('FAILED', { error: clean.error, cause: clean.message });
    throw new StepFailure(clean, { cause: error });
  }
}

/**
 * Records a step FAILED or SKIPPED. For FAILED, answers the error cleaned, which the state machine puts
 * back in `$.error` for its Fail state and continueOnError result: Step Functions' Cause of a step-runner
 * error is the Lambda error JSON with a stack trace.
 */
async function recordStep(payload: RecordStepPayload, deps: StepRunnerDeps): Promise<RecordedFailure | null> {
  const at = (deps.now ?? (() => new Date()))().toISOString();
  const error = payload.error ?? undefined;
  const cause = cleanCause(payload.cause);
  await deps.tasks.recordStepOutcome(payload.task.id, payload.step.id, payload.step.mapIndex, {
    status: payload.status,
    error,
    cause,
    at,
  });
  return payload.status === 'FAILED' ? { error: error ?? 'Unknown', cause: cause ?? '' } : null;
}

function summarize(output: unknown): string {
  const text = typeof output === 'string' ? output : (JSON.stringify(output) ?? '');
  return text.length <= OUTPUT_SUMMARY_CHARS ? text : `${text.slice(0, OUTPUT_SUMMARY_CHARS)}…`;
}
