// The Temporal Cloud Actions the same work would bill, counted from a task's step records, to compare
// with what it costs on AWS (docs.temporal.io/cloud/actions). A workflow written the natural way in
// Temporal, step for step:
//   - the task: 1 (Workflow started);
//   - each attempt of a step that runs code (transform, llm, http, lambda, agent): 1 (Activity started or
//     retried: every attempt, as every Step Functions retry is a transition);
//   - an agent step's heartbeats reaching the server: 1 per heartbeat interval the attempt lasted (our
//     workers heartbeat every 30 s by default; Temporal's SDKs throttle to 80% of the heartbeat timeout);
//   - an approval: its notification activity (its attempts, as above) and the decision, 1 (Signal sent);
//   - a wait step: 1 (Timer started; waits have no step record: the caller counts them from the plan);
//   - conditions, skips, parallel branches, maps and the bookkeeping of a failure: workflow code, 0.
// Not counted: storage (Active and Retained, billed per GB-hour) and the plan's share (10% of usage spend,
// or a monthly minimum), nor the compute that runs Temporal's workers, which a Temporal user pays apart.
import type { StepRecord } from '../tasks/task';
import { roundUsd } from './aws-cost';
import { TEMPORAL_PRICES } from './prices';

/** The SDK's default heartbeat interval (sdk/config.ts DEFAULTS): one heartbeat Action per interval run. */
const WORKER_HEARTBEAT_MS = 30_000;

const ACTIVITY_TYPES = new Set(['transform', 'llm', 'http', 'lambda', 'agent', 'approval']);

type CountedStep = Pick<StepRecord, 'stepType' | 'attempts' | 'history'>;

/** Actions one step record bills (a map iteration is its own record). */
export function stepActions(step: CountedStep): number {
  if (!ACTIVITY_TYPES.has(step.stepType)) return 0;
  let actions = step.attempts;
  if (step.stepType === 'agent') {
    for (const attempt of step.history) {
      actions += Math.floor((attempt.durationMs ?? 0) / WORKER_HEARTBEAT_MS);
    }
  }
  if (step.stepType === 'approval') actions += step.history.filter((attempt) => attempt.decision).length;
  return actions;
}

export interface TemporalCost {
  readonly actions: number;
  readonly usd: number;
}

/** The task's Actions: its start, its steps' and its `waits` timers. */
export function temporalCostOf(steps: readonly CountedStep[], waits = 0): TemporalCost {
  const actions = 1 + waits + steps.reduce((sum, step) => sum + stepActions(step), 0);
  return { actions, usd: temporalUsd(actions) };
}

export const temporalUsd = (actions: number) => roundUsd(actions * TEMPORAL_PRICES.action);
