// TASK_STUCK: a task with no step progress past a threshold, one alert per task (TASK_STUCK#<taskId>):
//  - a step RUNNING (its open attempt started) longer than stuck.afterMinutes, or when that is unset its
//    timeout plus a minute (Step Functions should have timed it out by then: its events are lost, or the
//    execution is wedged), or 15 min for a step without a timeout;
//  - a task PENDING (its execution never reported RUNNING) longer than afterMinutes, else 15 min.
// Approval steps never count (a person may take days; the step recorder leaves them out of the index).
// The alert resolves once the task shows neither (the step moved on, the task ended).
import type { AlertSignal } from '../alert';
import { type AlertRule, type RuleOutcome, resolveCleared } from './evaluate-rules';
import type { OpenWork } from './open-work';
import { type AlertRules, STUCK_FALLBACK_MINUTES, STUCK_MARGIN_MINUTES } from './rule-config';
import { type GetWorkflowVersion, stepTimeouts } from './step-timeouts';

export const taskStuckKey = (taskId: string) => `TASK_STUCK#${taskId}`;

/** `45 s`, `12 min`: how long, as a person reads it. */
export const formatAge = (ms: number) =>
  ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`;

export interface StuckTaskDeps {
  readonly openWork: OpenWork;
  readonly getVersion: GetWorkflowVersion;
}

export function stuckTaskRule(deps: StuckTaskDeps): AlertRule {
  return {
    name: 'TASK_STUCK',
    async evaluate(run): Promise<RuleOutcome> {
      const now = run.now.getTime();
      const smallest = run.book.smallest((rules) => rules.stuck.afterMinutes) ?? Number.POSITIVE_INFINITY;
      // Entries younger than every threshold in force cannot be stuck: they are not read.
      const before = (minutes: number) => new Date(now - minutes * 60_000).toISOString();
      const [running, pending] = await Promise.all([
        deps.openWork.openSteps('RUNNING', { before: before(Math.min(smallest, STUCK_MARGIN_MINUTES)) }),
        deps.openWork.pendingTasks(before(Math.min(smallest, STUCK_FALLBACK_MINUTES))),
      ]);
      const timeoutOf = stepTimeouts(deps.getVersion);
      const stuck = new Map<string, { signal: AlertSignal; rules: AlertRules }>();
      /** Flags the task when `since` is older than the threshold; `describe` words the alert. */
      const flag = (
        work: { readonly taskId: string; readonly orgId: string; readonly workflowId: string },
        rules: AlertRules,
        since: string,
        thresholdMinutes: number,
        describe: (age: string, threshold: string) => Pick<AlertSignal, 'title' | 'summary' | 'step'>,
      ) => {
        const age = now - Date.parse(since);
        if (age <= thresholdMinutes * 60_000) return;
        stuck.set(work.taskId, {
          rules,
          signal: {
            dedupKey: taskStuckKey(work.taskId),
            kind: 'TASK_STUCK',
            severity: 'WARNING',
            ...describe(formatAge(age), formatAge(thresholdMinutes * 60_000)),
            org: work.orgId,
            workflow: work.workflowId,
            task: work.taskId,
            value: Math.round(age / 1000),
            threshold: Math.round(thresholdMinutes * 60),
          },
        });
      };

      for (const step of running.items.sort((a, b) => a.since.localeCompare(b.since))) {
        if (stuck.has(step.taskId)) continue;
        const rules = run.book.forWorkflow(step.orgId, step.workflowId);
        if (!rules.stuck.enabled) continue;
        let thresholdMinutes = rules.stuck.afterMinutes;
        let basis = 'the configured threshold';
        if (thresholdMinutes === undefined) {
          const timeout = await timeoutOf(step);
          thresholdMinutes =
            timeout === undefined ? STUCK_FALLBACK_MINUTES : timeout / 60 + STUCK_MARGIN_MINUTES;
          basis =
            timeout === undefined
              ? 'the default threshold'
              : `its ${timeout} s timeout plus ${STUCK_MARGIN_MINUTES} min`;
        }
        flag(step, rules, step.since, thresholdMinutes, (age, threshold) => ({
          title: `Task ${step.taskId} stuck in step ${step.stepKey} (workflow ${step.workflowId})`,
          summary:
            `Step ${step.stepKey} (${step.stepType}, attempt ${step.attempts}) of task ${step.taskId} has been RUNNING ` +
            `since ${step.since} (${age}) with no progress, past ${basis} (${threshold}).`,
          step: step.stepKey,
        }));
      }

      for (const task of pending.items) {
        if (stuck.has(task.taskId)) continue;
        const rules = run.book.forWorkflow(task.orgId, task.workflowId);
        if (!rules.stuck.enabled) continue;
        flag(
          task,
          rules,
          task.createdAt,
          rules.stuck.afterMinutes ?? STUCK_FALLBACK_MINUTES,
          (age, threshold) => ({
            title: `Task ${task.taskId} stuck PENDING (workflow ${task.workflowId})`,
            summary:
              `Task ${task.taskId} has been PENDING since ${task.createdAt} (${age}): its execution never ` +
              `reported RUNNING within ${threshold}.`,
          }),
        );
      }

      for (const { signal, rules } of stuck.values()) await run.alerting(rules).raise(signal);
      const resolved = await resolveCleared(
        run.alerting(run.book.forDeployment()),
        'TASK_STUCK',
        new Set([...stuck.values()].map(({ signal }) => signal.dedupKey)),
        () => 'The task made progress again (or ended).',
        running.truncated || pending.truncated,
      );
      return { raised: stuck.size, resolved, truncated: running.truncated || pending.truncated };
    },
  };
}
