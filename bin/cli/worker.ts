// `stepwise worker <module> --type <t>`: runs the handler a module exports (named `handler`, or the
// default export) as a worker of type t, with a one-line live status, until SIGTERM/SIGINT stop it
// gracefully (exit 0). Where the worker's resources are: STEPWISE_WORKER_QUEUE_URL, STEPWISE_TABLE and
// STEPWISE_AGENT_REPORTS_FUNCTION with the standard AWS environment (a deployment); without them, the local
// stack of `npm start`, from the endpoints.json it writes to its data folder.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  type AgentHandler,
  createWorker,
  ENV,
  type WorkerEvent,
  type WorkerStatusView,
} from '../../sdk/index';
import { UsageError } from './format';
import { readLocalEndpoints } from './local-endpoints';

export interface WorkerCommandOptions {
  readonly type: string;
  readonly concurrency?: number;
  readonly heartbeat?: number;
  readonly grace?: number;
}

/** The settings createWorker takes besides the handler, and the AWS environment to set first. */
export interface WorkerTarget {
  readonly tableName?: string;
  readonly queueUrl?: string;
  readonly reportsFunction?: string;
  readonly pollWaitSeconds?: number;
  /** The local stack's heartbeat interval (its dead-after is longer), unless --heartbeat says otherwise. */
  readonly heartbeatIntervalSeconds?: number;
  /** AWS_* variables of the local stack (endpoints, region, credentials). */
  readonly awsEnvironment: Record<string, string>;
  readonly where: string;
}

/** A short poll on the local stack: a stop then waits at most a second for the poll in progress. */
const LOCAL_POLL_WAIT_SECONDS = 1;

