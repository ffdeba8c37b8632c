// Starting and cancelling tasks, and settling them from what Step Functions reports. The execution is
// named after the task, so a retried start can never run the workflow twice.

import { createHash } from 'node:crypto';
import type { ApprovalStore } from '../approvals/approval-store';
import { redeliverDecisions } from '../approvals/decide-approval';
import type { TaskCallbacks } from '../approvals/task-callbacks';
import type { ExecutionDescription, Executions } from '../executions/step-functions-executions';
import {
  ConflictError,
  ExecutionInputTooLargeError,
  NotFoundError,
  UnprocessableError,
  ValidationError,
} from '../http/errors';
import { printable } from '../http/free-text';
import type { WorkflowStore } from '../registry/workflow-store';
import { FUNCTIONS, outlivesInvocationMs } from '../resources';
import { cleanCause } from '../steps/clean-error';
import { computeTaskMetrics, type TaskMetrics } from '../telemetry/task-metrics';
import { SLUG } from '../workflows/slug';
import * as z from '../zod-mini';
import type { InputValidator } from './input-validator';
import { levelMetrics } from './late-steps';
import { dueForCheck } from './reconcile-schedule';
import { stepPlanOf } from './step-plan';
import {
  CANCEL_ERROR,
  closingStatus,
  isTerminal,
  OPEN_STEP_STATUSES,
  type Task,
  type TaskEnd,
  type TaskStatus,
  taskEndOf,
} from './task';
import { summarizeOutput } from './task-output';
import type { TaskStore } from './task-store';
import { TaskTagsSchema } from './task-tags';

/** The bound of an idempotency key (body field or header): the key is part of a DynamoDB partition key. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/** An idempotency key, body field or header: printable, since the key is stored and compared as sent. */
export const IdempotencyKeySchema = z
  .string()
  .check(z.minLength(1), z.maxLength(MAX_IDEMPOTENCY_KEY_LENGTH), printable());

/** A label that lists and metrics group by: printable, no control or bidi/formatting characters. */
export const AgentIdSchema = z.string().check(z.minLength(1), z.maxLength(128), printable());

export const StartTaskRequestSchema = z.strictObject({
  // A slug, as registration makes it (and GET /tasks?workflowId= checks): any other text names no workflow,
  // and the 404 would show it as sent (a bidi override, a zero-width space).
  workflowId: z
    .string()
    .check(z.regex(SLUG, 'must be a workflow id: lowercase letters, digits, _ or -, at most 64 characters')),
  version: z.optional(z.int().check(z.positive())),
  input: z.optional(z.unknown()),
  agentId: z.optional(AgentIdSchema),
  idempotencyKey: z.optional(IdempotencyKeySchema),
  tags: z.optional(TaskTagsSchema),
});

export type StartTaskRequest = z.infer<typeof StartTaskRequestSchema>;

export interface TaskServiceDeps {
  readonly tasks: TaskStore;
  readonly workflows: Pick<WorkflowStore, 'getVersion'>;
  readonly executions: Executions;
  readonly inputValidator: InputValidator;
  readonly newId: () => string;
  readonly now: () => Date;
  /** Told about a task a cancel settled (the handler publishes its EMF metrics). */
  readonly onSettled?: (settled: SettledTask) => void;
  /** Told about a task this request created and started (the handler counts it in EMF). */
  readonly onStarted?: (task: Task) => void;
}

/** What the compiled state machine expects as execution input (see compile-workflow.ts). */
export interface ExecutionInput {
  readonly task: { id: string; orgId: string; workflowId: string; workflowVersion: number; agentId?: string };
  readonly input: unknown;
  readonly steps: Record<string, never>;
}

/** Step Functions refuses execution input over 256 KiB (UTF-8), so the task is refused before any write. */
export const MAX_EXECUTION_INPUT_BYTES = 256 * 1024;

const CANCEL_CAUSE = 'Cancelled by request';

/** How long an idempotency claim may belong to a request still at work. */
const CLAIM_RACE_MS = outlivesInvocationMs(FUNCTIONS.api);

