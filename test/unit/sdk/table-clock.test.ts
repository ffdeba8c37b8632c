// The worker's clock on the table's: the AWS SDK's offset (from each answer's one-second Date header) is
// taken when it is a real skew, and kept through the second-grain wobble of the answers that follow.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tableClock } from '../../../sdk/table-clock';

afterEach(() => {
  vi.useRealTimers();
});

describe('tableClock', () => {
  it('keeps a skewed offset steady through the Date header grain, and follows a real change', () => {
    vi.useFakeTimers({ now: Date.parse('2026-06-01T12:00:00.000Z') });
    const config: { systemClockOffset?: number } = {};
    const now = tableClock({ config });
    const offsetOf = () => now().getTime() - Date.now();

    expect(offsetOf()).toBe(0);
    config.systemClockOffset = 900; // the grain and the trip: no skew
    expect(offsetOf()).toBe(0);
    config.systemClockOffset = -600_400; // ten minutes behind
    expect(offsetOf()).toBe(-600_400);
    for (const wobble of [-599_600, -601_300, -600_000]) {
      config.systemClockOffset = wobble;
      expect(offsetOf()).toBe(-600_400);
    }
    config.systemClockOffset = -300_000; // the host's clock was set right by half
    expect(offsetOf()).toBe(-300_000);
  });
});
