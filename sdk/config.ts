// A worker's settings: the options given to createWorker, else the environment (STEPWISE_TABLE,
// STEPWISE_WORKER_QUEUE_URL, STEPWISE_AGENT_REPORTS_FUNCTION; STEPWISE_WORKER_POLL_WAIT_SECONDS,
// STEPWISE_WORKER_HEARTBEAT_SECONDS, the variable that also tells the local stack the interval), checked
// once at creation so a missing or wrong one fails with its name before anything is polled.
import { DEFAULT_HEARTBEAT_SECONDS } from '../functions/shared/workers/dead-after';
import { MAX_WORKER_CONCURRENCY } from '../functions/shared/workers/worker-item';

export const ENV = {
  tableName: 'STEPWISE_TABLE',
  queueUrl: 'STEPWISE_WORKER_QUEUE_URL',
  reportsFunction: 'STEPWISE_AGENT_REPORTS_FUNCTION',
  pollWaitSeconds: 'STEPWISE_WORKER_POLL_WAIT_SECONDS',
  heartbeatIntervalSeconds: 'STEPWISE_WORKER_HEARTBEAT_SECONDS',
} as const;

export const DEFAULTS = {
  concurrency: 1,
  heartbeatIntervalSeconds: DEFAULT_HEARTBEAT_SECONDS,
  gracePeriodSeconds: 30,
  /** SQS long polling at its maximum: fewest requests; a stop waits for the poll in progress to return. */
  pollWaitSeconds: 20,
} as const;

export class WorkerConfigError extends Error {
  override name = 'WorkerConfigError';
}

export interface WorkerSettingsInput {
  readonly type: string;
  readonly concurrency?: number;
  readonly heartbeatIntervalSeconds?: number;
  readonly gracePeriodSeconds?: number;
  readonly pollWaitSeconds?: number;
  readonly tableName?: string;
  readonly queueUrl?: string;
  readonly reportsFunction?: string;
}

export interface WorkerSettings {
  readonly type: string;
  readonly concurrency: number;
  readonly heartbeatIntervalSeconds: number;
  readonly gracePeriodSeconds: number;
  readonly pollWaitSeconds: number;
  readonly tableName: string;
  readonly queueUrl: string;
  readonly reportsFunction: string;
}

const SLUG = /^[a-z0-9][a-z0-9_-]{0,63}$/;

function seconds(name: string, value: number | undefined, fallback: number, min: 0 | 'above 0'): number {
  const result = value ?? fallback;
  const low = min === 0 ? result < 0 : result <= 0;
  if (typeof result !== 'number' || !Number.isFinite(result) || low || result > 3600) {
    const range = min === 0 ? 'from 0' : 'above 0';
    throw new WorkerConfigError(
      `${name} must be a number of seconds ${range} up to 3600, got ${String(value)}`,
    );
  }
  return result;
}

function required(
  name: 'tableName' | 'queueUrl' | 'reportsFunction',
  value: string | undefined,
  env: NodeJS.ProcessEnv,
): string {
  const result = value ?? env[ENV[name]];
  if (!result) {
    throw new WorkerConfigError(`${name} is required: pass it to createWorker or set ${ENV[name]}`);
  }
  return result;
}

export function resolveSettings(
  input: WorkerSettingsInput,
  env: NodeJS.ProcessEnv = process.env,
): WorkerSettings {
  if (typeof input.type !== 'string' || !SLUG.test(input.type)) {
    throw new WorkerConfigError(
      `type must be a declared worker type (a slug), got ${JSON.stringify(input.type)}`,
    );
  }
  const concurrency = input.concurrency ?? DEFAULTS.concurrency;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_WORKER_CONCURRENCY) {
    throw new WorkerConfigError(
      `concurrency must be a whole number from 1 to ${MAX_WORKER_CONCURRENCY}, got ${String(input.concurrency)}`,
    );
  }
  const fromEnv = env[ENV.pollWaitSeconds];
  const pollWaitSeconds = input.pollWaitSeconds ?? (fromEnv ? Number(fromEnv) : DEFAULTS.pollWaitSeconds);
  if (!Number.isInteger(pollWaitSeconds) || pollWaitSeconds < 1 || pollWaitSeconds > 20) {
    throw new WorkerConfigError(
      `pollWaitSeconds (${ENV.pollWaitSeconds}) must be a whole number from 1 to 20 (SQS long polling), got ${String(input.pollWaitSeconds ?? fromEnv)}`,
    );
  }
  const heartbeatFromEnv = env[ENV.heartbeatIntervalSeconds];
  return {
    type: input.type,
    concurrency,
    heartbeatIntervalSeconds: seconds(
      input.heartbeatIntervalSeconds === undefined && heartbeatFromEnv
        ? ENV.heartbeatIntervalSeconds
        : 'heartbeatIntervalSeconds',
      input.heartbeatIntervalSeconds ?? (heartbeatFromEnv ? Number(heartbeatFromEnv) : undefined),
      DEFAULTS.heartbeatIntervalSeconds,
      'above 0',
    ),
    gracePeriodSeconds: seconds(
      'gracePeriodSeconds',
      input.gracePeriodSeconds,
      DEFAULTS.gracePeriodSeconds,
      0,
    ),
    pollWaitSeconds,
    tableName: required('tableName', input.tableName, env),
    queueUrl: required('queueUrl', input.queueUrl, env),
    reportsFunction: required('reportsFunction', input.reportsFunction, env),
  };
}
