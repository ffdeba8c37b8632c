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
});
