// EventBridge schedules on the local stack: a timer per schedule shape (its localRateSeconds when set,
// else its rate) that invokes its handler with a "Scheduled Event" shaped like EventBridge's. A run
// still in progress is not started again, as a Lambda concurrency limit of one would have it, nor one whose
// invocation timed out while its handler runs on (`overrun`: Lambda would have stopped it; here a starved
// stack would otherwise pile up a sweep per period); stopping waits for the runs in progress, so none
// outlives the services it calls.
import { randomUUID } from 'node:crypto';
import type { ScheduleShape } from '../functions/shared/resources';
import type { LocalAwsSettings } from './settings';

export type ScheduledInvoker = (schedule: ScheduleShape, event: unknown) => Promise<unknown>;

export function startSchedules(
  settings: LocalAwsSettings,
  schedules: readonly ScheduleShape[],
  invoke: ScheduledInvoker,
  onError: (error: unknown, schedule: ScheduleShape) => void,
  /** Resolves once the schedule's handler no longer runs past a timed-out invocation (LambdaRuntime.overrun). */
  overrun: (schedule: ScheduleShape) => Promise<void> = async () => undefined,
): { stop(): Promise<void> } {
  const inFlight = new Set<Promise<unknown>>();
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
      const run = invoke(schedule, event)
        .catch((error: unknown) => onError(error, schedule))
        .finally(() => inFlight.delete(run));
      inFlight.add(run);
      // A stop waits for the invocation only: a handler running on past its timeout may never end.
      void run
        .then(() => overrun(schedule))
        .finally(() => {
          running = false;
        });
    }, periodMs);
  });
  return {
    stop: async () => {
      for (const timer of timers) clearInterval(timer);
      await Promise.all(inFlight);
    },
  };
}
