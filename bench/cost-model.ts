// What a task of each example costs on AWS at list prices, metered on the embedded stack, next to what the
// same steps would cost in Temporal Cloud Actions. Tasks run one at a time (concurrency 1) with the stack's
// schedules off, so everything metered between a task's POST and its settle is that task's:
//  - Step Functions state transitions: the StateEntered events of its execution's history, plus each Task
//    retry (a Task's scheduled attempts beyond its entry), as AWS bills them;
//  - Lambda invocations and GB-seconds: each invocation's memory (FUNCTIONS) x its handler time rounded up
//    to 1 ms (local/invocation-meter.ts), the authorizer's included;
//  - DynamoDB write units (table + estimated index units, local/dynamodb-write-meter.ts) and read units
//    (local/dynamodb-read-meter.ts);
//  - API Gateway requests: the task's POST, one GET of the result, an approval's decision (the bench waits
//    on the meters, not by polling the API);
//  - EventBridge events: the execution's status changes the task-events function received;
//  - SQS requests: each message Step Functions sends to a worker queue (from the history) and the worker's
//    requests (counted by its SQS client), but for the receives that found nothing: a worker's empty long
//    polls are the worker's, not a task's;
//  - SNS publishes: the alert notifier's invocations (an approval's notification; none in the examples run
//    here: publish_report waits for a person, so it is not among them).
// Not counted: the worker item's heartbeat writes (per worker, not per task), the metric aggregates' fold
// (amortized over every task of a slot, under 1 write per task: see the throughput benchmark), CloudWatch
// logs and metrics, storage, data transfer. The Temporal column counts the Actions the same steps bill in
// Temporal Cloud (functions/shared/cost/temporal-actions.ts). Under each example, a second line gives
// GET /tasks/{id}'s own estimate of the same tasks, from their records alone (functions/shared/cost/task-cost.ts).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { handler as researchHandler } from '../examples/workers/research';
import {
  type AwsUsage,
  addUsage,
  awsCostOf,
  NO_USAGE,
  usdPerMillion,
} from '../functions/shared/cost/aws-cost';
import { lambdaGbSeconds } from '../functions/shared/cost/prices';
import type { TaskCost } from '../functions/shared/cost/task-cost';
import { temporalUsd } from '../functions/shared/cost/temporal-actions';
import { type LocalStack, startLocalStack } from '../local/stack';
import { createWorker } from '../sdk/index';
import { exampleWorkflow, stackApi } from './stack-api';

const EXAMPLES = [
  'basic_sequence',
  'conditional_workflow',
  'parallel_processing',
  'data_pipeline',
  'agent_pipeline',
  'company_research',
] as const;

/** The examples to run: STEPWISE_BENCH_COST_EXAMPLES (comma-separated), default all. */
const SELECTED = process.env.STEPWISE_BENCH_COST_EXAMPLES?.split(',') ?? EXAMPLES;

/** Tasks per example: STEPWISE_BENCH_COST_TASKS, default 3. */
const TASKS = Number(process.env.STEPWISE_BENCH_COST_TASKS ?? 3);

interface TaskDetail {
  taskId: string;
  status: string;
  executionArn: string;
  cost?: TaskCost;
}

interface Measured {
  readonly usage: AwsUsage;
  readonly temporalActions: number;
  /** The usage GET /tasks/{id} estimated from the task's records. */
  readonly estimate: AwsUsage;
  readonly ok: boolean;
}

