// Where aggregate items live in the single table. Buckets partition by time so that one Query lists
// every workflow (or agent) of an org in a bucket, and org items sit in one partition per bucket across
// orgs (what an operator groups by org):
//   METRICS#ALL#<M|H|D>#<bucketStart> / ORG#<org>     per org, per minute (health), hour and day
//   METRICS#ALL#M#<minuteStart>       / ALL           every org together, per minute (operator health)
//   METRICS#ALL#M#<minuteStart>       / WF#<org>#<wf> per workflow, per minute, no steps (alert rules: one
//                                                     Query per minute serves every workflow)
//   METRICS#<org>#<H|D>#<bucketStart> / WF#<wf>       per workflow, with its steps (keyed by step id)
//   METRICS#<org>#<H|D>#<bucketStart> / AGENT#<agent> per agent
//   METRICS#ALL#TOTAL                 / ORG#<org>     cumulative since the first task (Prometheus)
//   METRICS#<org>#TOTAL               / WF#<wf>       cumulative per workflow, with its steps
//   METRICS#FOLDER                    / WATERMARK     the last slot folded into every item
// Minute items expire after 2 days, hour items after 35, day items after 400; totals never.

export type Granularity = 'minute' | 'hour' | 'day';

export interface ItemKey {
  readonly pk: string;
  readonly sk: string;
}

/** An aggregate item the folder writes: its key, whether it keeps steps, and when it expires. */
export interface AggregateTarget extends ItemKey {
  readonly withSteps: boolean;
  /** Epoch seconds; undefined for totals. */
  readonly expiresAt?: number;
}

const DAY_MS = 86_400_000;
export const GRANULARITY_MS: Record<Granularity, number> = { minute: 60_000, hour: 3_600_000, day: DAY_MS };
const CODE: Record<Granularity, string> = { minute: 'M', hour: 'H', day: 'D' };
const RETENTION_MS: Record<Granularity, number> = {
  minute: 2 * DAY_MS,
  hour: 35 * DAY_MS,
  day: 400 * DAY_MS,
};

export const WATERMARK_KEY: ItemKey = { pk: 'METRICS#FOLDER', sk: 'WATERMARK' };

export const bucketStartMs = (ms: number, granularity: Granularity) =>
  Math.floor(ms / GRANULARITY_MS[granularity]) * GRANULARITY_MS[granularity];

const stamp = (startMs: number) => new Date(startMs).toISOString();

export const orgsPartition = (granularity: Granularity, startMs: number) =>
  `METRICS#ALL#${CODE[granularity]}#${stamp(startMs)}`;
export const orgPartition = (orgId: string, granularity: Granularity, startMs: number) =>
  `METRICS#${orgId}#${CODE[granularity]}#${stamp(startMs)}`;
export const ORG_TOTALS_PARTITION = 'METRICS#ALL#TOTAL';
export const orgTotalsPartition = (orgId: string) => `METRICS#${orgId}#TOTAL`;

export const orgSk = (orgId: string) => `ORG#${orgId}`;
export const workflowSk = (workflowId: string) => `WF#${workflowId}`;
export const agentSk = (agentId: string) => `AGENT#${agentId}`;
/** A workflow's minute item among every org's (`WF#` sorts apart from `ORG#` and `ALL`). */
export const orgWorkflowSk = (orgId: string, workflowId: string) => `WF#${orgId}#${workflowId}`;
export const ORG_WORKFLOW_PREFIX = 'WF#';
export const ALL_SK = 'ALL';

/** Every item a task settled at `settledAtMs` adds to. */
export function aggregateTargets(
  task: { orgId: string; workflowId: string; agentId?: string },
  settledAtMs: number,
): AggregateTarget[] {
  const bucketed = (granularity: Granularity, key: ItemKey, withSteps = false): AggregateTarget => {
    const start = bucketStartMs(settledAtMs, granularity);
    return {
      ...key,
      withSteps,
      expiresAt: Math.floor((start + GRANULARITY_MS[granularity] + RETENTION_MS[granularity]) / 1000),
    };
  };
  const minute = bucketStartMs(settledAtMs, 'minute');
  const targets: AggregateTarget[] = [
    bucketed('minute', { pk: orgsPartition('minute', minute), sk: orgSk(task.orgId) }),
    bucketed('minute', { pk: orgsPartition('minute', minute), sk: ALL_SK }),
    bucketed('minute', {
      pk: orgsPartition('minute', minute),
      sk: orgWorkflowSk(task.orgId, task.workflowId),
    }),
  ];
  for (const granularity of ['hour', 'day'] as const) {
    const start = bucketStartMs(settledAtMs, granularity);
    targets.push(
      bucketed(granularity, { pk: orgsPartition(granularity, start), sk: orgSk(task.orgId) }),
      bucketed(
        granularity,
        { pk: orgPartition(task.orgId, granularity, start), sk: workflowSk(task.workflowId) },
        true,
      ),
    );
    if (task.agentId) {
      targets.push(
        bucketed(granularity, {
          pk: orgPartition(task.orgId, granularity, start),
          sk: agentSk(task.agentId),
        }),
      );
    }
  }
  targets.push(
    { pk: ORG_TOTALS_PARTITION, sk: orgSk(task.orgId), withSteps: false },
    { pk: orgTotalsPartition(task.orgId), sk: workflowSk(task.workflowId), withSteps: true },
  );
  return targets;
}
