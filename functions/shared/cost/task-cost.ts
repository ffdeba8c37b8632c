// GET /tasks/{id}'s cost estimate: what the task cost on AWS at list prices (prices.ts) and in LLM tokens,
// per step and in all, computed from what the task records, with no extra read. An estimate, of:
//   per attempt of a step run by the step runner (transform, llm, http, lambda, approval): 1 state
//     transition (a retry is one too), 1 step-runner invocation billed at the attempt's recorded duration
//     plus the runner's own bookkeeping (NOMINAL_MS; an approval's at a record's: its attempt lasts while
//     a person decides, its invocation does not), and its step item writes: 1, or 2 for an attempt of
//     RUNNING_RECORD_AFTER_MS or more (its RUNNING record, which also puts and then deletes the step's two
//     open-step index entries), each of the step item's size in KB, rounded up;
//   per attempt of an agent step: 1 transition, the worker queue's send, receive and delete (3 SQS
//     requests), the agent-reports function's claim and finish (2 invocations), and 2 step writes as above;
//   an approval's request: its notification (1 SNS publish, the alert notifier's invocation); its
//     decision: 1 API request with its authorizer and api invocations;
//   a skipped step: its Choice and its skip record (2 transitions, 1 step-runner invocation, 1 write);
//   a step that failed for good: its failure record and Fail state (2 transitions, 1 invocation, 1 write);
//   a map iteration: its "item done" state (1 transition);
//   the task itself (`task`): the POST that started it and one GET of its result (2 API requests, each
//     with an authorizer and an api invocation), its end's status event (EventBridge, free) and its
//     task-events invocation, each map step's Map state, each wait step's Wait and Pass states (a wait
//     has no step record: the task's step plan names the top-level ones), the create and settle writes
//     (the task item's size, plus its listing index entries) and the reads of all of the above
//     (NOMINAL_READ_UNITS).
// Invocations whose duration the task does not record are billed at NOMINAL_MS (typical warm durations
// on AWS, assumptions rather than measurements); `npm run bench` prints this estimate next to the metered
// figure. Not counted: Choice states of steps that ran and Parallel states (no record names them), a
// `lambda` step's own function, a worker's compute and heartbeats, the metric aggregates' fold, logs,
// storage. LLM cost is the recorded one (telemetry/llm-prices.ts: tokens x the model's price).
import { FUNCTIONS, SETTLED_ROW_ATTRIBUTES } from '../resources';
import type { AttemptRecord, StepRecord, Task } from '../tasks/task';
import {
  type AwsCost,
  type AwsCostBreakdown,
  type AwsUsage,
  addUsage,
  awsCostOf,
  NO_USAGE,
  roundUsd,
} from './aws-cost';
import { lambdaGbSeconds } from './prices';
import { type TemporalCost, temporalCostOf } from './temporal-actions';

/** Billed milliseconds assumed for invocations whose duration the task does not record. */
export const NOMINAL_MS = {
  authorizer: 10,
  apiStartTask: 60,
  apiGetTask: 20,
  taskEvents: 40,
  agentReports: 30,
  /** The alert notifier's handling of an approval request's notification. */
  alertNotifier: 20,
  /** The step runner's reads and writes around an attempt's action (not in the attempt's duration). */
  stepRunnerBookkeeping: 20,
  /** A step runner invocation that only records a step (a skip, a failure for good). */
  stepRunnerRecord: 20,
} as const;

/** Read units assumed per piece of work (its authorizer's key lookup, the item reads before a write). */
export const NOMINAL_READ_UNITS = {
  apiRequest: 2,
  statusEvent: 2,
  stepRunnerInvocation: 2,
  agentReport: 1,
} as const;

/**
 * steps/run-step.ts's threshold past which an attempt gets a RUNNING record, restated here so the api's
 * bundle does not take in the step runner (a unit test holds the two equal).
 */
export const RUNNING_RECORD_AFTER_MS = 250;

/** Index entries a task's writes touch (task-store.ts header): the listing indexes, +1 with an agent. */
const LISTING_ENTRIES = 4;

