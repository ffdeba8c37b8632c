// ERROR_RATE: the failed share (FAILED + TIMED_OUT) of the tasks settled in the window, per workflow
// (ERROR_RATE#WF#<org>#<wf>) and per org (ERROR_RATE#ORG#<org>), once the window holds at least minTasks:
// above warningAbove WARNING, above criticalAbove CRITICAL (an OPEN WARNING escalates on the same key).
// The alert resolves when the rate is back at or below warningAbove, or the window holds fewer than
// minTasks (nothing left to judge).
import type { Severity } from '../../resources';
import type { AggregateStore } from '../../telemetry/aggregate-store';
import type { AlertSignal } from '../alert';
import { type AlertRule, type RuleOutcome, resolveCleared } from './evaluate-rules';
import type { AlertRules } from './rule-config';
import { runWindows, taskCounts } from './workflow-windows';

export const workflowErrorRateKey = (orgId: string, workflowId: string) =>
  `ERROR_RATE#WF#${orgId}#${workflowId}`;
export const orgErrorRateKey = (orgId: string) => `ERROR_RATE#ORG#${orgId}`;

const percent = (share: number) => `${Math.round(share * 1000) / 10} %`;

interface Scope {
  readonly dedupKey: string;
  readonly orgId: string;
  readonly workflowId?: string;
  readonly rules: AlertRules;
  readonly total: number;
  readonly failed: number;
}

function severityOf(rate: number, rules: AlertRules['errorRate']): Severity | undefined {
  if (rate > rules.criticalAbove) return 'CRITICAL';
  if (rate > rules.warningAbove) return 'WARNING';
  return undefined;
}

function signalOf(scope: Scope, severity: Severity, rate: number): AlertSignal {
  const { errorRate } = scope.rules;
  const where = scope.workflowId
    ? `workflow ${scope.workflowId} (${scope.orgId})`
    : `organization ${scope.orgId}`;
  return {
    dedupKey: scope.dedupKey,
    kind: 'ERROR_RATE',
    severity,
    title: `Error rate ${percent(rate)} in ${where}`,
    summary:
      `${scope.failed} of ${scope.total} tasks of ${where} failed in the last ${errorRate.windowMinutes} min ` +
      `(WARNING above ${percent(errorRate.warningAbove)}, CRITICAL above ${percent(errorRate.criticalAbove)}).`,
    org: scope.orgId,
    ...(scope.workflowId && { workflow: scope.workflowId }),
    value: Math.round(rate * 10_000) / 10_000,
    threshold: severity === 'CRITICAL' ? errorRate.criticalAbove : errorRate.warningAbove,
  };
}

export function errorRateRule(deps: { readonly aggregates: AggregateStore }): AlertRule {
  return {
    name: 'ERROR_RATE',
    async evaluate(run): Promise<RuleOutcome> {
      const windows = await runWindows(run, deps.aggregates);
      const scopes: Scope[] = [];
      for (const key of windows.workflows()) {
        const rules = run.book.forWorkflow(key.orgId, key.workflowId);
        scopes.push({
          dedupKey: workflowErrorRateKey(key.orgId, key.workflowId),
          ...key,
          rules,
          ...taskCounts(windows.workflow(key, rules.errorRate.windowMinutes)),
        });
      }
      for (const orgId of windows.orgs()) {
        const rules = run.book.forOrg(orgId);
        scopes.push({
          dedupKey: orgErrorRateKey(orgId),
          orgId,
          rules,
          ...taskCounts(windows.org(orgId, rules.errorRate.windowMinutes)),
        });
      }
      const firing = new Set<string>();
      const summaries = new Map<string, string>();
      let raised = 0;
      for (const scope of scopes) {
        const { errorRate } = scope.rules;
        const rate = scope.total === 0 ? 0 : scope.failed / scope.total;
        const severity =
          errorRate.enabled && scope.total >= errorRate.minTasks ? severityOf(rate, errorRate) : undefined;
        if (severity) {
          firing.add(scope.dedupKey);
          await run.alerting(scope.rules).raise(signalOf(scope, severity, rate));
          raised++;
        } else {
          summaries.set(
            scope.dedupKey,
            scope.total < errorRate.minTasks
              ? `Fewer than ${errorRate.minTasks} tasks settled in the last ${errorRate.windowMinutes} min (${scope.total}); nothing left to judge.`
              : `Error rate back to ${percent(rate)} (${scope.failed} of ${scope.total} tasks in the last ${errorRate.windowMinutes} min).`,
          );
        }
      }
      const resolved = await resolveCleared(
        run.alerting(run.book.forDeployment()),
        'ERROR_RATE',
        firing,
        (dedupKey) => summaries.get(dedupKey) ?? 'No tasks settled in the window any more.',
      );
      return { raised, resolved };
    },
  };
}