export async function startTask(
  orgId: string,
  request: StartTaskRequest,
  deps: TaskServiceDeps,
): Promise<{ created: boolean; task: Task }> {
  const workflow = await deps.workflows.getVersion(orgId, request.workflowId, request.version);
  if (!workflow) {
    const which = request.version ? ` version ${request.version}` : '';
    throw new NotFoundError(`Workflow ${request.workflowId}${which} not found`);
  }
  const input = request.input ?? {};
  const problems = deps.inputValidator.validate(
    `${orgId}/${workflow.workflowId}/${workflow.version}`,
    workflow.definition.inputSchema,
    input,
  );
  if (problems.length > 0) {
    throw new ValidationError(`Invalid task input: ${problems[0]?.message}`, problems);
  }

  let taskId = deps.newId();
  const executionInput = (id: string): string =>
    JSON.stringify({
      task: {
        id,
        orgId,
        workflowId: workflow.workflowId,
        workflowVersion: workflow.version,
        ...(request.agentId !== undefined && { agentId: request.agentId }),
      },
      input,
      steps: {},
    } satisfies ExecutionInput);
  if (Buffer.byteLength(executionInput(taskId), 'utf8') > MAX_EXECUTION_INPUT_BYTES) {
    throw new ExecutionInputTooLargeError('input', MAX_EXECUTION_INPUT_BYTES);
  }

  let now = deps.now().toISOString();
  if (request.idempotencyKey) {
    const requestHash = hashRequest({ ...request, input });
    const holder = await deps.tasks.claimIdempotencyKey(orgId, request.idempotencyKey, {
      taskId,
      requestHash,
      createdAt: now,
    });
    if (holder) {
      // Claims made before request hashes were stored have none; they are taken at their word.
      if (holder.requestHash !== undefined && holder.requestHash !== requestHash) {
        throw new UnprocessableError(
          `Idempotency key ${request.idempotencyKey} was already used with a different request`,
          [
            {
              field: 'idempotencyKey',
              message: 'already used with a different request (workflowId, version, input, agentId or tags)',
            },
          ],
          'IdempotencyKeyReused',
        );
      }
      const existing = await deps.tasks.getAnyOrg(holder.taskId);
      if (existing) {
        // The first request may have failed between writing the task and starting its execution: starting
        // it again is a no-op for an execution that began (it is named after the task, with the same input).
        if (!isTerminal(existing.status)) await startExecution(existing, deps);
        return { created: false, task: existing };
      }
      // The earlier request claimed the key and has not created the task: it stopped, or is still at work
      // (a concurrent request). Do its work: its task id, and while it may still be writing (its claim is
      // younger than a request lasts), its time, so both build the same task and list rows. A retry long
      // after a request that stopped takes its own time: the claim's would count the wait in the task.
      taskId = holder.taskId;
      const claimedAt = holder.createdAt === undefined ? Number.NaN : Date.parse(holder.createdAt);
      if (Date.parse(now) - claimedAt < CLAIM_RACE_MS) now = holder.createdAt as string;
    }
  }
  const task: Task = {
    taskId,
    orgId,
    workflowId: workflow.workflowId,
    workflowVersion: workflow.version,
    agentId: request.agentId,
    idempotencyKey: request.idempotencyKey,
    ...(request.tags && Object.keys(request.tags).length > 0 && { tags: request.tags }),
    // RUNNING from its creation: the execution starts in this request, and a task whose start failed is
    // found by the reconciler (no execution: FAILED). A separate RUNNING write, from the execution's
    // RUNNING event, would move the task's two status index entries again: 5 WCU of every task.
    status: 'RUNNING',
    input,
    executionArn: `${workflow.stateMachineArn.replace(':stateMachine:', ':execution:')}:${taskId}`,
    createdAt: now,
    startedAt: now,
    updatedAt: now,
    stepPlan: stepPlanOf(workflow.definition),
  };
  if (!(await deps.tasks.create(task))) {
    // A request with the same idempotency key wrote it first: answer with its task, as a repeat.
    const stored = await deps.tasks.getAnyOrg(taskId);
    if (!stored) throw new ConflictError(`Task ${taskId} is being started by another request; try again`);
    if (!isTerminal(stored.status)) await startExecution(stored, deps);
    return { created: false, task: stored };
  }
  await deps.executions.start(workflow.stateMachineArn, taskId, executionInput(taskId));
  deps.onStarted?.(task);
  return { created: true, task };
}

/** Starts (again) the execution of a task not yet ended; a start that already happened is a no-op. */
async function startExecution(task: Task, deps: TaskServiceDeps): Promise<void> {
  const input: ExecutionInput = {
    task: {
      id: task.taskId,
      orgId: task.orgId,
      workflowId: task.workflowId,
      workflowVersion: task.workflowVersion,
      ...(task.agentId !== undefined && { agentId: task.agentId }),
    },
    input: task.input,
    steps: {},
  };
  const stateMachineArn = task.executionArn
    .slice(0, -(task.taskId.length + 1))
    .replace(':execution:', ':stateMachine:');
  await deps.executions.start(stateMachineArn, task.taskId, JSON.stringify(input));
}

/** A stable hash of what a start request asks for, so the same key with another request is told apart. */
export function hashRequest(request: StartTaskRequest): string {
  const asked = {
    workflowId: request.workflowId,
    version: request.version ?? null,
    input: request.input ?? {},
    agentId: request.agentId ?? null,
    // Left out when absent or empty (canonicalJson drops undefined), as an empty set is not stored: requests
    // hashed before tags existed, and `tags: {}`, hash as no tags.
    tags: request.tags && Object.keys(request.tags).length > 0 ? request.tags : undefined,
  };
  return createHash('sha256').update(canonicalJson(asked)).digest('base64url');
}

