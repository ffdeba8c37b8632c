// TASK_FAILED: a task that failed for good (FAILED, or TIMED_OUT), at the severity its workflow's rules
// give (taskFailed.severity: OFF, INFO by default, WARNING, CRITICAL), one alert per task
// (TASK_FAILED#<taskId>). An event alert: nothing clears it, acknowledging it resolves it. The rule reads
// the settled slots after its watermark, so each failed task is alerted once; a run that cannot raise one
// leaves the watermark before that slot, and the next run tries again (a raise repeated on an OPEN alert
// only counts).
import { lastClosedSlot } from '../../telemetry/fold-aggregates';
import type { AlertSignal } from '../alert';
import type { AlertRule, RuleOutcome } from './evaluate-rules';
import type { FailedTask, FailedTasks } from './failed-tasks';
import { describeError } from './retrying-step-rule';

export const taskFailedKey = (taskId: string) => `TASK_FAILED#${taskId}`;

/** Where the first run starts: this many slots back (one minute), not the whole history. */
export const FIRST_RUN_SLOTS = 6;
/** Slots one run reads at most (10 minutes of settles). */
export const MAX_SLOTS_PER_RUN = 60;
/** Alerts one run raises before it stops at the end of the slot it is in (the next run goes on). */
export const MAX_RAISES_PER_RUN = 200;

function signalOf(task: FailedTask, severity: AlertSignal['severity']): AlertSignal {
  const how = task.status === 'TIMED_OUT' ? 'timed out' : 'failed';
  return {
    dedupKey: taskFailedKey(task.taskId),
    kind: 'TASK_FAILED',
    severity,
    title: `Task ${task.taskId} ${how} (workflow ${task.workflowId})`,
    summary:
      `Task ${task.taskId} of workflow ${task.workflowId} ${how}${task.endedAt ? ` at ${task.endedAt}` : ''}. ` +
      `Error: ${describeError(task)}.`,
    org: task.orgId,
    workflow: task.workflowId,
    task: task.taskId,
  };
}

export function taskFailedRule(deps: { readonly failedTasks: FailedTasks }): AlertRule {
  return {
    name: 'TASK_FAILED',
    async evaluate(run): Promise<RuleOutcome> {
      const closed = lastClosedSlot(run.now.getTime());
      const watermark = (await deps.failedTasks.getWatermark()) ?? closed - FIRST_RUN_SLOTS;
      if (watermark >= closed) return { raised: 0, resolved: 0 };
      const end = Math.min(closed, watermark + MAX_SLOTS_PER_RUN);
      let raised = 0;
      let done = watermark;
      try {
        for (let slot = watermark + 1; slot <= end; slot++) {
          for (const task of await deps.failedTasks.failedIn(slot)) {
            const rules = run.book.forWorkflow(task.orgId, task.workflowId);
            if (rules.taskFailed.severity === 'OFF') continue;
            await run.alerting(rules).raise(signalOf(task, rules.taskFailed.severity));
            raised++;
          }
          done = slot;
          if (raised >= MAX_RAISES_PER_RUN) break;
        }
      } finally {
        if (done > watermark) await deps.failedTasks.advanceWatermark(done);
      }
      return { raised, resolved: 0, truncated: done < closed };
    },
  };
}
