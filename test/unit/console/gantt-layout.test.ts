// The Gantt chart's geometry: bars on the task's window, retry waits between attempts, approval waits,
// a running attempt reaching now, tiny attempts kept visible, and round ticks.
import { describe, expect, it } from 'vitest';
import {
  type GanttLaneInput,
  layoutGantt,
  MIN_BAR_PERCENT,
  tickInterval,
} from '../../../console/src/tasks/gantt-layout';

const t = (seconds: number) => new Date(Date.UTC(2026, 2, 2, 9, 0, 0) + seconds * 1000).toISOString();

describe('Gantt layout', () => {
  it("places each attempt on the task window and the retry waits between a step's attempts", () => {
    const layout = layoutGantt(
      {
        createdAt: t(0),
        endedAt: t(10),
        lanes: [
          {
            stepId: 'prepare',
            status: 'SUCCEEDED',
            attempts: [{ attempt: 1, status: 'SUCCEEDED', startedAt: t(0), endedAt: t(1) }],
          },
          {
            stepId: 'flaky',
            status: 'SUCCEEDED',
            attempts: [
              { attempt: 2, status: 'FAILED', startedAt: t(4), endedAt: t(5), worker: 'w-2' },
              { attempt: 1, status: 'FAILED', startedAt: t(1), endedAt: t(2), worker: 'w-1' },
              { attempt: 3, status: 'SUCCEEDED', startedAt: t(7), endedAt: t(10) },
            ],
          },
        ],
      },
      Date.parse(t(60)),
    );
    expect(layout.endMs - layout.startMs).toBe(10_000);
    const flaky = layout.lanes[1];
    expect(flaky?.bars.map((bar) => [bar.attempt, bar.left, bar.width, bar.worker])).toEqual([
      [1, 10, 10, 'w-1'],
      [2, 40, 10, 'w-2'],
      [3, 70, 30, undefined],
    ]);
    expect(flaky?.waits.map((wait) => [wait.beforeAttempt, wait.left, wait.width, wait.ms])).toEqual([
      [2, 20, 20, 2000],
      [3, 50, 20, 2000],
    ]);
    expect(layout.lanes[0]?.waits).toEqual([]);
  });

  it("runs an open attempt, and the window, up to now; an approval step's attempt is a wait", () => {
    const layout = layoutGantt(
      {
        createdAt: t(0),
        lanes: [
          {
            stepId: 'review',
            type: 'approval',
            status: 'RUNNING',
            attempts: [{ attempt: 1, status: 'RUNNING', startedAt: t(5) }],
          },
        ],
      },
      Date.parse(t(20)),
    );
    expect(layout.endMs).toBe(Date.parse(t(20)));
    expect(layout.lanes[0]?.bars[0]).toMatchObject({ kind: 'approval', open: true, left: 25, width: 75 });
  });

  it("draws a wait step's inferred window as a bar of its own, open while it waits", () => {
    const wait: GanttLaneInput = {
      stepId: 'pause',
      type: 'wait',
      status: 'RUNNING',
      attempts: [],
      startedAt: t(5),
      windowInferred: true,
    };
    const lanes: GanttLaneInput[] = [
      {
        stepId: 'prepare',
        status: 'SUCCEEDED',
        attempts: [{ attempt: 1, status: 'SUCCEEDED', startedAt: t(0), endedAt: t(5) }],
      },
      wait,
      { stepId: 'later', type: 'transform', status: 'PENDING', attempts: [] },
    ];
    const layout = layoutGantt({ createdAt: t(0), lanes }, Date.parse(t(20)));
    expect(layout.lanes[1]?.bars).toEqual([
      expect.objectContaining({
        step: 'pause',
        kind: 'wait',
        status: 'RUNNING',
        open: true,
        left: 25,
        width: 75,
      }),
    ]);
    expect(layout.lanes[2]?.bars).toEqual([]);
    const ended = layoutGantt(
      {
        createdAt: t(0),
        endedAt: t(10),
        lanes: [{ ...wait, status: 'SUCCEEDED', endedAt: t(10) }],
      },
      Date.parse(t(20)),
    );
    expect(ended.lanes[0]?.bars[0]).toMatchObject({ kind: 'wait', open: false, left: 50, width: 50 });
  });

  it('keeps a very short attempt visible and inside the chart', () => {
    const layout = layoutGantt(
      {
        createdAt: t(0),
        endedAt: t(600),
        lanes: [
          {
            stepId: 'quick',
            status: 'SUCCEEDED',
            attempts: [{ attempt: 1, status: 'SUCCEEDED', startedAt: t(600), endedAt: t(600) }],
          },
        ],
      },
      Date.parse(t(600)),
    );
    const bar = layout.lanes[0]?.bars[0];
    expect(bar?.width).toBe(MIN_BAR_PERCENT);
    expect((bar?.left ?? 0) + (bar?.width ?? 0)).toBeLessThanOrEqual(100);
  });

  it('ticks at round intervals from the start', () => {
    expect(tickInterval(10_000)).toBe(2000);
    expect(tickInterval(600_000)).toBe(100_000);
    expect(tickInterval(45)).toBe(10);
    const layout = layoutGantt({ createdAt: t(0), endedAt: t(10), lanes: [] }, Date.parse(t(10)));
    expect(layout.ticks.map((tick) => tick.label)).toEqual([
      '0',
      '+2.00 s',
      '+4.00 s',
      '+6.00 s',
      '+8.00 s',
      '+10.0 s',
    ]);
  });
});