/** JSON with object keys sorted, so `{a, b}` and `{b, a}` hash the same. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Stops the task's execution and records what really happened: CANCELLED when the stop took effect, or
 * the execution's own end (409 naming it) when it had already ended before the stop arrived.
 */
export async function cancelTask(orgId: string, taskId: string, deps: TaskServiceDeps): Promise<Task> {
  const task = await deps.tasks.get(orgId, taskId);
  if (!task) throw new NotFoundError(`Task ${taskId} not found`);
  if (isTerminal(task.status)) throw alreadyEnded(task);
  await deps.executions.stop(task.executionArn, CANCEL_ERROR, CANCEL_CAUSE);
  const execution = await deps.executions.describe(task.executionArn);
  // No execution: the start never happened (or failed), so nothing ran and the cancel stands.
  const end = (execution && taskEndOf({ ...execution, cause: cleanCause(execution.cause) })) ?? {
    status: 'CANCELLED' as const,
    error: CANCEL_ERROR,
    cause: CANCEL_CAUSE,
  };
  const settled = await endTask(
    taskId,
    { ...end, ...outcomeDetail(execution), at: (execution?.stopDate ?? deps.now()).toISOString() },
    deps.tasks,
    deps.now,
  );
  if (settled) deps.onSettled?.(settled);
  const ended = (await deps.tasks.get(orgId, taskId)) ?? task;
  if (ended.status !== 'CANCELLED') throw alreadyEnded(ended);
  return ended;
}

const alreadyEnded = (task: Task) =>
  new ConflictError(`Task ${task.taskId} already ended ${task.status}`, [
    {
      field: 'status',
      message: `the task is ${task.status}; only PENDING or RUNNING tasks can be cancelled`,
    },
  ]);

export interface ExecutionOutcome {
  readonly taskId: string;
  readonly executionStatus: string;
  readonly output?: string | null;
  readonly error?: string | null;
  readonly cause?: string | null;
  readonly startedAt?: Date;
  readonly stoppedAt: Date;
}

/** A task this call settled, with what its run measured (EMF and live updates read it). */
export interface SettledTask {
  readonly task: Task;
  readonly metrics: TaskMetrics;
}

/** Settles a task from its execution's terminal status; undefined when nothing changed. */
export async function settleTask(
  outcome: ExecutionOutcome,
  tasks: TaskStore,
  now: () => Date = () => new Date(),
): Promise<SettledTask | undefined> {
  const end = taskEndOf({
    status: outcome.executionStatus,
    error: outcome.error,
    cause: cleanCause(outcome.cause),
  });
  if (!end) return undefined;
  return endTask(
    outcome.taskId,
    {
      ...end,
      at: outcome.stoppedAt.toISOString(),
      startedAt: outcome.startedAt?.toISOString(),
      output: outcome.output ? summarizeOutput(outcome.output) : undefined,
    },
    tasks,
    now,
  );
}

const outcomeDetail = (execution: ExecutionDescription | undefined) => ({
  startedAt: execution?.startDate?.toISOString(),
  output: execution?.output ? summarizeOutput(execution.output) : undefined,
});

/**
 * Moves the task to its end once, closing whatever step or attempt is still open in it: first, so that no
 * reader sees an ended task with an open step, and again after, for a step that opened meanwhile (the
 * step runner checks the task after opening one, so one side always sees the other). Both run on every
 * call, so a redelivered event finishes the work of one that failed half-way. The settle write also
 * stores what the run measured, from the steps read after the first closing (so never an open one), and
 * moves the task into the settled index.
 */
