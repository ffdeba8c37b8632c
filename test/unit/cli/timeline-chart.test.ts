// The text Gantt chart of `stepwise tasks timeline`, from contract-shaped timelines.
import { describe, expect, it } from 'vitest';
import type { Timeline } from '../../../bin/cli/contracts';
import { renderTimeline } from '../../../bin/cli/timeline-chart';

const T0 = Date.parse('2026-11-27T12:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();

// A step that fails twice then succeeds, between two quick steps, and a step that never ran.
const retried: Timeline = {
  taskId: 'task-1',
  workflowId: 'flaky',
  status: 'SUCCEEDED',
  createdAt: at(-50),
  startedAt: at(0),
  endedAt: at(10_000),
  queueMs: 50,
  durationMs: 10_050,
  steps: [
    {
      stepId: 'prepare',
      type: 'transform',
      order: 1,
      status: 'SUCCEEDED',
      startedAt: at(0),
      endedAt: at(1_000),
      durationMs: 1_000,
      retryCount: 0,
      attempts: [
        { attempt: 1, status: 'SUCCEEDED', startedAt: at(0), endedAt: at(1_000), durationMs: 1_000 },
      ],
    },
    {
      stepId: 'call_api',
      type: 'http',
      order: 2,
      status: 'SUCCEEDED',
      startedAt: at(1_000),
      endedAt: at(9_000),
      durationMs: 8_000,
      retryCount: 2,
      attempts: [
        {
          attempt: 1,
          status: 'FAILED',
          startedAt: at(1_000),
          endedAt: at(2_000),
          durationMs: 1_000,
          error: 'HttpError',
          cause: '503 Service Unavailable',
        },
        {
          attempt: 2,
          status: 'FAILED',
          startedAt: at(3_000),
          endedAt: at(4_000),
          durationMs: 1_000,
          error: 'HttpError',
        },
        { attempt: 3, status: 'SUCCEEDED', startedAt: at(6_000), endedAt: at(9_000), durationMs: 3_000 },
      ],
    },
    {
      stepId: 'finish',
      type: 'transform',
      order: 3,
      status: 'SUCCEEDED',
      startedAt: at(9_000),
      endedAt: at(10_000),
      durationMs: 1_000,
      retryCount: 0,
      attempts: [
        { attempt: 1, status: 'SUCCEEDED', startedAt: at(9_000), endedAt: at(10_000), durationMs: 1_000 },
      ],
    },
    { stepId: 'never', type: 'transform', order: 4, status: 'NOT_RUN', retryCount: 0, attempts: [] },
  ],
  totals: {
    steps: 4,
    completed: 3,
    failed: 0,
    skipped: 0,
    running: 0,
    retrying: 0,
    pending: 0,
    notRun: 1,
    retries: 2,
  },
};

function bars(lines: string[], label: RegExp): string[] {
  return lines.filter((line) => label.test(line));
}

/** The bar part of an attempt row: the columns after "<label> #N <status> ". */
function barOf(line: string): string {
  return line.slice(22 + 1 + 3 + 1 + 10 + 1, 22 + 1 + 3 + 1 + 10 + 1 + 40);
}

describe('renderTimeline', () => {
  const lines = renderTimeline(retried, { width: 22 + 5 + 10 + 1 + 40 + 16, now: new Date(T0 + 20_000) });

  it('heads the chart with the task, its totals and the retries', () => {
    expect(lines[0]).toBe('task task-1  flaky  SUCCEEDED');
    expect(lines[1]).toContain('queue 50ms');
    expect(lines[1]).toContain(
      'steps 4: 3 completed, 0 failed, 0 skipped, 0 running, 0 retrying, 0 pending, 1 not run',
    );
    expect(lines[1]).toContain('retries 2');
  });

  it('draws one row per attempt, in execution order, the never-run step last', () => {
    const rows = lines.filter((line) => / #\d|^never/.test(line));
    expect(rows.map((row) => row.slice(0, 26).trim())).toEqual([
      'prepare                #1',
      'call_api               #1',
      '#2',
      '#3',
      'finish                 #1',
      'never                  -',
    ]);
  });

  it('scales each attempt window to the width: 40 columns for 10 s', () => {
    const [prepare] = bars(lines, /^prepare /);
    expect(barOf(prepare ?? '')).toBe(`${'█'.repeat(4)}${' '.repeat(36)}`);
    const [finish] = bars(lines, /^finish /);
    expect(barOf(finish ?? '')).toBe(`${' '.repeat(36)}${'█'.repeat(4)}`);
  });

  it('marks failed attempts with x and shows the wait before each retry as dots', () => {
    const rows = lines.filter((line) => /#[123] /.test(line) && !/^(prepare|finish)/.test(line));
    expect(barOf(rows[0] ?? '')).toBe(`${' '.repeat(4)}xxxx${' '.repeat(32)}`);
    expect(barOf(rows[1] ?? '')).toBe(`${' '.repeat(8)}····xxxx${' '.repeat(24)}`);
    expect(barOf(rows[2] ?? '')).toBe(`${' '.repeat(16)}········${'█'.repeat(12)}${' '.repeat(4)}`);
  });

  it('notes each attempt duration, its wait and its error', () => {
    const [first, second, third] = lines.filter(
      (line) => /#[123] /.test(line) && !/^(prepare|finish)/.test(line),
    );
    expect(first).toMatch(/1\.00s {2}HttpError: 503 Service Unavailable$/);
    expect(second).toMatch(/1\.00s {2}after 1\.00s wait {2}HttpError$/);
    expect(third).toMatch(/3\.00s {2}after 2\.00s wait$/);
  });

  it('keeps the bars within the width on a narrow terminal', () => {
    const narrow = renderTimeline(retried, { width: 60, now: new Date(T0 + 20_000) });
    const [prepare] = bars(narrow, /^prepare /);
    expect(prepare?.indexOf('█')).toBeGreaterThan(0);
    expect(narrow.find((line) => line.startsWith(' '.repeat(38)))?.length).toBeLessThanOrEqual(60);
  });

  it('draws a running attempt up to now, and rolls up map iterations', () => {
    const running: Timeline = {
      ...retried,
      status: 'RUNNING',
      endedAt: undefined,
      steps: [
        {
          stepId: 'each_item',
          type: 'map',
          order: 1,
          status: 'RUNNING',
          startedAt: at(0),
          retryCount: 0,
          attempts: [{ attempt: 1, status: 'RUNNING', startedAt: at(5_000) }],
          iterations: {
            total: 3,
            byStatus: { SUCCEEDED: 2, RUNNING: 1 },
            duration: { minMs: 100, avgMs: 150, maxMs: 200 },
          },
        },
      ],
      totals: { ...retried.totals, running: 1 },
    };
    const chart = renderTimeline(running, { width: 94, now: new Date(T0 + 10_000) });
    const [row] = bars(chart, /^each_item /);
    expect(barOf(row ?? '')).toBe(`${' '.repeat(20)}${'▒'.repeat(20)}`);
    expect(chart).toContain(
      `${' '.repeat(22)} map: 3 iterations (2 SUCCEEDED, 1 RUNNING), 100ms / 150ms / 200ms min/avg/max`,
    );
  });

  it('draws a map, which has no attempts of its own, over its window with its iterations rolled up', () => {
    const mapped: Timeline = {
      ...retried,
      steps: [
        {
          stepId: 'each_company',
          type: 'map',
          order: 1,
          status: 'SUCCEEDED',
          startedAt: at(5_000),
          endedAt: at(10_000),
          durationMs: 5_000,
          retryCount: 0,
          attempts: [],
          iterations: {
            total: 2,
            byStatus: { SUCCEEDED: 2 },
            duration: { minMs: 900, avgMs: 950, maxMs: 1_000 },
          },
        },
      ],
    };
    const chart = renderTimeline(mapped, { width: 94, now: new Date(T0 + 20_000) });
    const row = chart.find((line) => line.startsWith('each_company '));
    expect(row).toMatch(/ - {3}SUCCEEDED {2}/);
    expect(barOf(row ?? '')).toBe(`${' '.repeat(20)}${'█'.repeat(20)}`);
    expect(row).toMatch(/5\.00s$/);
    expect(chart).toContain(
      `${' '.repeat(22)} map: 2 iterations (2 SUCCEEDED), 900ms / 950ms / 1.00s min/avg/max`,
    );
  });

  it('draws a running wait over the window the API infers for it, up to now, and says it is inferred', () => {
    const waiting: Timeline = {
      ...retried,
      status: 'RUNNING',
      endedAt: undefined,
      steps: [
        {
          stepId: 'prepare',
          type: 'transform',
          order: 1,
          status: 'SUCCEEDED',
          startedAt: at(0),
          endedAt: at(5_000),
          durationMs: 5_000,
          retryCount: 0,
          attempts: [
            { attempt: 1, status: 'SUCCEEDED', startedAt: at(0), endedAt: at(5_000), durationMs: 5_000 },
          ],
        },
        {
          stepId: 'pause',
          type: 'wait',
          order: 2,
          status: 'RUNNING',
          startedAt: at(5_000),
          retryCount: 0,
          attempts: [],
          windowInferred: true,
        },
      ],
    };
    // The chart runs to now (10 s), which only the wait reaches.
    const chart = renderTimeline(waiting, { width: 94, now: new Date(T0 + 10_000) });
    const [row] = bars(chart, /^pause /);
    expect(row).toMatch(/ - {3}RUNNING {3}/);
    expect(barOf(row ?? '')).toBe(`${' '.repeat(20)}${'▒'.repeat(20)}`);
    expect(row).toMatch(/5\.00s \(inferred\)$/);
  });

  it('names the worker that ran an agent step attempt', () => {
    const delegated: Timeline = {
      ...retried,
      steps: [
        {
          stepId: 'research',
          type: 'agent',
          order: 1,
          status: 'SUCCEEDED',
          startedAt: at(0),
          endedAt: at(2_000),
          retryCount: 1,
          attempts: [
            {
              attempt: 1,
              status: 'ABORTED',
              startedAt: at(0),
              endedAt: at(1_000),
              durationMs: 1_000,
              worker: 'host-1-dead',
              error: 'Worker.Lost',
            },
            {
              attempt: 2,
              status: 'SUCCEEDED',
              startedAt: at(1_000),
              endedAt: at(2_000),
              durationMs: 1_000,
              worker: 'host-2-live',
            },
          ],
        },
      ],
    };
    const chart = renderTimeline(delegated, { width: 120, now: new Date(T0 + 10_000) }).join('\n');
    expect(chart).toMatch(/#1 +ABORTED .*1\.00s +on host-1-dead +Worker\.Lost/);
    expect(chart).toMatch(/#2 +SUCCEEDED .*on host-2-live/);
  });
});
