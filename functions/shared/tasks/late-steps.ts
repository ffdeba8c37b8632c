// A step attempt whose write finds its task ended: the execution ended (cancelled, timed out, failed in
// another branch) while the attempt's invocation was still running, and discarded it. The settle closes the
// steps it finds open and measures the rest, but this write may have landed after its read, even after the
// settle. So the attempt's runner, told by its write (AttemptWrite.endedTask), closes its step as the settle
// would have, and brings the task's metrics level with its steps (as the settle does for a step it closes
// after its write). The aggregates and EMF keep the settle's figures: the folder reads a settled slot once,
// about 15 s after it closes, and a late write lands well within that unless the attempt ran on after it.
import { isDeepStrictEqual } from 'node:util';
import { computeTaskMetrics, type TaskMetrics } from '../telemetry/task-metrics';
import { closingStatus, isTerminal } from './task';
import type { EndedTask, StepRef, TaskStore } from './task-store';

export type LateStepStore = Pick<
  TaskStore,
  'closeStep' | 'closeOpenSteps' | 'listSteps' | 'replaceMetrics' | 'getAnyOrg'
>;

export async function closeLateStep(
  tasks: LateStepStore,
  step: StepRef,
  ended: EndedTask,
  now: () => Date,
): Promise<void> {
  const closing = {
    status: closingStatus(ended.status),
    at: ended.endedAt ?? now().toISOString(),
    cause: `The task ended ${ended.status} while this step was open`,
  };
  // Every step still open, this one among them when open (and a PENDING approval of one, expired), then
  // this one if it had ended.
  await tasks.closeOpenSteps(step.taskId, closing);
  await tasks.closeStep(step, closing);
  await levelMetrics(tasks, ended, now);
}

/**
 * After a write of a step that goes around the step runner (a worker's report): reads the task and, if it
 * has ended, closes the step as closeLateStep does. True when it had ended.
 */
export async function closeIfTaskEnded(
  tasks: LateStepStore,
  step: StepRef,
  now: () => Date,
): Promise<boolean> {
  const task = await tasks.getAnyOrg(step.taskId);
  if (!task || !isTerminal(task.status)) return false;
  await closeLateStep(tasks, step, task, now);
  return true;
}

/** Recomputes an ended task's metrics from its steps, and stores them where they differ from its own. */
export async function levelMetrics(
  tasks: Pick<TaskStore, 'listSteps' | 'replaceMetrics' | 'getAnyOrg'>,
  task: EndedTask,
  now: () => Date,
): Promise<void> {
  let current: EndedTask | undefined = task;
  // A refused write means another late step's runner levelled them meanwhile: read and compare again.
  for (let tries = 0; tries < 3 && current?.endedAt && isTerminal(current.status); tries++) {
    const steps = await tasks.listSteps(current.taskId);
    const metrics = computeTaskMetrics({ createdAt: current.createdAt, endedAt: current.endedAt }, steps);
    if (isDeepStrictEqual(asStored(metrics), current.metrics)) return;
    if (await tasks.replaceMetrics(current, metrics, now().toISOString())) return;
    current = await tasks.getAnyOrg(current.taskId);
  }
}

/** The metrics as the table gives them back: no undefined members. */
const asStored = (metrics: TaskMetrics): unknown => JSON.parse(JSON.stringify(metrics));
