// The worker sweep on the local stack: how long a worker may be silent before it is DEAD (the option,
// else STEPWISE_WORKER_DEAD_AFTER_SECONDS, else the deployment default) and how often the sweeper's timer
// runs (the option, else STEPWISE_SWEEP_SECONDS, else the schedule's localRateSeconds). Tests use a few
// seconds of each, so a dead worker is found within seconds.
import { ConfigurationError } from '../functions/shared/config';
import type { ScheduleShape } from '../functions/shared/resources';
import { DEFAULT_DEAD_AFTER_SECONDS, parseDeadAfterSeconds } from '../functions/shared/workers/dead-after';

export const DEAD_AFTER_VARIABLE = 'STEPWISE_WORKER_DEAD_AFTER_SECONDS';
export const SWEEP_SECONDS_VARIABLE = 'STEPWISE_SWEEP_SECONDS';

export interface SweepSettings {
  readonly deadAfterSeconds: number;
  /** Undefined: the schedule's own localRateSeconds. */
  readonly sweepSeconds?: number;
}

export function localSweepSettings(
  options: { workerDeadAfterSeconds?: number | string; sweepSeconds?: number | string },
  env: NodeJS.ProcessEnv = process.env,
): SweepSettings {
  const deadAfter = options.workerDeadAfterSeconds ?? (env[DEAD_AFTER_VARIABLE] || undefined);
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
  return {
    deadAfterSeconds:
      deadAfter === undefined
        ? DEFAULT_DEAD_AFTER_SECONDS
        : parseDeadAfterSeconds(
            deadAfter,
            options.workerDeadAfterSeconds === undefined ? DEAD_AFTER_VARIABLE : 'workerDeadAfterSeconds',
          ),
    ...(sweepSeconds !== undefined && { sweepSeconds }),
  };
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
