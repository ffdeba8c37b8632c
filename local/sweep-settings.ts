// The worker sweep on the local stack: how long a worker may be silent before it is DEAD (the option,
// else STEPWISE_WORKER_DEAD_AFTER_SECONDS, else the deployment default), which must span two of the
// intervals its workers heartbeat at (the option, else STEPWISE_WORKER_HEARTBEAT_SECONDS, else the SDK's
// default; `stepwise worker` heartbeats at it), and how often the sweeper's timer runs (the option, else
// STEPWISE_SWEEP_SECONDS, else the schedule's localRateSeconds). Tests use a few seconds of each, so a
// dead worker is found within seconds.
import { ConfigurationError } from '../functions/shared/config';
import type { ScheduleShape } from '../functions/shared/resources';
import {
  checkDeadAfterSpansHeartbeats,
  DEFAULT_DEAD_AFTER_SECONDS,
  DEFAULT_HEARTBEAT_SECONDS,
  parseDeadAfterSeconds,
  parseHeartbeatSeconds,
} from '../functions/shared/workers/dead-after';

export const DEAD_AFTER_VARIABLE = 'STEPWISE_WORKER_DEAD_AFTER_SECONDS';
export const HEARTBEAT_VARIABLE = 'STEPWISE_WORKER_HEARTBEAT_SECONDS';
export const SWEEP_SECONDS_VARIABLE = 'STEPWISE_SWEEP_SECONDS';

export interface SweepSettings {
  readonly deadAfterSeconds: number;
  /** The interval the stack's workers heartbeat at. */
  readonly heartbeatSeconds: number;
  /** Undefined: the schedule's own localRateSeconds. */
  readonly sweepSeconds?: number;
}

export function localSweepSettings(
  options: {
    workerDeadAfterSeconds?: number | string;
    workerHeartbeatSeconds?: number | string;
    sweepSeconds?: number | string;
  },
  env: NodeJS.ProcessEnv = process.env,
): SweepSettings {
  const deadAfter = options.workerDeadAfterSeconds ?? (env[DEAD_AFTER_VARIABLE] || undefined);
  const heartbeat = options.workerHeartbeatSeconds ?? (env[HEARTBEAT_VARIABLE] || undefined);
  const sweep = options.sweepSeconds ?? (env[SWEEP_SECONDS_VARIABLE] || undefined);
  let sweepSeconds: number | undefined;
  if (sweep !== undefined) {
    sweepSeconds = Number(sweep);
    if (!Number.isInteger(sweepSeconds) || sweepSeconds < 1 || sweepSeconds > 3600) {
      throw new ConfigurationError(
        `${SWEEP_SECONDS_VARIABLE} must be a whole number of seconds from 1 to 3600, got ${JSON.stringify(sweep)}`,
      );
    }
  }
  const deadAfterSource =
    deadAfter === undefined
      ? 'the default dead-after'
      : options.workerDeadAfterSeconds === undefined
        ? DEAD_AFTER_VARIABLE
        : 'workerDeadAfterSeconds';
  const heartbeatSource =
    heartbeat === undefined
      ? `the SDK's default; set ${HEARTBEAT_VARIABLE} if your workers heartbeat more often`
      : options.workerHeartbeatSeconds === undefined
        ? HEARTBEAT_VARIABLE
        : 'workerHeartbeatSeconds';
  const deadAfterSeconds =
    deadAfter === undefined ? DEFAULT_DEAD_AFTER_SECONDS : parseDeadAfterSeconds(deadAfter, deadAfterSource);
  const heartbeatSeconds =
    heartbeat === undefined ? DEFAULT_HEARTBEAT_SECONDS : parseHeartbeatSeconds(heartbeat, heartbeatSource);
  checkDeadAfterSpansHeartbeats(
    { seconds: deadAfterSeconds, source: deadAfterSource },
    { seconds: heartbeatSeconds, source: heartbeatSource },
  );
  return { deadAfterSeconds, heartbeatSeconds, ...(sweepSeconds !== undefined && { sweepSeconds }) };
}

/** The schedules with the sweeper's timer at `sweepSeconds` when set. */
export function withSweepRate(
  schedules: readonly ScheduleShape[],
  sweepSeconds: number | undefined,
): readonly ScheduleShape[] {
  if (sweepSeconds === undefined) return schedules;
  return schedules.map((schedule) =>
    schedule.handler === 'sweeper' ? { ...schedule, localRateSeconds: sweepSeconds } : schedule,
  );
}