export interface CostPart {
  readonly aws: AwsCost & { readonly usage: AwsUsage };
  readonly llm: { readonly usd: number };
  readonly totalUsd: number;
}

export interface StepCost extends CostPart {
  readonly stepId: string;
  readonly mapIndex?: number;
}

export interface TaskCost {
  /** Always true: a model of what AWS would bill, not a bill. */
  readonly estimate: true;
  readonly currency: 'USD';
  readonly aws: AwsCost;
  readonly llm: { readonly usd: number };
  readonly totalUsd: number;
  /** The task's own share: its start, its end's status event, task item writes and the read of its result. */
  readonly task: CostPart;
  readonly steps: readonly StepCost[];
  /** The same steps in Temporal Cloud Actions at its list price, for comparison (temporal-actions.ts). */
  readonly temporalCloud: TemporalCost;
}

type CostedStep = Pick<
  StepRecord,
  'stepId' | 'mapIndex' | 'stepType' | 'status' | 'attempts' | 'history' | 'historyDropped'
>;

const kb = (value: unknown) => Math.max(1, Math.ceil(Buffer.byteLength(JSON.stringify(value)) / 1024));
const projected = (item: object, attributes: readonly string[]) =>
  Object.fromEntries(Object.entries(item).filter(([name]) => attributes.includes(name)));

const invocation = (fn: keyof typeof FUNCTIONS, ms: number): Partial<AwsUsage> => ({
  lambdaRequests: 1,
  lambdaGbSeconds: lambdaGbSeconds(FUNCTIONS[fn].memoryMb, ms),
});

/** One API request: API Gateway's, its authorizer's and the api function's. */
const apiRequest = (ms: number): AwsUsage =>
  [
    { apiRequests: 1, readUnits: NOMINAL_READ_UNITS.apiRequest },
    invocation('authorizer', NOMINAL_MS.authorizer),
    invocation('api', ms),
  ].reduce(addUsage, NO_USAGE);

/** The step item's writes for one attempt: 1, or 2 with its open-step index entries (gsi1, gsi2: ALL). */
function attemptWrites(attempt: AttemptRecord, itemUnits: number, alwaysRunningRecord: boolean): number {
  const withRunningRecord = alwaysRunningRecord || (attempt.durationMs ?? 0) >= RUNNING_RECORD_AFTER_MS;
  return withRunningRecord ? 2 * 3 * itemUnits : itemUnits;
}

function stepUsage(step: CostedStep): AwsUsage {
  const itemUnits = kb(step);
  const parts: Partial<AwsUsage>[] = [];
  // Attempts beyond the kept history (historyDropped) are billed like the last kept one.
  const attempts = [...step.history];
  const last = attempts.at(-1);
  for (let i = 0; last && i < (step.historyDropped ?? 0); i++) attempts.push(last);
  for (const attempt of attempts) {
    if (step.stepType === 'agent') {
      parts.push(
        { transitions: 1, sqsRequests: 3, writeUnits: attemptWrites(attempt, itemUnits, true) },
        invocation('agentReports', NOMINAL_MS.agentReports),
        invocation('agentReports', NOMINAL_MS.agentReports),
        { readUnits: 2 * NOMINAL_READ_UNITS.agentReport },
      );
    } else {
      parts.push(
        { transitions: 1, writeUnits: attemptWrites(attempt, itemUnits, false) },
        // An approval's attempt lasts while a person decides; its invocation only stores the token and
        // notifies (waitForTaskToken), so it is billed as a record.
        invocation(
          'stepRunner',
          step.stepType === 'approval'
            ? NOMINAL_MS.stepRunnerRecord
            : (attempt.durationMs ?? 0) + NOMINAL_MS.stepRunnerBookkeeping,
        ),
        { readUnits: NOMINAL_READ_UNITS.stepRunnerInvocation },
      );
    }
    if (step.stepType === 'approval') {
      parts.push({ snsPublishes: 1 }, invocation('alertNotifier', NOMINAL_MS.alertNotifier));
    }
    if (attempt.decision) parts.push(apiRequest(NOMINAL_MS.apiGetTask));
  }
  const record = (): Partial<AwsUsage>[] => [
    { transitions: 2, writeUnits: itemUnits, readUnits: NOMINAL_READ_UNITS.stepRunnerInvocation },
    invocation('stepRunner', NOMINAL_MS.stepRunnerRecord),
  ];
  if (step.status === 'SKIPPED') parts.push(...record());
  else if (step.status === 'FAILED') parts.push(...record());
  if (step.mapIndex !== undefined) parts.push({ transitions: 1 });
  return parts.reduce(addUsage, NO_USAGE);
}

