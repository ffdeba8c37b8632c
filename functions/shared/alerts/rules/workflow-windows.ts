// The recent minute aggregates of every workflow, which the error-rate and slow-tasks rules share: first a
// bounded fold of what settled since the aggregator last ran (as the metrics reads do), then one Query per
// minute of the `METRICS#ALL#M#<minute>` partition's `WF#<org>#<wf>` items. A window of N minutes is the
// current minute and the N - 1 before it.
import { type Aggregate, EMPTY_AGGREGATE, mergeAggregates } from '../../telemetry/aggregate';
import {
  bucketStartMs,
  GRANULARITY_MS,
  ORG_WORKFLOW_PREFIX,
  orgsPartition,
} from '../../telemetry/aggregate-keys';
import type { AggregateStore } from '../../telemetry/aggregate-store';
import { catchUp } from '../../telemetry/metrics-queries';
import type { RuleRun } from './evaluate-rules';

export interface WorkflowKey {
  readonly orgId: string;
  readonly workflowId: string;
}

export class WorkflowWindows {
  /** `<org>#<wf>` -> minute start -> aggregate. */
  constructor(
    private readonly byWorkflow: ReadonlyMap<string, ReadonlyMap<number, Aggregate>>,
    private readonly currentMinute: number,
  ) {}

  workflows(): WorkflowKey[] {
    return [...this.byWorkflow.keys()].map(parseWorkflowKey);
  }

  orgs(): string[] {
    return [...new Set(this.workflows().map((key) => key.orgId))];
  }

  /** One workflow's tasks settled in the last `minutes` minutes. */
  workflow(key: WorkflowKey, minutes: number): Aggregate {
    return this.merged([this.byWorkflow.get(workflowKey(key))], minutes);
  }

  /** Every workflow of an org, over the last `minutes` minutes. */
  org(orgId: string, minutes: number): Aggregate {
    const minutesOf = this.workflows()
      .filter((key) => key.orgId === orgId)
      .map((key) => this.byWorkflow.get(workflowKey(key)));
    return this.merged(minutesOf, minutes);
  }

  private merged(series: (ReadonlyMap<number, Aggregate> | undefined)[], minutes: number): Aggregate {
    const since = this.currentMinute - (minutes - 1) * GRANULARITY_MS.minute;
    let total = EMPTY_AGGREGATE;
    for (const byMinute of series) {
      for (const [start, aggregate] of byMinute ?? []) {
        if (start >= since) total = mergeAggregates(total, aggregate);
      }
    }
    return total;
  }
}

const workflowKey = (key: WorkflowKey) => `${key.orgId}#${key.workflowId}`;
// Workflow ids are slugs (no `#`); an org id may hold one, so the org is everything before the last.
const parseWorkflowKey = (key: string): WorkflowKey => {
  const at = key.lastIndexOf('#');
  return { orgId: key.slice(0, at), workflowId: key.slice(at + 1) };
};

/** Folds what is pending, then reads the workflows' minute items of the last `minutes` minutes. */
export async function readWorkflowWindows(
  store: AggregateStore,
  now: Date,
  minutes: number,
): Promise<WorkflowWindows> {
  await catchUp({ store, now: () => now });
  const current = bucketStartMs(now.getTime(), 'minute');
  const starts = Array.from({ length: minutes }, (_, i) => current - i * GRANULARITY_MS.minute);
  const pages = await Promise.all(
    starts.map((start) => store.query(orgsPartition('minute', start), ORG_WORKFLOW_PREFIX)),
  );
  const byWorkflow = new Map<string, Map<number, Aggregate>>();
  pages.forEach((rows, index) => {
    for (const row of rows) {
      const key = row.sk.slice(ORG_WORKFLOW_PREFIX.length);
      let byMinute = byWorkflow.get(key);
      if (!byMinute) {
        byMinute = new Map();
        byWorkflow.set(key, byMinute);
      }
      byMinute.set(starts[index] as number, row.aggregate);
    }
  });
  return new WorkflowWindows(byWorkflow, current);
}

/** Settled tasks of an aggregate, and those that failed (FAILED and TIMED_OUT; a cancel is no error). */
export function taskCounts(aggregate: Aggregate): { total: number; failed: number } {
  const total = Object.values(aggregate.statuses).reduce((sum, count) => sum + count, 0);
  const failed = (aggregate.statuses.FAILED ?? 0) + (aggregate.statuses.TIMED_OUT ?? 0);
  return { total, failed };
}

/** The run's minute aggregates over the longest window any level sets, read once for every rule using them. */
export function runWindows(run: RuleRun, store: AggregateStore): Promise<WorkflowWindows> {
  const minutes = Math.max(
    run.book.largest((rules) => rules.errorRate.windowMinutes) ?? 1,
    run.book.largest((rules) => rules.slowTasks.windowMinutes) ?? 1,
  );
  return run.once('workflow-windows', () => readWorkflowWindows(store, run.now, minutes));
}
