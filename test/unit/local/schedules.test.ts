import { afterEach, describe, expect, it, vi } from 'vitest';
import { startSchedules } from '../../../local/schedules';
import { LOCAL_AWS } from '../../../local/settings';

afterEach(() => {
  vi.useRealTimers();
});

describe('local schedules', () => {
  it('invokes the handler every rate period with an EventBridge scheduled event, never overlapping', async () => {
    vi.useFakeTimers();
    const events: unknown[] = [];
    let finish: () => void = () => undefined;
    const schedules = startSchedules(
      LOCAL_AWS,
      [{ id: 'Reconcile', handler: 'health', rateMinutes: 1 }],
      (_schedule, event) => {
        events.push(event);
        return new Promise<void>((resolve) => {
          finish = resolve;
        });
      },
      () => undefined,
    );
    await vi.advanceTimersByTimeAsync(59_000);
    expect(events).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(events[0]).toMatchObject({ source: 'aws.events', 'detail-type': 'Scheduled Event' });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(events).toHaveLength(1);
    finish();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(events).toHaveLength(2);
    schedules.stop();
  });

  // Lambda stops a handler at its timeout; the local runtime cannot, and its handler runs on. A stack starved
  // of CPU timed out its 5-second sweeper again and again, each time starting another sweep next to the
  // ones still running, which starved it further.
  it('starts no run while the handler of a timed-out one is still running', async () => {
    vi.useFakeTimers();
    let runs = 0;
    let finishHandler: () => void = () => undefined;
    let handlerDone: Promise<void> = Promise.resolve();
    const schedules = startSchedules(
      LOCAL_AWS,
      [{ id: 'Sweep', handler: 'sweeper', rateMinutes: 1, localRateSeconds: 5 }],
      async () => {
        runs++;
        handlerDone = new Promise<void>((resolve) => {
          finishHandler = resolve;
        });
        throw Object.assign(new Error('Task timed out after 60 seconds'), { name: 'Sandbox.Timedout' });
      },
      () => undefined,
      () => handlerDone,
    );
    await vi.advanceTimersByTimeAsync(5_000);
    expect(runs).toBe(1);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(runs).toBe(1);
    finishHandler();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(runs).toBe(2);
    await schedules.stop();
  });

  it('runs again, and says so, once a timed-out handler has run on past the longest wait', async () => {
    vi.useFakeTimers();
    let runs = 0;
    const said: string[] = [];
    const schedules = startSchedules(
      LOCAL_AWS,
      [{ id: 'Sweep', handler: 'sweeper', rateMinutes: 1, localRateSeconds: 5 }],
      async () => {
        runs++;
        throw Object.assign(new Error('Task timed out after 60 seconds'), { name: 'Sandbox.Timedout' });
      },
      (error) => said.push((error as Error).message),
      () => new Promise<void>(() => undefined), // a handler that never ends
      30_000,
    );
    await vi.advanceTimersByTimeAsync(5_000);
    expect(runs).toBe(1);
    await vi.advanceTimersByTimeAsync(29_000);
    expect(runs).toBe(1);
    await vi.advanceTimersByTimeAsync(6_000);
    expect(runs).toBe(2);
    expect(said.filter((message) => message.includes('still runs 30 s past'))).toHaveLength(1);
    await schedules.stop();
  });

  it('runs a schedule with a local period on that period instead of its rate', async () => {
    vi.useFakeTimers();
    let runs = 0;
    const schedules = startSchedules(
      LOCAL_AWS,
      [{ id: 'Fold', handler: 'aggregator', rateMinutes: 1, localRateSeconds: 15 }],
      async () => {
        runs++;
      },
      () => undefined,
    );
    await vi.advanceTimersByTimeAsync(14_999);
    expect(runs).toBe(0);
    await vi.advanceTimersByTimeAsync(45_001);
    expect(runs).toBe(4);
    schedules.stop();
  });
});