export async function resolveWorkerTarget(
  type: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<WorkerTarget> {
  if (env[ENV.queueUrl]) return { awsEnvironment: {}, where: env[ENV.queueUrl] ?? '' };
  const endpoints = await readLocalEndpoints(
    env,
    (file) =>
      `No worker queue: set ${ENV.queueUrl}, ${ENV.tableName} and ${ENV.reportsFunction} (a deployment's outputs), or run \`npm start\` (which writes ${file}; a stack started with STEPWISE_DATA_DIR writes it there: set the same here)`,
  );
  const queueUrl = endpoints.workerQueueUrls?.[type];
  if (!queueUrl) {
    const declared = Object.keys(endpoints.workerQueueUrls ?? {}).join(', ') || 'none';
    throw new UsageError(
      `--type ${type} is not a worker type of the local stack (declared: ${declared}); declare it in cdk.json's workerTypes or STEPWISE_WORKER_TYPES and restart it`,
    );
  }
  return {
    tableName: endpoints.tableName,
    queueUrl,
    reportsFunction: endpoints.agentReportsFunction,
    pollWaitSeconds: LOCAL_POLL_WAIT_SECONDS,
    ...(typeof endpoints.workerHeartbeatSeconds === 'number' && {
      heartbeatIntervalSeconds: endpoints.workerHeartbeatSeconds,
    }),
    awsEnvironment: Object.fromEntries(
      Object.entries(endpoints.environment).filter(([name]) => name.startsWith('AWS_')),
    ),
    where: `the local stack (${endpoints.api})`,
  };
}

/** The module's `handler` export, or its default export. */
export async function loadHandler(modulePath: string): Promise<AgentHandler> {
  const url = pathToFileURL(resolve(modulePath)).href;
  let module: { handler?: unknown; default?: unknown };
  try {
    module = (await import(url)) as typeof module;
  } catch (error) {
    throw new UsageError(`Cannot load ${modulePath}: ${(error as Error).message}`);
  }
  const handler = typeof module.handler === 'function' ? module.handler : module.default;
  if (typeof handler !== 'function') {
    throw new UsageError(
      `${modulePath} exports no handler: export a function named \`handler\`, or a default one`,
    );
  }
  return handler as AgentHandler;
}

const clock = (iso: string | undefined) => (iso ? iso.slice(11, 19) : '-');

/** `<worker> <type> ACTIVE  in flight 1/2  done 14  failed 1  last heartbeat 12:00:31`. */
export function statusLine(status: WorkerStatusView): string {
  return [
    `worker ${status.workerId ?? '(registering)'} ${status.type}`,
    status.state === 'stopping' ? 'STOPPING' : status.status,
    ` in flight ${status.inFlight}/${status.concurrency}`,
    ` done ${status.processed}`,
    ` failed ${status.failed}`,
    ` last heartbeat ${clock(status.lastHeartbeatAt)}`,
  ].join(' ');
}

/** What else goes on a line of its own (above the live status on a terminal). */
function eventLine(event: WorkerEvent): string | undefined {
  const step = (e: { taskId?: string; stepId?: string; mapIndex?: number }) =>
    `task ${e.taskId} step ${e.stepId}${e.mapIndex === undefined ? '' : `[${e.mapIndex}]`}`;
  switch (event.kind) {
    case 'failed':
      return `${step(event)} attempt ${event.attempt} failed: ${event.error}`;
    case 'aborted':
      return `${step(event)} aborted: ${event.reason}`;
    case 'skipped':
      return event.taskId ? `${step(event)} skipped: ${event.reason}` : `message skipped: ${event.reason}`;
    case 'registered':
      return event.previousWorkerId
        ? `worker ${event.previousWorkerId} was marked DEAD; now ${event.workerId}`
        : undefined;
    case 'stopping':
      return `stopping (${event.reason}); ${event.inFlight} step(s) in flight`;
    case 'error': {
      const detail = event.error instanceof Error ? `: ${event.error.name}: ${event.error.message}` : '';
      return `error: ${event.message}${detail}`;
    }
    default:
      return undefined;
  }
}

/** Runs the worker until it stops; the exit code: 0, or 1 when its stop could not be recorded. */
export async function runWorkerCommand(modulePath: string, options: WorkerCommandOptions): Promise<number> {
  const handler = await loadHandler(modulePath);
  const target = await resolveWorkerTarget(options.type);
  Object.assign(process.env, target.awsEnvironment);
  const tty = Boolean(process.stdout.isTTY);
  let shown = '';
  const show = (status: WorkerStatusView) => {
    const line = statusLine(status);
    if (line === shown) return;
    shown = line;
    if (tty) process.stdout.write(`\r\x1b[2K${line}`);
    else process.stdout.write(`${line}\n`);
  };
  // On a terminal other lines go above the status line, which is then drawn again.
  const print = (line: string, stream: NodeJS.WriteStream) => {
    if (tty) process.stdout.write('\r\x1b[2K');
    stream.write(`${line}\n`);
    if (tty) {
      shown = '';
      show(worker.status());
    }
  };
  let stopRecorded = true;
  const worker = createWorker({
    type: options.type,
    handler,
    ...(options.concurrency !== undefined && { concurrency: options.concurrency }),
    ...(target.heartbeatIntervalSeconds !== undefined && {
      heartbeatIntervalSeconds: target.heartbeatIntervalSeconds,
    }),
    ...(options.heartbeat !== undefined && { heartbeatIntervalSeconds: options.heartbeat }),
    ...(options.grace !== undefined && { gracePeriodSeconds: options.grace }),
    ...(target.tableName !== undefined && { tableName: target.tableName }),
    ...(target.queueUrl !== undefined && { queueUrl: target.queueUrl }),
    ...(target.reportsFunction !== undefined && { reportsFunction: target.reportsFunction }),
    ...(target.pollWaitSeconds !== undefined && { pollWaitSeconds: target.pollWaitSeconds }),
    exitOnSignal: false,
    onEvent: (event) => {
      if (event.kind === 'stopped') stopRecorded = event.recorded;
      const line = eventLine(event);
      if (line) print(line, event.kind === 'error' ? process.stderr : process.stdout);
      if (event.kind !== 'error') show(worker.status());
    },
  });
  print(
    `a ${options.type} worker on ${target.where}; Ctrl-C stops it gracefully (twice: at once)`,
    process.stdout,
  );
  // Every heartbeat is an event: the line changes at least once per heartbeat interval.
  await worker.start();
  const status = worker.status();
  if (tty) process.stdout.write('\r\x1b[2K');
  if (!stopRecorded) {
    // Its item still says it runs: the sweeper marks it DEAD once it has been silent past the dead-after.
    process.stderr.write(
      `stopped: worker ${status.workerId} could not record its stop (its item does not say STOPPED), done ${status.processed}, failed ${status.failed}\n`,
    );
    return 1;
  }
  process.stdout.write(
    `stopped: worker ${status.workerId} ${status.status}, done ${status.processed}, failed ${status.failed}\n`,
  );
  return 0;
}
