// A task's timeline as GET /tasks/{id}/timeline and GET /admin/tasks/{id}/timeline serve it, from the task
// and its steps (one Query of its partition). The workflow version is read for a task without a plan, and
// for one with a wait: a wait's window is inferred from the definition's run order, which the plan does
// not keep.
import type { WorkflowCatalog } from '../registry/workflow-catalog';
import { type StepPlan, stepPlanOf } from '../tasks/step-plan';
import type { StepRecord, Task } from '../tasks/task';
import { buildTaskTimeline, runOrderOf, type TaskTimeline } from './task-timeline';

const hasWait = (plan?: StepPlan) => plan?.steps.some(([, type]) => type === 'wait') ?? false;

export async function readTaskTimeline(
  task: Task,
  steps: readonly StepRecord[],
  workflows: Pick<WorkflowCatalog, 'getVersion'>,
  now: Date,
): Promise<TaskTimeline> {
  const workflow =
    task.stepPlan && !hasWait(task.stepPlan)
      ? undefined
      : await workflows.getVersion(task.orgId, task.workflowId, task.workflowVersion);
  const plan = task.stepPlan ?? (workflow && stepPlanOf(workflow.definition));
  const order = workflow && hasWait(plan) ? runOrderOf(workflow.definition) : undefined;
  return buildTaskTimeline(task, steps, plan, order, now.toISOString());
}