export async function benchCostModel(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'stepwise-bench-cost-'));
  const stack = await startLocalStack({
    dataDir,
    apiPort: 0,
    logLevel: 'ERROR',
    schedules: false,
    meterDynamoDb: { writes: true, reads: true },
    meterInvocations: true,
  });
  const call = stackApi(stack);
  const sfn = new SFNClient({
    region: stack.endpoints.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    endpoint: stack.endpoints.stepfunctions,
  });
  const worker = startResearchWorker(stack);
  try {
    console.log(
      `cost per task, metered on the embedded stack (n=${TASKS} per example, concurrency 1), priced at AWS us-east-1 list prices and Temporal Cloud's $50 per 1M Actions (functions/shared/cost/prices.ts); usage per task, dollars per 1M tasks; each example's second line is GET /tasks/{id}'s estimate from the task's records:`,
    );
    console.log(
      `  ${'example'.padEnd(21)} ${'transitions'.padStart(11)} ${'lambda'.padStart(6)} ${'GB-s'.padStart(7)} ${'WCU'.padStart(5)} ${'RCU'.padStart(5)} ${'API'.padStart(3)} ${'events'.padStart(6)} ${'SQS'.padStart(3)} | ${'AWS $/1M'.padStart(9)} (${'SFN'.padStart(6)} ${'Lambda'.padStart(6)} ${'Dynamo'.padStart(6)} ${'API'.padStart(5)} ${'SQS'.padStart(5)}) | ${'actions'.padStart(7)} ${'Temporal $/1M'.padStart(13)}`,
    );
    for (const id of SELECTED) {
      const definition = await exampleWorkflow(id);
      await call('POST', '/workflows', definition);
      const input = JSON.parse(
        await readFile(new URL(`../examples/inputs/${id}.json`, import.meta.url), 'utf8'),
      );
      // A first task loads each handler module (an init Lambda bills apart from a warm run's duration).
      await measureTask(stack, worker, call, sfn, definition.id, input);
      const runs: Measured[] = [];
      for (let i = 0; i < TASKS; i++)
        runs.push(await measureTask(stack, worker, call, sfn, definition.id, input));
      printRow(id, runs);
    }
  } finally {
    await worker.stop();
    await worker.done;
    sfn.destroy();
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/**
 * The example `research` worker, in this process, on the stack's queue; `sqsRequests` counts its SQS
 * requests but for the receives that found no message.
 */
function startResearchWorker(stack: LocalStack) {
  Object.assign(
    process.env,
    Object.fromEntries(
      Object.entries(stack.endpoints.environment).filter(([name]) => name.startsWith('AWS_')),
    ),
  );
  const sqs = new SQSClient({});
  const counted = { sqsRequests: 0 };
  sqs.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const output = result.output as { Messages?: unknown[] };
      if (context.commandName !== 'ReceiveMessageCommand' || (output.Messages?.length ?? 0) > 0) {
        counted.sqsRequests++;
      }
      return result;
    },
    { step: 'initialize', name: 'countTaskRequests' },
  );
  const worker = createWorker({
    clients: { sqs },
    type: 'research',
    concurrency: 4,
    pollWaitSeconds: 1,
    tableName: stack.endpoints.tableName,
    queueUrl: stack.endpoints.workerQueueUrls.research ?? '',
    reportsFunction: stack.endpoints.agentReportsFunction,
    handler: researchHandler,
    handleSignals: false,
    onEvent: () => undefined,
  });
  const done = worker.start().finally(() => sqs.destroy());
  return { stop: () => worker.stop(), done, counted };
}

