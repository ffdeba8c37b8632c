// The step-runner's domain: runs one attempt of a step's action and records it on the step's item, and
// records outcomes the state machine decides (FAILED after retries or on timeout, SKIPPED by a `when`).
// Attempts are numbered from the step item's attempt count, read before the attempt and written
// conditionally on it (the local interpreter has no `$$.State.RetryCount`; this way AWS and local agree).
// An attempt that ends within RUNNING_RECORD_AFTER_MS is written once, start and end together; a slower
// one gets a RUNNING record at that mark, then its end. Errors leave it clean (clean-error.ts): the name,
// and the message without stack trace or server paths.
import type { ActionMetrics } from '../actions/run-action';
import { closeLateStep } from '../tasks/late-steps';
import { type AttemptLlmUsage, isTerminal, type StepStatus } from '../tasks/task';
import { rowOfTask } from '../tasks/task-row';
import type { AttemptEnd, AttemptStart, StepRef, TaskStore } from '../tasks/task-store';
import { costUsd, DEFAULT_LLM_PRICES, type PriceTable } from '../telemetry/llm-prices';
import * as z from '../zod-mini';
import { cleanCause, cleanError, StepFailure } from './clean-error';
import { applySimulation, SimulateSchema } from './simulate';
import type { RecordStepPayload, RunStepPayload, StepPayload } from './step-payload';

export interface ActionResult {
  readonly output: unknown;
  readonly metrics?: ActionMetrics;
}

/** Runs a built-in action (`http`, `llm`, `transform`, `lambda`) with resolved params, for the task's org. */
export type ActionRunner = (
  type: string,
  params: Record<string, unknown>,
  context: { readonly orgId: string },
) => Promise<ActionResult>;

/** Where the step runner's lines go (Powertools' Logger on Lambda), with the context keys already on it. */
export interface StepLogger {
  info(message: string, attributes: Record<string, unknown>): void;
}

/** An attempt that runs longer than this gets a RUNNING record before its end. */
export const RUNNING_RECORD_AFTER_MS = 250;

export interface StepRunnerDeps {
  readonly tasks: TaskStore;
  readonly runAction: ActionRunner;
  /** Prices of LLM calls. @default DEFAULT_LLM_PRICES */
  readonly prices?: PriceTable;
  readonly logger?: StepLogger;
  readonly now?: () => Date;
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default RUNNING_RECORD_AFTER_MS */
  readonly runningRecordAfterMs?: number;
}

export interface StepResult {
  readonly status: 'SUCCEEDED';
  readonly output: unknown;
  readonly attempt: number;
}

/** Input and output summaries on an attempt are cut to this many characters. */
export const SUMMARY_CHARS = 200;
const CLOSED: readonly StepStatus[] = ['CANCELLED', 'TIMED_OUT', 'ABORTED'];

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
  payload: RunStepPayload | RecordStepPayload,
  deps: StepRunnerDeps,
): Promise<StepResult | RecordedFailure | null> {
  return payload.kind === 'run' ? runStep(payload, deps) : recordStep(payload, deps);
}

const stepRefOf = (payload: StepPayload): StepRef => ({
  taskId: payload.task.id,
  orgId: payload.task.orgId,
  workflowId: payload.task.workflowId,
  stepId: payload.step.id,
  stepType: payload.step.type,
  mapIndex: payload.step.mapIndex,
});

type Outcome = { ok: true; result: ActionResult } | { ok: false; error: unknown };

