import { describe, expect, it } from 'vitest';
import { SCHEDULES } from '../../../functions/shared/resources';
import {
  InvalidDeadAfter,
  loadDeadAfterSeconds,
  parseDeadAfterSeconds,
} from '../../../functions/shared/workers/dead-after';
import { localSweepSettings, withSweepRate } from '../../../local/sweep-settings';

describe('deadAfterSeconds', () => {
  it('reads whole seconds from a number or a string, 300 when WORKER_DEAD_AFTER_SECONDS is unset', () => {
    expect(parseDeadAfterSeconds(120, 'workerDeadAfterSeconds')).toBe(120);
    expect(parseDeadAfterSeconds('4', 'workerDeadAfterSeconds')).toBe(4);
    expect(loadDeadAfterSeconds({})).toBe(300);
    expect(loadDeadAfterSeconds({ WORKER_DEAD_AFTER_SECONDS: '60' })).toBe(60);
  });

  it.each([0, -1, 1.5, 86_401, '1e3', '0x10', ' ', 'soon', null])('refuses %j, naming the setting', (raw) => {
    expect(() => parseDeadAfterSeconds(raw, 'workerDeadAfterSeconds')).toThrow(InvalidDeadAfter);
    expect(() => parseDeadAfterSeconds(raw, 'workerDeadAfterSeconds')).toThrow(
      /^workerDeadAfterSeconds must be/,
    );
  });
});

describe('the local sweep settings', () => {
  it('take the option over the environment, and default to 300 s and the schedule rate', () => {
    expect(localSweepSettings({}, {})).toEqual({ deadAfterSeconds: 300, heartbeatSeconds: 30 });
    const env = {
      STEPWISE_WORKER_DEAD_AFTER_SECONDS: '4',
      STEPWISE_WORKER_HEARTBEAT_SECONDS: '1',
      STEPWISE_SWEEP_SECONDS: '1',
    };
    expect(localSweepSettings({}, env)).toEqual({
      deadAfterSeconds: 4,
      heartbeatSeconds: 1,
      sweepSeconds: 1,
    });
    expect(
      localSweepSettings({ workerDeadAfterSeconds: 9, workerHeartbeatSeconds: 3, sweepSeconds: 2 }, env),
    ).toEqual({ deadAfterSeconds: 9, heartbeatSeconds: 3, sweepSeconds: 2 });
  });

  it('refuse a dead-after below two heartbeat intervals, naming both settings and values', () => {
    // 20 s with workers heartbeating every 30 s (the SDK's default) marked them DEAD between heartbeats.
    expect(() => localSweepSettings({}, { STEPWISE_WORKER_DEAD_AFTER_SECONDS: '20' })).toThrow(
      /^STEPWISE_WORKER_DEAD_AFTER_SECONDS \(20 s\) must be at least twice the workers' heartbeat interval \(30 s, the SDK's default; set STEPWISE_WORKER_HEARTBEAT_SECONDS if your workers heartbeat more often\): one late heartbeat would mark a live worker DEAD$/,
    );
    // 45 s exceeded 30 s, and one heartbeat late by 16 s marked a live worker DEAD.
    expect(() => localSweepSettings({}, { STEPWISE_WORKER_DEAD_AFTER_SECONDS: '45' })).toThrow(
      /^STEPWISE_WORKER_DEAD_AFTER_SECONDS \(45 s\) must be at least twice .* \(30 s, the SDK's default;/,
    );
    expect(() =>
      localSweepSettings(
        {},
        { STEPWISE_WORKER_DEAD_AFTER_SECONDS: '19', STEPWISE_WORKER_HEARTBEAT_SECONDS: '10' },
      ),
    ).toThrow(/^STEPWISE_WORKER_DEAD_AFTER_SECONDS \(19 s\) .* \(10 s, STEPWISE_WORKER_HEARTBEAT_SECONDS\)/);
    expect(
      localSweepSettings(
        {},
        { STEPWISE_WORKER_DEAD_AFTER_SECONDS: '20', STEPWISE_WORKER_HEARTBEAT_SECONDS: '10' },
      ),
    ).toEqual({ deadAfterSeconds: 20, heartbeatSeconds: 10 });
    expect(() => localSweepSettings({}, { STEPWISE_WORKER_HEARTBEAT_SECONDS: '151' })).toThrow(
      /^the default dead-after \(300 s\) .* \(151 s, STEPWISE_WORKER_HEARTBEAT_SECONDS\)/,
    );
    expect(() => localSweepSettings({}, { STEPWISE_WORKER_HEARTBEAT_SECONDS: '0' })).toThrow(
      /^STEPWISE_WORKER_HEARTBEAT_SECONDS must be a whole number of seconds from 1 to 3600/,
    );
  });

  it('refuse a bad variable, naming it', () => {
    expect(() => localSweepSettings({}, { STEPWISE_SWEEP_SECONDS: '0' })).toThrow(
      /^STEPWISE_SWEEP_SECONDS must/,
    );
    expect(() => localSweepSettings({}, { STEPWISE_WORKER_DEAD_AFTER_SECONDS: 'x' })).toThrow(
      /^STEPWISE_WORKER_DEAD_AFTER_SECONDS must/,
    );
  });

  it('set the period of the sweeper timer only', () => {
    const schedules = withSweepRate(SCHEDULES, 1);
    expect(schedules.find((schedule) => schedule.handler === 'sweeper')?.localRateSeconds).toBe(1);
    expect(schedules.filter((schedule) => schedule.handler !== 'sweeper')).toEqual(
      SCHEDULES.filter((schedule) => schedule.handler !== 'sweeper'),
    );
    expect(withSweepRate(SCHEDULES, undefined)).toBe(SCHEDULES);
  });
});
