// GET /metrics: the Prometheus exposition of the aggregates. Apart from metrics-queries.ts so that only
// the api bundles prom-client (with its OpenTelemetry and t-digest dependencies), not the sweeper, whose
// alert rules read the same queries.
import { ORG_TOTALS_PARTITION, orgSk, orgTotalsPartition } from './aggregate-keys';
import { catchUp, type MetricsDeps, mapLimited, recentWindow } from './metrics-queries';
import { summarize } from './metrics-summary';
import { orgTotalsOf, renderPrometheus, workflowTotalsOf } from './prometheus';

/** The window (minutes) of the success and error ratio gauges of GET /metrics. */
export const RATE_WINDOW_MINUTES = 15;

/** The Prometheus exposition of one org's totals, or every org's (`orgId` undefined: operators). */
export async function prometheusExposition(deps: MetricsDeps, orgId: string | undefined): Promise<string> {
  await catchUp(deps);
  const { window, active } = await recentWindow(deps, orgId, RATE_WINDOW_MINUTES);
  const orgRows =
    orgId === undefined
      ? await deps.store.query(ORG_TOTALS_PARTITION, 'ORG#')
      : [...(await deps.store.getMany([{ pk: ORG_TOTALS_PARTITION, sk: orgSk(orgId) }])).values()].map(
          (stored) => ({ ...stored, sk: orgSk(orgId) }),
        );
  const orgs = orgRows.map(orgTotalsOf);
  const orgIds = orgId === undefined ? orgs.map((org) => org.orgId) : [orgId];
  const workflowRows = await mapLimited(orgIds, (org) => deps.store.query(orgTotalsPartition(org), 'WF#'));
  const workflows = workflowRows.flatMap((rows, index) =>
    rows.map((row) => workflowTotalsOf(orgIds[index] as string, row)),
  );
  const { successRate } = summarize(window);
  const errors = (window.statuses.FAILED ?? 0) + (window.statuses.TIMED_OUT ?? 0);
  const settled = summarize(window).tasks.total;
  return renderPrometheus({
    scopeOrgId: orgId,
    workflows,
    orgs,
    activeTasks: active.active,
    successRatio: successRate,
    errorRatio: settled === 0 ? null : errors / settled,
  });
}
