// The cost arithmetic: list prices applied to usage, the estimate GET /tasks/{id} computes from a task's
// records (exact figures for a known task, worked out by hand in the comments), and the Temporal Cloud
// Actions the same steps bill.
import { describe, expect, it } from 'vitest';
import { awsCostOf, NO_USAGE } from '../../../functions/shared/cost/aws-cost';
import { lambdaGbSeconds } from '../../../functions/shared/cost/prices';
import { estimateTaskCost, RUNNING_RECORD_AFTER_MS } from '../../../functions/shared/cost/task-cost';
import { temporalCostOf } from '../../../functions/shared/cost/temporal-actions';
import { RUNNING_RECORD_AFTER_MS as STEP_RUNNER_THRESHOLD } from '../../../functions/shared/steps/run-step';
import type { StepRecord, Task } from '../../../functions/shared/tasks/task';

const task: Task = {
  taskId: 'task-1',
  orgId: 'org-1',
  workflowId: 'wf',
  workflowVersion: 1,
  status: 'SUCCEEDED',
  input: { text: 'hi' },
  output: { ok: true },
  executionArn: 'arn:aws:states:us-east-1:000000000000:execution:m:task-1',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:01.000Z',
  startedAt: '2026-01-01T00:00:00.100Z',
  endedAt: '2026-01-01T00:00:01.000Z',
};

const step = (
  fields: Partial<StepRecord> & Pick<StepRecord, 'stepId' | 'stepType' | 'status'>,
): StepRecord => ({
  orgId: 'org-1',
  workflowId: 'wf',
  attempts: fields.history?.length ?? 0,
  updatedAt: '2026-01-01T00:00:01.000Z',
  history: [],
  ...fields,
});

const at = '2026-01-01T00:00:00.200Z';
const steps: StepRecord[] = [
  step({
    stepId: 'normalize',
    stepType: 'transform',
    status: 'SUCCEEDED',
    history: [{ attempt: 1, status: 'SUCCEEDED', startedAt: at, durationMs: 80 }],
  }),
  step({
    stepId: 'summarize',
    stepType: 'llm',
    status: 'SUCCEEDED',
    history: [
      { attempt: 1, status: 'FAILED', startedAt: at, durationMs: 300 },
      {
        attempt: 2,
        status: 'SUCCEEDED',
        startedAt: at,
        durationMs: 120,
        llm: {
          provider: 'openai',
          model: 'gpt-4o-mini',
          calls: 1,
          tokensIn: 100,
          tokensOut: 50,
          cachedTokens: 0,
          toolCalls: 0,
          latencyMs: 100,
          costUsd: 0.000123,
        },
      },
    ],
  }),
  step({ stepId: 'skip', stepType: 'transform', status: 'SKIPPED' }),
];

describe('prices', () => {
  it('bills Lambda duration rounded up to the millisecond, times the memory in GB', () => {
    expect(lambdaGbSeconds(1024, 1.0001)).toBe(0.002);
    expect(lambdaGbSeconds(512, 100)).toBe(0.05);
  });

  it('prices each service at its us-east-1 list price and adds up the parts', () => {
    const cost = awsCostOf({
      ...NO_USAGE,
      transitions: 1_000,
      lambdaRequests: 1_000_000,
      lambdaGbSeconds: 1,
      writeUnits: 1_000_000,
      readUnits: 1_000_000,
      apiRequests: 1_000_000,
      eventBridgeEvents: 5,
      sqsRequests: 1_000_000,
      snsPublishes: 1_000_000,
    });
    expect(cost.breakdown).toEqual({
      stepFunctions: 0.025,
      lambda: 0.200013333,
      dynamodb: 0.75,
      apiGateway: 1,
      eventBridge: 0,
      sqs: 0.4,
      sns: 0.5,
    });
    expect(cost.usd).toBe(2.875013333);
  });
});