function taskUsage(task: Task): AwsUsage {
  // The item as created (no output or metrics yet), as settled, and its settled index entry (gsi13).
  const createdUnits = kb({ ...task, output: undefined, metrics: undefined, stepPlan: undefined });
  const settledUnits = kb(task);
  const settledEntryUnits = kb(projected(task, SETTLED_ROW_ATTRIBUTES));
  const entries = LISTING_ENTRIES + (task.agentId ? 1 : 0);
  const tags = Object.keys(task.tags ?? {}).length;
  const plan = task.stepPlan?.steps ?? [];
  const stateless = plan.filter(([, type]) => type === 'map').length + 2 * waitsOf(task);
  // Only the execution's end has a status event routed to the stack (the task is RUNNING from its create).
  const statusEvents = task.endedAt
    ? [
        { eventBridgeEvents: 1, readUnits: NOMINAL_READ_UNITS.statusEvent },
        invocation('taskEvents', NOMINAL_MS.taskEvents),
      ]
    : [];
  // Create: the item, its listing entries, its idempotency item and tag items (each in two listing
  // indexes). Settle: the item with its output and metrics, its settled index entry (without the output),
  // the status entries moved and the other rows updated.
  const writeUnits =
    createdUnits +
    entries +
    (task.idempotencyKey ? 1 : 0) +
    3 * tags +
    (task.endedAt ? settledUnits + settledEntryUnits + entries + 2 : 0);
  return [
    apiRequest(NOMINAL_MS.apiStartTask),
    apiRequest(NOMINAL_MS.apiGetTask),
    ...statusEvents,
    { transitions: stateless, writeUnits },
  ].reduce(addUsage, NO_USAGE);
}

/** The task's top-level wait steps (nested ones are not in its step plan). */
const waitsOf = (task: Task) => (task.stepPlan?.steps ?? []).filter(([, type]) => type === 'wait').length;

function part(usage: AwsUsage, llmUsd: number): CostPart {
  const aws = awsCostOf(usage);
  return { aws: { ...aws, usage }, llm: { usd: roundUsd(llmUsd) }, totalUsd: roundUsd(aws.usd + llmUsd) };
}

const llmUsdOf = (step: CostedStep) =>
  step.history.reduce((sum, attempt) => sum + (attempt.llm?.costUsd ?? 0), 0);

export function estimateTaskCost(task: Task, steps: readonly CostedStep[]): TaskCost {
  const own = part(taskUsage(task), 0);
  const stepCosts: StepCost[] = steps.map((step) => ({
    stepId: step.stepId,
    ...(step.mapIndex !== undefined && { mapIndex: step.mapIndex }),
    ...part(stepUsage(step), llmUsdOf(step)),
  }));
  const parts: CostPart[] = [own, ...stepCosts];
  const sum = (pick: (p: CostPart) => number) => roundUsd(parts.reduce((total, p) => total + pick(p), 0));
  const breakdown = Object.fromEntries(
    Object.keys(own.aws.breakdown).map((key) => [
      key,
      sum((p) => p.aws.breakdown[key as keyof AwsCostBreakdown]),
    ]),
  ) as unknown as AwsCostBreakdown;
  return {
    estimate: true,
    currency: 'USD',
    aws: { usd: sum((p) => p.aws.usd), breakdown },
    llm: { usd: sum((p) => p.llm.usd) },
    totalUsd: sum((p) => p.totalUsd),
    task: own,
    steps: stepCosts,
    temporalCloud: temporalCostOf(steps, waitsOf(task)),
  };
}
