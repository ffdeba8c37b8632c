// A task is one run of a workflow for an organization. Its status only moves forward:
// PENDING -> RUNNING -> SUCCEEDED | FAILED | TIMED_OUT | CANCELLED.

export const TASK_STATUSES = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const TERMINAL_STATUSES: readonly TaskStatus[] = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED'];
export const isTerminal = (status: TaskStatus) => TERMINAL_STATUSES.includes(status);

export type StepStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'SKIPPED';

export interface Task {
  readonly taskId: string;
  readonly orgId: string;
  readonly workflowId: string;
  readonly workflowVersion: number;
  readonly agentId?: string;
  readonly idempotencyKey?: string;
  readonly status: TaskStatus;
  readonly input: unknown;
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
  readonly executionArn: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly startedAt?: string;
  readonly endedAt?: string;
}

export interface StepAttempt {
  readonly taskId: string;
  readonly stepId: string;
  /** Iteration of a `map` step, when the step runs inside one. */
  readonly mapIndex?: number;
  readonly attempt: number;
  readonly status: StepStatus;
  readonly startedAt: string;
  readonly endedAt?: string;
  readonly durationMs?: number;
  readonly error?: string;
  readonly cause?: string;
  readonly outputSummary?: string;
}

/** Execution statuses as Step Functions reports them, and the task status each one ends in. */
export const TASK_STATUS_BY_EXECUTION_STATUS: Record<string, TaskStatus | undefined> = {
  SUCCEEDED: 'SUCCEEDED',
  FAILED: 'FAILED',
  TIMED_OUT: 'TIMED_OUT',
  ABORTED: 'CANCELLED',
};
