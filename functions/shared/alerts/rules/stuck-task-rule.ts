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
      const stuck = new Map<string, AlertSignal>();
      const byTask = new Map<string, AlertRules>();

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
        const age = now - Date.parse(step.since);
        if (age <= thresholdMinutes * 60_000) continue;
        byTask.set(step.taskId, rules);
        stuck.set(step.taskId, {
          dedupKey: taskStuckKey(step.taskId),
          kind: 'TASK_STUCK',
          severity: 'WARNING',
          title: `Task ${step.taskId} stuck in step ${step.stepKey} (workflow ${step.workflowId})`,
          summary:
            `Step ${step.stepKey} (${step.stepType}, attempt ${step.attempts}) of task ${step.taskId} has been RUNNING ` +
            `since ${step.since} (${formatAge(age)}) with no progress, past ${basis} (${formatAge(thresholdMinutes * 60_000)}).`,
          org: step.orgId,
          workflow: step.workflowId,
          task: step.taskId,
          step: step.stepKey,
          value: Math.round(age / 1000),
          threshold: Math.round(thresholdMinutes * 60),
        });
      }

      for (const task of pending.items) {
        if (stuck.has(task.taskId)) continue;
        const rules = run.book.forWorkflow(task.orgId, task.workflowId);
        if (!rules.stuck.enabled) continue;
        const thresholdMinutes = rules.stuck.afterMinutes ?? STUCK_FALLBACK_MINUTES;
        const age = now - Date.parse(task.createdAt);
        if (age <= thresholdMinutes * 60_000) continue;
        byTask.set(task.taskId, rules);
        stuck.set(task.taskId, {
          dedupKey: taskStuckKey(task.taskId),
          kind: 'TASK_STUCK',
          severity: 'WARNING',
          title: `Task ${task.taskId} stuck PENDING (workflow ${task.workflowId})`,
          summary:
            `Task ${task.taskId} has been PENDING since ${task.createdAt} (${formatAge(age)}): its execution never ` +
            `reported RUNNING within ${formatAge(thresholdMinutes * 60_000)}.`,
          org: task.orgId,
          workflow: task.workflowId,
          task: task.taskId,
          value: Math.round(age / 1000),
          threshold: Math.round(thresholdMinutes * 60),
        });
      }

      for (const [taskId, signal] of stuck) {
        await run.alerting(byTask.get(taskId) ?? run.book.forDeployment()).raise(signal);
      }
      const resolved = await resolveCleared(
        run.alerting(run.book.forDeployment()),
        'TASK_STUCK',
        new Set([...stuck.values()].map((signal) => signal.dedupKey)),
        () => 'The task made progress again (or ended).',
        running.truncated || pending.truncated,
      );
      return { raised: stuck.size, resolved, truncated: running.truncated || pending.truncated };
    },
  };
}
