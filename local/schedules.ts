// EventBridge schedules on the local stack: a timer per schedule shape (its localRateSeconds when set,
// else its rate) that invokes its handler with a "Scheduled Event" shaped like EventBridge's. A run
// still in progress is not started again, as a Lambda concurrency limit of one would have it, nor one whose
// invocation timed out while its handler runs on (`overrun`: Lambda would have stopped it; here a starved
// stack would otherwise pile up a sweep per period); stopping waits for the runs in progress, so none
// outlives the services it calls.
import { randomUUID } from 'node:crypto';
import type { ScheduleShape } from '../functions/shared/resources';
import { InFlight } from './in-flight';
import type { LocalAwsSettings } from './settings';

export type ScheduledInvoker = (schedule: ScheduleShape, event: unknown) => Promise<unknown>;

/** How long a schedule waits at most for a handler that runs on past its timeout. */
export const OVERRUN_WAIT_MS = 5 * 60_000;

/** True when `ended` resolves within `ms`, false when the wait gives up first. */
async function waitOrGiveUp(ended: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([ended.then(() => true as const), gaveUp]);
  } finally {
    clearTimeout(timer);
  }
}

export function startSchedules(
  settings: LocalAwsSettings,
  schedules: readonly ScheduleShape[],
  invoke: ScheduledInvoker,
  onError: (error: unknown, schedule: ScheduleShape) => void,
  /**
   * Resolves once the schedule's handler no longer runs past a timed-out invocation
   * (LambdaRuntime.whenOverrunEnds).
   */
  whenOverrunEnds: (schedule: ScheduleShape) => Promise<void> = async () => undefined,
  /** The longest a schedule waits for that before it runs again anyway (a handler may hang for good). */
  overrunWaitMs = OVERRUN_WAIT_MS,
): { stop(): Promise<void> } {
  const inFlight = new InFlight();
  const timers = schedules.map((schedule) => {
    let running = false;
    const periodMs = (schedule.localRateSeconds ?? schedule.rateMinutes * 60) * 1000;
    return setInterval(() => {
      if (running) return;
      running = true;
      const event = {
        version: '0',
        id: randomUUID(),
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        account: settings.accountId,
        time: new Date().toISOString(),
        region: settings.region,
        resources: [`arn:aws:events:${settings.region}:${settings.accountId}:rule/stepwise-${schedule.id}`],
        detail: {},
      };
      const run = inFlight.track(invoke(schedule, event).catch((error: unknown) => onError(error, schedule)));
      // A stop waits for the invocation only: a handler running on past its timeout may never end, so
      // neither does this wait, beyond overrunWaitMs (said once per time it gives up).
      void run
        .then(() => waitOrGiveUp(whenOverrunEnds(schedule), overrunWaitMs))
        .then((ended) => {
          if (!ended) {
            onError(
              new Error(
                `its handler still runs ${overrunWaitMs / 1000} s past its invocation's timeout: the schedule runs again next to it`,
              ),
              schedule,
            );
          }
        })
        .finally(() => {
          running = false;
        });
    }, periodMs);
  });
  return {
    stop: async () => {
      for (const timer of timers) clearInterval(timer);
      await inFlight.drained();
    },
  };
}
