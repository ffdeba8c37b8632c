// The health score: one number from 0 (down) to 100 (healthy) over a window, from the error rate, the
// p95 task duration and the active tasks running too long. The formula (also in the README):
//
//   score = 100 - errorPenalty - latencyPenalty - stuckPenalty, rounded, at least 0
//   errorPenalty   = 60 * min(1, errorRate / 0.5)        errorRate = (FAILED + TIMED_OUT) / settled tasks
//   latencyPenalty = 20 * min(1, max(0, p95 - 60 s) / 60 s)   0 up to a p95 of 60 s, 20 from 120 s
//   stuckPenalty   = 20 * min(1, runningTooLong / max(1, activeTasks))
//
// status: "healthy" from 90, "degraded" from 60, "unhealthy" below. Cancelled tasks are not errors. A
// window without settled tasks has no error or latency penalty.

import type { ActiveTaskCounts } from './active-tasks';
import type { Aggregate } from './aggregate';
import { durationSummary } from './metrics-summary';

export const LATENCY_TARGET_MS = 60_000;

export interface HealthReport {
  readonly score: number;
  readonly status: 'healthy' | 'degraded' | 'unhealthy';
  readonly windowMinutes: number;
  readonly settledTasks: number;
  /** (FAILED + TIMED_OUT) / settled tasks in the window; 0 without tasks. */
  readonly errorRate: number;
  readonly throughputPerMinute: number;
  readonly activeTasks: number;
  readonly runningTooLong: number;
  readonly p95DurationMs: number | null;
  readonly penalties: { readonly errors: number; readonly latency: number; readonly stuck: number };
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

export function healthScore(input: {
  errorRate: number;
  p95DurationMs: number | null;
  activeTasks: number;
  runningTooLong: number;
}): { score: number; penalties: HealthReport['penalties'] } {
  const errors = 60 * Math.min(1, input.errorRate / 0.5);
  const p95 = input.p95DurationMs ?? 0;
  const latency = 20 * Math.min(1, Math.max(0, p95 - LATENCY_TARGET_MS) / LATENCY_TARGET_MS);
  const stuck = 20 * Math.min(1, input.runningTooLong / Math.max(1, input.activeTasks));
  return {
    score: Math.max(0, Math.round(100 - errors - latency - stuck)),
    penalties: { errors: round(errors, 2), latency: round(latency, 2), stuck: round(stuck, 2) },
  };
}

export const healthStatus = (score: number): HealthReport['status'] =>
  score >= 90 ? 'healthy' : score >= 60 ? 'degraded' : 'unhealthy';

export function healthOf(window: Aggregate, active: ActiveTaskCounts, windowMinutes: number): HealthReport {
  const settled = Object.values(window.statuses).reduce((sum, count) => sum + count, 0);
  const failed = (window.statuses.FAILED ?? 0) + (window.statuses.TIMED_OUT ?? 0);
  const errorRate = settled === 0 ? 0 : failed / settled;
  const p95DurationMs = durationSummary(window.duration).p95Ms;
  const { score, penalties } = healthScore({
    errorRate,
    p95DurationMs,
    ...active,
    activeTasks: active.active,
  });
  return {
    score,
    status: healthStatus(score),
    windowMinutes,
    settledTasks: settled,
    errorRate: round(errorRate, 4),
    throughputPerMinute: round(settled / windowMinutes, 3),
    activeTasks: active.active,
    runningTooLong: active.runningTooLong,
    p95DurationMs,
    penalties,
  };
}
