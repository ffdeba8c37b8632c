// STEP_RETRYING (keeps retrying): a step of a running task at `retrying.attempts` attempts or more, still
// open (waiting for its next attempt, or running it), named with its last error; one alert per step and
// map iteration (STEP_RETRYING#<taskId>#<stepKey>), resolved once the step is no longer open (it
// succeeded, failed for good, or its task ended).
import type { AlertSignal } from '../alert';
import { type AlertRule, type RuleOutcome, resolveCleared } from './evaluate-rules';
import type { OpenStep, OpenWork } from './open-work';
import type { AlertRules } from './rule-config';

export const stepRetryingKey = (taskId: string, stepKey: string) => `STEP_RETRYING#${taskId}#${stepKey}`;

/** An error as a person reads it: `Name: cause`, the cause cut to a line or two. */
export function describeError(lastError: OpenStep['lastError']): string {
  if (!lastError?.error) return 'no error recorded';
  const cause = lastError.cause?.replace(/\s+/g, ' ').trim();
  const short = cause && cause.length > 300 ? `${cause.slice(0, 297)}...` : cause;
  return short ? `${lastError.error}: ${short}` : lastError.error;
}

export function retryingStepRule(deps: { readonly openWork: OpenWork }): AlertRule {
  return {
    name: 'STEP_RETRYING',
    async evaluate(run): Promise<RuleOutcome> {
      const minAttempts = run.book.smallest((rules) => rules.retrying.attempts) ?? 2;
      const before = new Date(run.now.getTime() + 1000).toISOString();
      const reads = await Promise.all(
        (['RETRYING', 'RUNNING'] as const).map((state) =>
          deps.openWork.openSteps(state, { before, minAttempts }),
        ),
      );
      const truncated = reads.some((read) => read.truncated);
      const signals = new Map<string, { signal: AlertSignal; rules: AlertRules }>();
      for (const step of reads.flatMap((read) => read.items)) {
        const rules = run.book.forWorkflow(step.orgId, step.workflowId);
        if (!rules.retrying.enabled || step.attempts < rules.retrying.attempts) continue;
        const dedupKey = stepRetryingKey(step.taskId, step.stepKey);
        const error = describeError(step.lastError);
        const state =
          step.state === 'RUNNING'
            ? `running attempt ${step.attempts}`
            : `waiting to retry after attempt ${step.attempts}`;
        signals.set(dedupKey, {
          rules,
          signal: {
            dedupKey,
            kind: 'STEP_RETRYING',
            severity: 'WARNING',
            title: `Step ${step.stepKey} of task ${step.taskId} keeps retrying (${step.attempts} attempts)`,
            summary:
              `Step ${step.stepKey} (${step.stepType}) of task ${step.taskId} in workflow ${step.workflowId} is ` +
              `${state}, at or past ${rules.retrying.attempts} attempts. Last error: ${error}.`,
            org: step.orgId,
            workflow: step.workflowId,
            task: step.taskId,
            step: step.stepKey,
            value: step.attempts,
            threshold: rules.retrying.attempts,
          },
        });
      }
      for (const { signal, rules } of signals.values()) await run.alerting(rules).raise(signal);
      const resolved = await resolveCleared(
        run.alerting(run.book.forDeployment()),
        'STEP_RETRYING',
        new Set(signals.keys()),
        () => 'The step is no longer retrying: it succeeded, failed for good, or its task ended.',
        truncated,
      );
      return { raised: signals.size, resolved, truncated };
    },
  };
}