describe('estimateTaskCost', () => {
  const cost = estimateTaskCost(task, steps);

  it('holds the step runner threshold for RUNNING records equal to the step runner', () => {
    expect(RUNNING_RECORD_AFTER_MS).toBe(STEP_RUNNER_THRESHOLD);
  });

  it("estimates the task's own share: its start, a read of its result, its end's status event and its writes", () => {
    // 2 API requests (each: 1 authorizer at 256 MB x 10 ms + 1 api at 512 MB x 60 or 20 ms, 2 RCU),
    // 1 status event, its end's (1 task-events at 256 MB x 40 ms, 2 RCU; the task is RUNNING from its
    // create, so no RUNNING event is routed), writes 1+4 (create) + 1+1+4+2 (settle: the item, its settled
    // index entry, the status entries moved, the other rows updated) = 13 WCU.
    expect(cost.task.aws.usage).toEqual({
      ...NO_USAGE,
      lambdaRequests: 5,
      lambdaGbSeconds: 0.055,
      writeUnits: 13,
      readUnits: 6,
      apiRequests: 2,
      eventBridgeEvents: 1,
    });
    // Lambda 5 x $0.2/1M + 0.055 GB-s x $0.0000133334 = 0.000001733; DynamoDB 13 x $0.625/1M + 6 x
    // $0.125/1M = 0.000008875; API 2 x $1/1M.
    expect(cost.task.aws.breakdown).toMatchObject({
      lambda: 0.000001733,
      dynamodb: 0.000008875,
      apiGateway: 0.000002,
    });
    expect(cost.task.totalUsd).toBe(0.000012608);
  });

  it('bills each attempt a transition, a step-runner invocation and its writes; a retry too', () => {
    const [normalize, summarize, skip] = cost.steps;
    // 1 transition, 1 invocation of 1024 MB x (80 + 20) ms, 1 write, 2 RCU.
    expect(normalize?.aws.usage).toMatchObject({
      transitions: 1,
      lambdaRequests: 1,
      lambdaGbSeconds: 0.1,
      writeUnits: 1,
    });
    expect(normalize?.aws.usd).toBe(0.000027408);
    // The failed first attempt ran 300 ms (>= 250: a RUNNING record, 3 WCU in, 3 out) and the second 120.
    expect(summarize?.aws.usage).toMatchObject({
      transitions: 2,
      lambdaRequests: 2,
      lambdaGbSeconds: 0.46,
      writeUnits: 7,
      readUnits: 4,
    });
    expect(summarize?.aws.usd).toBe(0.000061408);
    expect(summarize?.llm.usd).toBe(0.000123);
    expect(summarize?.totalUsd).toBe(0.000184408);
    // A skipped step: its Choice and skip record (2 transitions), the runner's record (20 ms), 1 write.
    expect(skip?.aws.usage).toMatchObject({
      transitions: 2,
      lambdaRequests: 1,
      lambdaGbSeconds: 0.02,
      writeUnits: 1,
    });
    expect(skip?.aws.usd).toBe(0.000051342);
  });

  it('adds the parts up to the totals', () => {
    expect(cost.aws.usd).toBe(0.000152766);
    expect(cost.llm.usd).toBe(0.000123);
    expect(cost.totalUsd).toBe(0.000275766);
    expect(cost.aws.breakdown.stepFunctions).toBe(0.000125);
    expect(cost.estimate).toBe(true);
  });

  it('compares with Temporal Cloud: a workflow start and an activity per attempt, $50 per 1M Actions', () => {
    expect(cost.temporalCloud).toEqual({ actions: 4, usd: 0.0002 });
  });

  it("bills an agent attempt's queue requests and reports, an approval's notification and decision", () => {
    const agent = step({
      stepId: 'research',
      stepType: 'agent',
      status: 'SUCCEEDED',
      mapIndex: 0,
      history: [{ attempt: 1, status: 'SUCCEEDED', startedAt: at, durationMs: 1600 }],
    });
    const approval = step({
      stepId: 'approve',
      stepType: 'approval',
      status: 'SUCCEEDED',
      history: [{ attempt: 1, status: 'SUCCEEDED', startedAt: at, durationMs: 90_000, decision: 'approve' }],
    });
    const [research, approve] = estimateTaskCost(task, [agent, approval]).steps;
    // 1 transition + its map iteration's "item done"; send, receive, delete; claim and finish (256 MB x
    // 30 ms each); a RUNNING record and the finish (3 WCU each).
    expect(research?.aws.usage).toEqual({
      ...NO_USAGE,
      transitions: 2,
      sqsRequests: 3,
      lambdaRequests: 2,
      lambdaGbSeconds: 0.015,
      writeUnits: 6,
      readUnits: 2,
    });
    expect(research?.mapIndex).toBe(0);
    // The request (a step-runner invocation), its notification (1 SNS publish, the notifier at 256 MB x
    // 20 ms) and the decision (1 API request: the authorizer at 256 MB x 10 ms, the api at 512 MB x 20).
    expect(approve?.aws.usage).toMatchObject({
      transitions: 1,
      snsPublishes: 1,
      apiRequests: 1,
      lambdaRequests: 4,
    });
  });

  it("counts a map's Map state and a wait's Wait and Pass states from the task's step plan", () => {
    const planned: Task = {
      ...task,
      stepPlan: {
        steps: [
          ['pause', 'wait'],
          ['each', 'map'],
        ],
      },
    };
    const estimate = estimateTaskCost(planned, []);
    expect(estimate.task.aws.usage.transitions).toBe(3);
    expect(estimate.temporalCloud.actions).toBe(2);
  });

  it('counts the size of a large step item in KB in each of its writes', () => {
    const big = step({
      stepId: 'big',
      stepType: 'transform',
      status: 'SUCCEEDED',
      history: [
        { attempt: 1, status: 'SUCCEEDED', startedAt: at, durationMs: 10, outputSummary: 'x'.repeat(2500) },
      ],
    });
    expect(estimateTaskCost(task, [big]).steps[0]?.aws.usage.writeUnits).toBe(3);
  });

  it("counts a large output once, in the settle's item: the settled index entry does not hold it", () => {
    // The settled item is about 10.5 KB: 11 WCU, its settled entry 1; the rest as for the small task.
    const estimate = estimateTaskCost({ ...task, output: { text: 'x'.repeat(10_500) } }, steps);
    expect(estimate.task.aws.usage.writeUnits).toBe(1 + 4 + 11 + 1 + 4 + 2);
  });
});

describe('temporalCostOf', () => {
  it('counts agent heartbeats per 30 s interval, an approval decision as a signal and a wait as a timer', () => {
    const agent = step({
      stepId: 'a',
      stepType: 'agent',
      status: 'SUCCEEDED',
      history: [{ attempt: 1, status: 'SUCCEEDED', startedAt: at, durationMs: 65_000 }],
    });
    const approval = step({
      stepId: 'b',
      stepType: 'approval',
      status: 'SUCCEEDED',
      history: [{ attempt: 1, status: 'SUCCEEDED', startedAt: at, decision: 'approve' }],
    });
    const skipped = step({ stepId: 'd', stepType: 'llm', status: 'SKIPPED' });
    // start 1 + agent (1 attempt + 2 heartbeats) + approval (1 + 1 signal) + skipped 0 + a wait's timer 1.
    expect(temporalCostOf([agent, approval, skipped], 1).actions).toBe(7);
  });
});
