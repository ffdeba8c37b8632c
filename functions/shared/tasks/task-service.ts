// Starting and cancelling tasks, and settling them from what Step Functions reports. The execution is
// named after the task, so a retried start can never run the workflow twice.
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  type SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { ConflictError, NotFoundError, ValidationError } from '../http/errors';
import type { WorkflowStore } from '../registry/workflow-store';
import { cleanCause } from '../steps/clean-error';
import type { InputValidator } from './input-validator';
import { isTerminal, TASK_STATUS_BY_EXECUTION_STATUS, type Task } from './task';
import type { TaskStore } from './task-store';

export const StartTaskRequestSchema = z
  .object({
    workflowId: z.string().min(1).max(64),
    version: z.number().int().positive().optional(),
    input: z.unknown().optional(),
    agentId: z.string().min(1).max(128).optional(),
    idempotencyKey: z.string().min(1).max(255).optional(),
  })
  .strict();

export type StartTaskRequest = z.infer<typeof StartTaskRequestSchema>;

export interface TaskServiceDeps {
  readonly tasks: TaskStore;
  readonly workflows: WorkflowStore;
  readonly sfn: SFNClient;
  readonly inputValidator: InputValidator;
  readonly newId: () => string;
  readonly now: () => Date;
}

/** What the compiled state machine expects as execution input (see compile-workflow.ts). */
export interface ExecutionInput {
  readonly task: { id: string; orgId: string; workflowId: string; workflowVersion: number };
  readonly input: unknown;
  readonly steps: Record<string, never>;
}

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
  if (request.idempotencyKey) {
    const holder = await deps.tasks.claimIdempotencyKey(orgId, request.idempotencyKey, taskId);
    if (holder) {
      const existing = await deps.tasks.getAnyOrg(holder);
      if (existing) return { created: false, task: existing };
      // The earlier request claimed the key but stopped before creating the task: finish its work.
      taskId = holder;
    }
  }
  const now = deps.now().toISOString();
  const task: Task = {
    taskId,
    orgId,
    workflowId: workflow.workflowId,
    workflowVersion: workflow.version,
    agentId: request.agentId,
    idempotencyKey: request.idempotencyKey,
    status: 'PENDING',
    input,
    executionArn: `${workflow.stateMachineArn.replace(':stateMachine:', ':execution:')}:${taskId}`,
    createdAt: now,
    updatedAt: now,
  };
  await deps.tasks.create(task);
  const executionInput: ExecutionInput = {
    task: { id: taskId, orgId, workflowId: workflow.workflowId, workflowVersion: workflow.version },
    input,
    steps: {},
  };
  try {
    await deps.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: workflow.stateMachineArn,
        name: taskId,
        input: JSON.stringify(executionInput),
      }),
    );
  } catch (error) {
    if (!(error instanceof ExecutionAlreadyExists)) throw error;
  }
  return { created: true, task };
}

export async function cancelTask(orgId: string, taskId: string, deps: TaskServiceDeps): Promise<Task> {
  const task = await deps.tasks.get(orgId, taskId);
  if (!task) throw new NotFoundError(`Task ${taskId} not found`);
  if (isTerminal(task.status)) throw new ConflictError(`Task ${taskId} already ended ${task.status}`);
  try {
    await deps.sfn.send(
      new StopExecutionCommand({
        executionArn: task.executionArn,
        error: 'Cancelled',
        cause: 'Cancelled by request',
      }),
    );
  } catch (error) {
    if (!(error instanceof ExecutionDoesNotExist)) throw error;
  }
  await deps.tasks.settle(taskId, { status: 'CANCELLED', at: deps.now().toISOString(), error: 'Cancelled' });
  return (await deps.tasks.get(orgId, taskId)) ?? task;
}

export interface ExecutionOutcome {
  readonly taskId: string;
  readonly executionStatus: string;
  readonly output?: string | null;
  readonly error?: string | null;
  readonly cause?: string | null;
  readonly stoppedAt: Date;
}

/** Settles a task from its execution's terminal status; false when nothing changed. */
export async function settleTask(outcome: ExecutionOutcome, tasks: TaskStore): Promise<boolean> {
  const status = TASK_STATUS_BY_EXECUTION_STATUS[outcome.executionStatus];
  if (!status) return false;
  return tasks.settle(outcome.taskId, {
    status,
    at: outcome.stoppedAt.toISOString(),
    output: outcome.output ? summarizeOutput(outcome.output) : undefined,
    error: outcome.error ?? undefined,
    cause: cleanCause(outcome.cause),
  });
}

/** The task's output is what its steps produced; large outputs are cut to keep the item small. */
const MAX_OUTPUT_CHARS = 32_000;
function summarizeOutput(raw: string): unknown {
  try {
    const parsed = JSON.parse(raw) as { steps?: unknown };
    const steps = JSON.stringify(parsed.steps ?? parsed);
    return steps.length <= MAX_OUTPUT_CHARS
      ? JSON.parse(steps)
      : { truncated: true, preview: steps.slice(0, 2_000) };
  } catch {
    return { truncated: raw.length > MAX_OUTPUT_CHARS, preview: raw.slice(0, 2_000) };
  }
}

/**
 * The safety net behind status events, which EventBridge delivers best-effort: active tasks older than
 * `olderThanMs` are checked against their execution and settled if it has ended or vanished.
 */
export async function reconcileTasks(
  deps: Pick<TaskServiceDeps, 'tasks' | 'sfn' | 'now'>,
  olderThanMs = 60_000,
): Promise<{ checked: number; settled: number }> {
  const before = new Date(deps.now().getTime() - olderThanMs).toISOString();
  const active = await deps.tasks.listActive(before);
  let settled = 0;
  for (const task of active) {
    try {
      const execution = await deps.sfn.send(
        new DescribeExecutionCommand({ executionArn: task.executionArn }),
      );
      if (execution.status === 'RUNNING' || execution.status === 'PENDING_REDRIVE') continue;
      const changed = await settleTask(
        {
          taskId: task.taskId,
          executionStatus: execution.status ?? '',
          output: execution.output,
          error: execution.error,
          cause: execution.cause,
          stoppedAt: execution.stopDate ?? deps.now(),
        },
        deps.tasks,
      );
      if (changed) settled++;
    } catch (error) {
      if (!(error instanceof ExecutionDoesNotExist)) throw error;
      const changed = await deps.tasks.settle(task.taskId, {
        status: 'FAILED',
        at: deps.now().toISOString(),
        error: 'ExecutionLost',
        cause: 'The task has no Step Functions execution; it was never started or has expired',
      });
      if (changed) settled++;
    }
  }
  return { checked: active.length, settled };
}
