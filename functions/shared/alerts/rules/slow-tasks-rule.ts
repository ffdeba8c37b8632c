// SLOW_TASKS: the p95 duration of a workflow's tasks settled in the window (from the minute aggregates'
// histograms, within their stated relative error) above p95AboveMs, once the window holds at least
// minTasks with a duration: WARNING on SLOW_TASKS#WF#<org>#<wf>, resolved when the p95 is back at or below
// the threshold or too few tasks are left in the window.
import type { AggregateStore } from '../../telemetry/aggregate-store';
import { durationSummary } from '../../telemetry/metrics-summary';
import { type AlertRule, type RuleOutcome, resolveCleared } from './evaluate-rules';
import { runWindows } from './workflow-windows';

export const slowTasksKey = (orgId: string, workflowId: string) => `SLOW_TASKS#WF#${orgId}#${workflowId}`;

export function slowTasksRule(deps: { readonly aggregates: AggregateStore }): AlertRule {
  return {
    name: 'SLOW_TASKS',
    async evaluate(run): Promise<RuleOutcome> {
      const windows = await runWindows(run, deps.aggregates);
      const firing = new Set<string>();
      const summaries = new Map<string, string>();
      let raised = 0;
      for (const key of windows.workflows()) {
        const rules = run.book.forWorkflow(key.orgId, key.workflowId);
        const { slowTasks } = rules;
        const duration = windows.workflow(key, slowTasks.windowMinutes).duration;
        const count = duration?.count ?? 0;
        const p95 = durationSummary(duration).p95Ms;
        const dedupKey = slowTasksKey(key.orgId, key.workflowId);
        if (slowTasks.enabled && count >= slowTasks.minTasks && p95 !== null && p95 > slowTasks.p95AboveMs) {
          firing.add(dedupKey);
          await run.alerting(rules).raise({
            dedupKey,
            kind: 'SLOW_TASKS',
            severity: 'WARNING',
            title: `Slow tasks in workflow ${key.workflowId} (${key.orgId}): p95 ${Math.round(p95)} ms`,
            summary:
              `The p95 duration of the ${count} tasks of workflow ${key.workflowId} settled in the last ` +
              `${slowTasks.windowMinutes} min is ${Math.round(p95)} ms, above ${slowTasks.p95AboveMs} ms.`,
            org: key.orgId,
            workflow: key.workflowId,
            value: Math.round(p95),
            threshold: slowTasks.p95AboveMs,
          });
          raised++;
        } else {
          summaries.set(
            dedupKey,
            count < slowTasks.minTasks
              ? `Fewer than ${slowTasks.minTasks} tasks settled in the last ${slowTasks.windowMinutes} min (${count}).`
              : `p95 back to ${Math.round(p95 ?? 0)} ms (threshold ${slowTasks.p95AboveMs} ms).`,
          );
        }
      }
      const resolved = await resolveCleared(
        run.alerting(run.book.forDeployment()),
        'SLOW_TASKS',
        firing,
        (dedupKey) => summaries.get(dedupKey) ?? 'No tasks settled in the window any more.',
      );
      return { raised, resolved };
    },
  };
}
