// The stepwise worker SDK: runs `agent` steps of one worker type in this process.
//
//   import { createWorker } from './sdk/index';   (this repository's sdk/ folder)
//   await createWorker({ type: 'research', concurrency: 4, handler: async ({ input, heartbeat, signal }) => ... }).start();
//
// AWS clients come from the standard environment (region, credentials, AWS_ENDPOINT_URL_SQS/_SFN/_DYNAMODB/
// _LAMBDA for LocalStack or the embedded stack); the worker's resources from the options or STEPWISE_TABLE,
// STEPWISE_WORKER_QUEUE_URL and STEPWISE_AGENT_REPORTS_FUNCTION. SIGTERM/SIGINT stop it gracefully (a second
// one stops it at once) and exit 0.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { workerKey } from '../functions/shared/workers/worker-item';
import packageJson from '../package.json' with { type: 'json' };
import { LambdaAttemptReports } from './attempt-reports';
import { resolveSettings, type WorkerSettingsInput } from './config';
import { SqsStepQueue } from './step-queue';
import { tableClock } from './table-clock';
import { SfnTaskAnswers } from './task-answers';
import { type AgentHandler, type WorkerEvent, WorkerRuntime, type WorkerStatusView } from './worker';
import { DynamoWorkerStore } from './worker-store';

export { DEFAULTS, ENV, WorkerConfigError } from './config';
export type {
  AgentHandler,
  AgentStepContext,
  AgentStepRef,
  AgentTaskRef,
  WorkerEvent,
  WorkerState,
  WorkerStatusView,
} from './worker';
export { StepAbortedError, WorkerShutdownError } from './worker';

export interface WorkerClients {
  readonly sqs: SQSClient;
  readonly sfn: SFNClient;
  readonly dynamodb: DynamoDBClient;
  readonly lambda: LambdaClient;
}

export interface CreateWorkerOptions<I, O> extends WorkerSettingsInput {
  readonly handler: AgentHandler<I, O>;
  /** Clients to use instead of ones from the standard environment (they are not destroyed at stop). */
  readonly clients?: Partial<WorkerClients>;
  /** Stop gracefully on SIGTERM and SIGINT (a second signal ends the grace period). @default true */
  readonly handleSignals?: boolean;
  /** After a signal's stop, exit the process: 0, or 1 when the stop could not be recorded. @default true */
  readonly exitOnSignal?: boolean;
  /** Everything the worker does, as it happens. @default errors printed to stderr */
  readonly onEvent?: (event: WorkerEvent) => void;
}

export interface Worker {
  /** Registers the worker and runs it until it stops; rejects if it cannot start. */
  start(): Promise<void>;
  /** Graceful stop: in-flight steps get gracePeriodSeconds, then fail as Worker.Shutdown. */
  stop(): Promise<void>;
  /** Stop without grace (or end the grace of a stop under way): in-flight steps fail as Worker.Shutdown now. */
  stopNow(): Promise<void>;
  status(): WorkerStatusView;
}

const printErrors = (event: WorkerEvent) => {
  if (event.kind === 'stopped' && !event.recorded) {
    console.error('stepwise worker: stopped, but could not record the stop (its item does not say STOPPED)');
  }
  if (event.kind !== 'error') return;
  const detail = event.error instanceof Error ? `: ${event.error.name}: ${event.error.message}` : '';
  console.error(`stepwise worker: ${event.message}${detail}`);
};

/** Step Functions and DynamoDB calls answer in well under a second; 10 s is a connection that is gone. */
const CALL_TIMEOUT_MS = 10_000;
/** A report runs the agentReports function, which may take its 10 s timeout, and a cold start. */
const REPORT_TIMEOUT_MS = 20_000;

/**
 * A request that no answer will ever come to (the network black-holed it: a NAT or load balancer that
 * dropped the connection, a host that froze) fails after `ms` and is retried by the SDK, where the SDK's
 * default is to wait for ever: the claim, report or item write awaiting it held its slot for good, and a
 * worker whose every slot hung took no step again while its heartbeats kept it looking alive.
 */
const answeredWithin = (ms: number) => ({
  requestHandler: { requestTimeout: ms, throwOnRequestTimeout: true },
});

export function createWorker<I = unknown, O = unknown>(options: CreateWorkerOptions<I, O>): Worker {
  const settings = resolveSettings(options);
  const own: { destroy(): void }[] = [];
  const client = <T extends { destroy(): void }>(given: T | undefined, create: () => T): T => {
    if (given) return given;
    const created = create();
    own.push(created);
    return created;
  };
  const sqs = client(
    options.clients?.sqs,
    () => new SQSClient(answeredWithin(settings.pollWaitSeconds * 1000 + CALL_TIMEOUT_MS)),
  );
  const sfn = client(options.clients?.sfn, () => new SFNClient(answeredWithin(CALL_TIMEOUT_MS)));
  const dynamodb = client(
    options.clients?.dynamodb,
    () => new DynamoDBClient(answeredWithin(CALL_TIMEOUT_MS)),
  );
  const lambda = client(options.clients?.lambda, () => new LambdaClient(answeredWithin(REPORT_TIMEOUT_MS)));
  const documents = DynamoDBDocumentClient.from(dynamodb, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true },
  });
  let stopRecorded = true;
  const runtime = new WorkerRuntime(
    settings,
    options.handler,
    {
      queue: new SqsStepQueue(sqs, settings.queueUrl),
      answers: new SfnTaskAnswers(sfn),
      reports: new LambdaAttemptReports(lambda, settings.reportsFunction),
      store: new DynamoWorkerStore(documents, settings.tableName),
      host: hostname(),
      pid: process.pid,
      version: packageJson.version,
      now: tableClock(dynamodb),
      randomHex: () => randomBytes(2).toString('hex'),
    },
    (event) => {
      if (event.kind === 'stopped') stopRecorded = event.recorded;
      (options.onEvent ?? printErrors)(event);
    },
  );

  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      void runtime.stopNow(`${signal} received again`);
      return;
    }
    signalled = true;
    void runtime.stop(`${signal} received`).then(() => {
      if (options.exitOnSignal !== false) process.exit(stopRecorded ? 0 : 1);
    });
  };

  return {
    async start() {
      const handleSignals = options.handleSignals !== false;
      if (handleSignals) {
        process.on('SIGTERM', onSignal);
        process.on('SIGINT', onSignal);
      }
      try {
        // One read (of an item nobody has) learns the table's clock before the registration is dated.
        await documents
          .send(new GetCommand({ TableName: settings.tableName, Key: workerKey(settings.type, '-') }), {
            abortSignal: AbortSignal.timeout(CALL_TIMEOUT_MS),
          })
          .catch(() => undefined);
        await runtime.start();
      } finally {
        if (handleSignals) {
          process.off('SIGTERM', onSignal);
          process.off('SIGINT', onSignal);
        }
        for (const created of own) created.destroy();
      }
    },
    stop: () => runtime.stop(),
    stopNow: () => runtime.stopNow(),
    status: () => runtime.status(),
  };
}
