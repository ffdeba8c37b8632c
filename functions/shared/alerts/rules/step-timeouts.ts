// A step's timeout as its state machine has it (the step's timeoutSeconds, else the workflow's
// defaults.timeoutSeconds, else DEFAULT_STEP_TIMEOUT_SECONDS, as compile-workflow.ts sets TimeoutSeconds),
// read from the workflow version a task runs: one GetItem per version per run.
import type { WorkflowVersion } from '../../registry/workflow-store';
import type { Step, WorkflowDefinition } from '../../workflows/definition';
import { DEFAULT_STEP_TIMEOUT_SECONDS } from '../../workflows/limits';

/** The timeout of a runnable or agent step (at any depth in maps); undefined for other steps. */
export function stepTimeoutSeconds(
  definition: Pick<WorkflowDefinition, 'steps' | 'defaults'>,
  stepId: string,
): number | undefined {
  const find = (steps: readonly Step[]): Step | undefined => {
    for (const step of steps) {
      if (step.id === stepId) return step;
      if (step.type === 'map') {
        const nested = find(step.steps);
        if (nested) return nested;
      }
    }
    return undefined;
  };
  const step = find(definition.steps);
  if (!step || step.type === 'map' || step.type === 'wait' || step.type === 'approval') return undefined;
  return step.timeoutSeconds ?? definition.defaults?.timeoutSeconds ?? DEFAULT_STEP_TIMEOUT_SECONDS;
}

export type GetWorkflowVersion = (
  orgId: string,
  workflowId: string,
  version?: number,
) => Promise<Pick<WorkflowVersion, 'definition'> | undefined>;

/** Looks timeouts up through `getVersion`, each version read once per instance (make one per run). */
export function stepTimeouts(getVersion: GetWorkflowVersion) {
  const versions = new Map<string, Promise<Pick<WorkflowVersion, 'definition'> | undefined>>();
  return async (step: {
    orgId: string;
    workflowId: string;
    workflowVersion?: number;
    stepId: string;
  }): Promise<number | undefined> => {
    const key = `${step.orgId}#${step.workflowId}#${step.workflowVersion ?? 'latest'}`;
    let version = versions.get(key);
    if (!version) {
      version = getVersion(step.orgId, step.workflowId, step.workflowVersion);
      versions.set(key, version);
    }
    const found = await version;
    return found && stepTimeoutSeconds(found.definition, step.stepId);
  };
}
