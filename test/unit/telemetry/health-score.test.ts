import { describe, expect, it } from 'vitest';
import { durationOf, EMPTY_AGGREGATE, mergeAggregates } from '../../../functions/shared/telemetry/aggregate';
import { healthOf, healthScore, healthStatus } from '../../../functions/shared/telemetry/health-score';
import { RELATIVE_ERROR } from '../../../functions/shared/telemetry/histogram';

const calm = { errorRate: 0, p95DurationMs: 1000, activeTasks: 10, runningTooLong: 0 };

describe('health score', () => {
  it('is 100 with no errors, a p95 within 60 s and nothing running too long', () => {
    expect(healthScore(calm).score).toBe(100);
    expect(healthScore({ ...calm, p95DurationMs: null, activeTasks: 0 }).score).toBe(100);
  });

  it('takes up to 60 points for errors, all of them from a 50 % error rate', () => {
    expect(healthScore({ ...calm, errorRate: 0.1 })).toMatchObject({ score: 88, penalties: { errors: 12 } });
    expect(healthScore({ ...calm, errorRate: 0.5 }).score).toBe(40);
    expect(healthScore({ ...calm, errorRate: 1 }).score).toBe(40);
  });

  it('takes up to 20 points for a p95 between 60 s and 120 s', () => {
    expect(healthScore({ ...calm, p95DurationMs: 60_000 }).score).toBe(100);
    expect(healthScore({ ...calm, p95DurationMs: 90_000 })).toMatchObject({
      score: 90,
      penalties: { latency: 10 },
    });
    expect(healthScore({ ...calm, p95DurationMs: 600_000 }).score).toBe(80);
  });

  it('takes up to 20 points for the share of active tasks running too long', () => {
    expect(healthScore({ ...calm, runningTooLong: 5 })).toMatchObject({
      score: 90,
      penalties: { stuck: 10 },
    });
    expect(healthScore({ ...calm, activeTasks: 0, runningTooLong: 0 }).score).toBe(100);
  });

  it('adds the penalties and never goes below 0', () => {
    expect(healthScore({ errorRate: 1, p95DurationMs: 1e9, activeTasks: 1, runningTooLong: 1 }).score).toBe(
      0,
    );
    expect(
      healthScore({ errorRate: 0.25, p95DurationMs: 90_000, activeTasks: 4, runningTooLong: 1 }).score,
    ).toBe(100 - 30 - 10 - 5);
  });

  it('names a status by score: healthy from 90, degraded from 60, unhealthy below', () => {
    expect([100, 90, 89, 60, 59, 0].map(healthStatus)).toEqual([
      'healthy',
      'healthy',
      'degraded',
      'degraded',
      'unhealthy',
      'unhealthy',
    ]);
  });

  it('counts FAILED and TIMED_OUT as errors, not CANCELLED, and throughput per minute of the window', () => {
    let window = EMPTY_AGGREGATE;
    for (const [status, durationMs] of [
      ['SUCCEEDED', 100],
      ['SUCCEEDED', 200],
      ['FAILED', 300],
      ['TIMED_OUT', 400],
      ['CANCELLED', 500],
    ] as const) {
      window = mergeAggregates(window, {
        statuses: { [status]: 1 },
        duration: durationOf(durationMs),
        attempts: 1,
        retries: 0,
      });
    }
    const report = healthOf(window, { active: 3, runningTooLong: 0 }, 5);
    expect(report).toMatchObject({
      settledTasks: 5,
      errorRate: 0.4,
      throughputPerMinute: 1,
      activeTasks: 3,
      score: 52,
      status: 'unhealthy',
    });
    expect(Math.abs((report.p95DurationMs as number) - 500) / 500).toBeLessThanOrEqual(RELATIVE_ERROR);
  });
});