async function endTask(
  taskId: string,
  end: TaskEnd & { at: string; startedAt?: string; output?: unknown },
  tasks: TaskStore,
  now: () => Date = () => new Date(),
): Promise<SettledTask | undefined> {
  const closing = (status: TaskStatus) => ({
    status: closingStatus(status),
    at: end.at,
    cause: `The task ended ${status} while this step was open`,
  });
  // One Query reads the task and its steps. A step open in it (or one whose attempt ended after a cancel
  // or timeout stopped the execution) is closed, conditioned on it being as read, and only then are the
  // steps read again for the metrics; with none to close, they are final as read.
  const { task: before, steps: read, tagRows = {} } = await tasks.getWithSteps(undefined, taskId);
  const open = read.some((step) => OPEN_STEP_STATUSES.includes(step.status));
  const closed = await tasks.closeOpenSteps(taskId, closing(end.status), read);
  const steps = open || closed > 0 ? await tasks.listSteps(taskId) : read;
  let settled: SettledTask | undefined;
  if (before && !isTerminal(before.status)) {
    const metrics = computeTaskMetrics({ createdAt: before.createdAt, endedAt: end.at }, steps);
    const settlement = { ...end, metrics, settledAt: now().toISOString() };
    if (await tasks.settle(before, settlement)) {
      const { at, settledAt, ...rest } = settlement;
      const task = {
        ...before,
        ...Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined)),
        startedAt: end.startedAt ?? before.startedAt,
        endedAt: at,
        updatedAt: at,
        settledAt,
      } as Task;
      settled = { task, metrics };
    }
  } else if (before && isTerminal(before.status)) {
    // Settled before, by an attempt that may have stopped before its tag items.
    await tasks.levelTagRows(before, tagRows);
  }
  // After the settle, for a step opened between the read and the settle write (the step runner reads the
  // task after opening one, so one side always sees the other).
  const status = settled
    ? end.status
    : before && isTerminal(before.status)
      ? before.status
      : (await tasks.getAnyOrg(taskId))?.status;
  if (status && isTerminal(status) && (await tasks.closeOpenSteps(taskId, closing(status))) > 0) {
    // A step closed only now (recorded, or ended after the stop, between the read above and the settle
    // write) is not in the metrics the settle wrote.
    const ended = await tasks.getAnyOrg(taskId);
    if (ended) await levelMetrics(tasks, ended, now);
  }
  return settled;
}

export interface ReconcileDeps {
  readonly tasks: TaskStore;
  readonly executions: Executions;
  readonly now: () => Date;
  /** Told about a task whose check failed unexpectedly; the pass goes on with the next task. */
  readonly onError?: (task: Task, error: unknown) => void;
  /** Told about a task this pass settled (the handler publishes its EMF metrics). */
  readonly onSettled?: (settled: SettledTask) => void;
  /** Whether this run checks the task. @default dueForCheck (reconcile-schedule.ts) */
  readonly due?: (task: Task, now: Date) => boolean;
  /**
   * With both, a task whose execution runs has its approvals' decisions handed to Step Functions again
   * (redeliverDecisions): one whose deciding request stopped before SendTaskSuccess still reaches its step.
   */
  readonly approvals?: ApprovalStore;
  readonly callbacks?: TaskCallbacks;
}

export interface ReconcileReport {
  /** Active tasks older than the threshold checked against their execution. */
  readonly checked: number;
  /** Active tasks older than the threshold left for a later run (reconcile-schedule.ts). */
  readonly deferred: number;
  readonly settled: number;
  readonly failed: number;
}

/**
 * The safety net behind status events, which EventBridge delivers best-effort: every active task older
 * than `olderThanMs` that is due (reconcile-schedule.ts) is checked against its execution and settled if
 * it has ended or vanished. One task's failure is reported and counted; it never stops the others.
 */
export async function reconcileTasks(deps: ReconcileDeps, olderThanMs = 60_000): Promise<ReconcileReport> {
  const now = deps.now();
  const before = new Date(now.getTime() - olderThanMs).toISOString();
  const due = deps.due ?? dueForCheck;
  const report = { checked: 0, deferred: 0, settled: 0, failed: 0 };
  let position: Parameters<TaskStore['listActive']>[1];
  do {
    const page = await deps.tasks.listActive(before, position);
    for (const task of page.items) {
      if (!due(task, now)) {
        report.deferred++;
        continue;
      }
      report.checked++;
      try {
        const outcome = await reconcileTask(task, deps);
        if (outcome) report[outcome]++;
      } catch (error) {
        report.failed++;
        deps.onError?.(task, error);
      }
    }
    position = page.next;
  } while (position);
  return report;
}

async function reconcileTask(task: Task, deps: ReconcileDeps): Promise<'settled' | undefined> {
  const execution = await deps.executions.describe(task.executionArn);
  if (!execution) {
    const settled = await endTask(
      task.taskId,
      {
        status: 'FAILED',
        at: deps.now().toISOString(),
        error: 'ExecutionLost',
        cause: 'The task has no Step Functions execution; it was never started or has expired',
      },
      deps.tasks,
      deps.now,
    );
    if (settled) deps.onSettled?.(settled);
    return settled ? 'settled' : undefined;
  }
  if (execution.status === 'RUNNING') {
    const { approvals, callbacks } = deps;
    if (approvals && callbacks) {
      await redeliverDecisions(task.taskId, { approvals, callbacks, tasks: deps.tasks, now: deps.now });
    }
    return undefined;
  }
  const settled = await settleTask(
    {
      taskId: task.taskId,
      executionStatus: execution.status,
      output: execution.output,
      error: execution.error,
      cause: execution.cause,
      startedAt: execution.startDate,
      stoppedAt: execution.stopDate ?? deps.now(),
    },
    deps.tasks,
    deps.now,
  );
  if (settled) deps.onSettled?.(settled);
  return settled ? 'settled' : undefined;
}
