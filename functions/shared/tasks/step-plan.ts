// The steps a task's workflow version plans, kept on the task at start so its timeline names and orders
// them (never-run steps included) from the task's own partition, without reading the workflow version.
import type { Step, WorkflowDefinition } from '../workflows/definition';

export interface StepPlan {
  /** Top-level steps in definition order, as `[id, type]`. */
  readonly steps: readonly (readonly [string, string])[];
  /** Each step nested in a `map` (at any depth), with the top-level map it runs under. */
  readonly nested?: Readonly<Record<string, string>>;
}

export function stepPlanOf(definition: Pick<WorkflowDefinition, 'steps'>): StepPlan {
  const nested: Record<string, string> = {};
  const walk = (steps: readonly Step[], mapId: string) => {
    for (const step of steps) {
      nested[step.id] = mapId;
      if (step.type === 'map') walk(step.steps, mapId);
    }
  };
  for (const step of definition.steps) if (step.type === 'map') walk(step.steps, step.id);
  return {
    steps: definition.steps.map((step) => [step.id, step.type] as const),
    ...(Object.keys(nested).length > 0 && { nested }),
  };
}