export async function runStep(payload: RunStepPayload, deps: StepRunnerDeps): Promise<StepResult> {
  const now = deps.now ?? (() => new Date());
  const sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  const log = deps.logger ?? { info: () => undefined };
  const { task, step } = payload;
  const startedAt = now();
  const { task: current, step: recorded } = await deps.tasks.getWithStep(task.id, step.id, step.mapIndex);
  // The task's list row rides on the step while it is open (the RETRYING/STUCK views list it from there).
  const ref: StepRef = { ...stepRefOf(payload), ...(current && { taskRow: rowOfTask(current) }) };
  if (current && isTerminal(current.status)) {
    throw new TaskEnded(`Task ${task.id} ended ${current.status} before step ${step.id} ran`);
  }
  if (recorded && CLOSED.includes(recorded.status)) {
    throw new TaskEnded(`Task ${task.id} ended; step ${step.id} was closed`);
  }
  const { simulate, ...params } = payload.params;
  const start: AttemptStart = {
    step: ref,
    attempt: (recorded?.attempts ?? 0) + 1,
    startedAt: startedAt.toISOString(),
    inputSummary: summarize(params),
  };
  const { attempt } = start;
  log.info('Step attempt started', { attempt });

  const outcome: Promise<Outcome> = (async () => {
    await applySimulation(z.optional(SimulateSchema).parse(simulate), attempt, sleep);
    return deps.runAction(step.type, params, { orgId: task.orgId });
  })().then(
    (result) => ({ ok: true, result }),
    (error: unknown) => ({ ok: false, error }),
  );
  let timer: NodeJS.Timeout | undefined;
  const slow = new Promise<'slow'>((resolve) => {
    timer = setTimeout(() => resolve('slow'), deps.runningRecordAfterMs ?? RUNNING_RECORD_AFTER_MS);
  });
  const first = await Promise.race([outcome.then(() => 'done' as const), slow]);
  clearTimeout(timer);
  let recordedRunning = false;
  if (first === 'slow') {
    const written = await deps.tasks.recordRunningAttempt(start);
    recordedRunning = written.recorded;
    if (written.recorded && written.endedTask) await closeLateStep(deps.tasks, ref, written.endedTask, now);
  }
  const ended = await outcome;
  const endedAt = now();
  const durationMs = endedAt.getTime() - startedAt.getTime();
  const end = (detail: Omit<AttemptEnd, 'endedAt' | 'durationMs'>): AttemptEnd => ({
    ...detail,
    endedAt: endedAt.toISOString(),
    durationMs,
  });
  if (ended.ok) {
    const { output, metrics } = ended.result;
    const llm = llmUsageOf(metrics, deps.prices ?? DEFAULT_LLM_PRICES);
    const written = await deps.tasks.recordFinishedAttempt(
      start,
      end({ status: 'SUCCEEDED', outputSummary: summarize(output), llm }),
      recordedRunning,
    );
    if (written.recorded && written.endedTask) await closeLateStep(deps.tasks, ref, written.endedTask, now);
    log.info('Step attempt succeeded', { attempt, durationMs, ...(llm && { llm }) });
    return { status: 'SUCCEEDED', output, attempt };
  }
  const clean = cleanError(ended.error);
  const written = await deps.tasks.recordFinishedAttempt(
    start,
    end({ status: 'FAILED', error: clean.error, cause: clean.message }),
    recordedRunning,
  );
  if (written.recorded && written.endedTask) await closeLateStep(deps.tasks, ref, written.endedTask, now);
  log.info('Step attempt failed', {
    attempt,
    durationMs,
    error: clean.error,
    cause: clean.message,
    ...(ended.error instanceof Error && { stack: ended.error.stack }),
  });
  throw new StepFailure(clean, { cause: ended.error });
}

/** An attempt's LLM usage from its action's metrics, priced; undefined for a step that called no LLM. */
export function llmUsageOf(
  metrics: ActionMetrics | undefined,
  prices: PriceTable,
): AttemptLlmUsage | undefined {
  const llm = metrics?.llm;
  if (!llm) return undefined;
  const usage = {
    provider: llm.provider,
    model: llm.model,
    tokensIn: llm.inputTokens,
    tokensOut: llm.outputTokens,
    cachedTokens: llm.cachedTokens,
  };
  return {
    ...usage,
    calls: 1,
    toolCalls: llm.toolCalls,
    latencyMs: llm.latencyMs,
    costUsd: costUsd(prices, usage),
  };
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
  await deps.tasks.recordStepOutcome(stepRefOf(payload), { status: payload.status, error, cause, at });
  deps.logger?.info('Step outcome recorded', { status: payload.status, ...(error && { error }) });
  return payload.status === 'FAILED' ? { error: error ?? 'Unknown', cause: cause ?? '' } : null;
}

export function summarize(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
  return text.length <= SUMMARY_CHARS ? text : `${text.slice(0, SUMMARY_CHARS - 1)}…`;
}
