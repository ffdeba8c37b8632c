// GET /tasks/{id}'s shape, kept for existing clients: the task, its steps, and every attempt of every
// step in the order they started, built from the step items (whose attempts sit in their `history`), with
// the estimate of what it cost (cost/task-cost.ts).
import { estimateTaskCost, type TaskCost } from '../cost/task-cost';
import type { StepAttempt, StepRecord, Task } from './task';

export interface StepSummary
  extends Pick<
    StepRecord,
    'stepId' | 'mapIndex' | 'status' | 'attempts' | 'error' | 'cause' | 'startedAt' | 'endedAt' | 'updatedAt'
  > {}

export interface TaskDetail extends Task {
  readonly steps: StepSummary[];
  readonly attempts: StepAttempt[];
  readonly cost: TaskCost;
}

/** A task as the routes return it: without the step plan it keeps for its timeline. */
export const taskView = ({ stepPlan: _plan, ...task }: Task): Task => task;

/** The task, its steps and their attempts. */
export function taskDetailOf(stored: Task, steps: readonly StepRecord[]): TaskDetail {
  const task = taskView(stored);
  const summaries = steps.map(
    ({ stepId, mapIndex, status, attempts, error, cause, startedAt, endedAt, updatedAt }) =>
      Object.fromEntries(
        Object.entries({
          stepId,
          mapIndex,
          status,
          attempts,
          error,
          cause,
          startedAt,
          endedAt,
          updatedAt,
        }).filter(([, value]) => value !== undefined),
      ) as StepSummary,
  );
  const attempts = steps
    .flatMap((step) =>
      step.history.map(
        ({ inputSummary: _input, llm: _llm, ...attempt }): StepAttempt => ({
          taskId: task.taskId,
          stepId: step.stepId,
          ...(step.mapIndex !== undefined && { mapIndex: step.mapIndex }),
          ...attempt,
        }),
      ),
    )
    .sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  return { ...task, steps: summaries, attempts, cost: estimateTaskCost(stored, steps) };
}