async function measureTask(
  stack: LocalStack,
  worker: ReturnType<typeof startResearchWorker>,
  call: ReturnType<typeof stackApi>,
  sfn: SFNClient,
  workflowId: string,
  input: unknown,
): Promise<Measured> {
  const meter = stack.runtime.meter;
  if (!meter) throw new Error('The cost model needs the stack started with meterInvocations');
  const workerSqsBefore = worker.counted.sqsRequests;
  const invocationsBefore = meter.invocations().length;
  const writesBefore = stack.dynamodbWrites().length;
  const readsBefore = totalOf(stack.dynamodbReadUnits());
  const { taskId, executionArn } = await call<TaskDetail>('POST', '/tasks', { workflowId, input });
  // Settled once the terminal status event's task-events invocation has returned (the only one routed).
  const statusEvents = () =>
    meter
      .invocations()
      .slice(invocationsBefore)
      .filter((invocation) => invocation.source === 'aws.states').length;
  for (;;) {
    if (statusEvents() >= 1) {
      const { status } = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (status !== 'RUNNING') break;
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const task = await call<TaskDetail>('GET', `/tasks/${taskId}`);
  const invocations = meter.invocations().slice(invocationsBefore);
  const writes = stack
    .dynamodbWrites()
    .slice(writesBefore)
    .filter((write) => write.kind !== 'WORKER');
  const history = await executionHistory(sfn, executionArn);
  const entered = history.filter((event) => event.type?.endsWith('StateEntered')).length;
  if (entered === 0)
    throw new Error(`The history of ${executionArn} has no state events to count transitions by`);
  const taskEntries = history.filter((event) => event.type === 'TaskStateEntered').length;
  const scheduled = history.filter((event) => event.type?.endsWith('Scheduled'));
  const sqsMessages = scheduled.filter((event) =>
    String(event.taskScheduledEventDetails?.resource ?? '').startsWith('sendMessage'),
  ).length;
  const usage: AwsUsage = {
    transitions: entered + Math.max(0, scheduled.length - taskEntries),
    lambdaRequests: invocations.length,
    lambdaGbSeconds: invocations.reduce((sum, i) => sum + lambdaGbSeconds(i.memoryMb, i.durationMs), 0),
    writeUnits: writes.reduce((sum, write) => sum + write.wcu + write.indexWcu, 0),
    readUnits: totalOf(stack.dynamodbReadUnits()) - readsBefore,
    apiRequests: invocations.filter((i) => i.routeKey !== undefined && !i.authorizer).length,
    eventBridgeEvents: invocations.filter((i) => i.source === 'aws.states').length,
    sqsRequests: sqsMessages + worker.counted.sqsRequests - workerSqsBefore,
    // Each publish reaches the alert notifier (the only SNS subscriber that runs here).
    snsPublishes: invocations.filter((i) => i.folder === 'alert-notifier').length,
  };
  return {
    usage,
    temporalActions: task.cost?.temporalCloud.actions ?? Number.NaN,
    estimate: [task.cost?.task, ...(task.cost?.steps ?? [])].reduce(
      (sum, part) => addUsage(sum, part?.aws.usage ?? {}),
      NO_USAGE,
    ),
    ok: task.status === 'SUCCEEDED',
  };
}

async function executionHistory(sfn: SFNClient, executionArn: string) {
  const events = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, nextToken, includeExecutionData: false }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

const totalOf = (byOperation: Record<string, number>) =>
  Object.values(byOperation).reduce((sum, units) => sum + units, 0);

function printRow(id: string, runs: readonly Measured[]) {
  const mean = (pick: (run: Measured) => number) =>
    runs.reduce((sum, run) => sum + pick(run), 0) / runs.length;
  const meanUsage = (pick: (run: Measured) => AwsUsage) =>
    Object.fromEntries(
      Object.keys(NO_USAGE).map((key) => [key, mean((run) => pick(run)[key as keyof AwsUsage])]),
    ) as unknown as AwsUsage;
  const actions = mean((run) => run.temporalActions);
  const failed = runs.filter((run) => !run.ok).length;
  console.log(
    `  ${id.padEnd(21)} ${columns(meanUsage((run) => run.usage))} | ${actions.toFixed(1).padStart(7)} ${perMillion(temporalUsd(actions)).padStart(13)}${failed > 0 ? `  (${failed} of ${runs.length} tasks did not succeed)` : ''}`,
  );
  console.log(`  ${'  GET estimate'.padEnd(21)} ${columns(meanUsage((run) => run.estimate))}`);
}

const perMillion = (usd: number) => usdPerMillion(usd).toFixed(2);

/** Usage per task, then its AWS cost per 1M tasks by service. */
function columns(usage: AwsUsage): string {
  const { usd, breakdown: b } = awsCostOf(usage);
  const n = (value: number, digits: number, width: number) => value.toFixed(digits).padStart(width);
  return `${n(usage.transitions, 1, 11)} ${n(usage.lambdaRequests, 1, 6)} ${n(usage.lambdaGbSeconds, 3, 7)} ${n(usage.writeUnits, 1, 5)} ${n(usage.readUnits, 1, 5)} ${n(usage.apiRequests, 0, 3)} ${n(usage.eventBridgeEvents, 0, 6)} ${n(usage.sqsRequests, 0, 3)} | ${perMillion(usd).padStart(9)} (${perMillion(b.stepFunctions).padStart(6)} ${perMillion(b.lambda).padStart(6)} ${perMillion(b.dynamodb).padStart(6)} ${perMillion(b.apiGateway).padStart(5)} ${perMillion(b.sqs + b.sns).padStart(5)})`;
}
