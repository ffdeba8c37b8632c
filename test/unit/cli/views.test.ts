// The CLI's text views, from contract-shaped answers of the API.
import { describe, expect, it } from 'vitest';
import type { MetricsSummary, WorkflowMetrics } from '../../../bin/cli/contracts';
import {
  renderCreatedKey,
  renderEvents,
  renderHealth,
  renderKeyList,
  renderTaskList,
  renderWorkflowList,
  renderWorkflowMetrics,
} from '../../../bin/cli/views';

describe('renderEvents', () => {
  it('lists the events in order with time since the first, step, attempt and error', () => {
    const lines = renderEvents({
      taskId: 't-1',
      events: [
        { seq: 1, at: '2026-11-27T12:00:00.000Z', type: 'TASK_CREATED' },
        { seq: 2, at: '2026-11-27T12:00:00.040Z', type: 'STEP_STARTED', stepId: 'call', attempt: 1 },
        {
          seq: 3,
          at: '2026-11-27T12:00:01.040Z',
          type: 'STEP_RETRYING',
          stepId: 'call',
          attempt: 1,
          status: 'FAILED',
          durationMs: 1_000,
          error: 'HttpError',
          cause: '503',
        },
        {
          seq: 4,
          at: '2026-11-27T12:00:02.000Z',
          type: 'STEP_SUCCEEDED',
          stepId: 'each',
          mapIndex: 3,
          attempt: 2,
        },
        { seq: 5, at: '2026-11-27T12:00:02.500Z', type: 'TASK_SETTLED', status: 'SUCCEEDED' },
      ],
    });
    expect(lines[0]).toBe('task t-1, from 2026-11-27T12:00:00.000Z');
    expect(lines[2]).toMatch(/^SEQ\s+AT\s+EVENT\s+STEP\s+DETAIL$/);
    expect(lines[3]).toMatch(/^1\s+\+0ms\s+TASK_CREATED$/);
    expect(lines[4]).toMatch(/^2\s+\+40ms\s+STEP_STARTED\s+call #1$/);
    expect(lines[5]).toMatch(/^3\s+\+1\.04s\s+STEP_RETRYING\s+call #1\s+FAILED {2}1\.00s {2}HttpError: 503$/);
    expect(lines[6]).toMatch(/^4\s+\+2\.00s\s+STEP_SUCCEEDED\s+each\[3\] #2$/);
    expect(lines[7]).toMatch(/^5\s+\+2\.50s\s+TASK_SETTLED\s+SUCCEEDED$/);
  });

  it('says so when there are no events', () => {
    expect(renderEvents({ taskId: 't', events: [] })).toEqual(['task t: no events']);
  });
});

describe('renderTaskList', () => {
  const now = new Date('2026-11-27T12:10:00Z');
  const page = {
    items: [
      {
        taskId: 't-2',
        orgId: 'org-b',
        workflowId: 'wf',
        workflowVersion: 2,
        status: 'RUNNING',
        createdAt: '2026-11-27T12:00:00Z',
        startedAt: '2026-11-27T12:05:00Z',
      },
      {
        taskId: 't-1',
        orgId: 'org-a',
        workflowId: 'wf',
        agentId: 'bot',
        status: 'SUCCEEDED',
        createdAt: '2026-11-27T11:00:00Z',
        startedAt: '2026-11-27T11:00:01Z',
        endedAt: '2026-11-27T11:00:03.5Z',
      },
    ],
    cursor: 'abc',
  };

  it('shows each task with its duration (to now while running) and the next-page cursor', () => {
    const lines = renderTaskList(page, now, { showOrg: false });
    expect(lines[0]).toMatch(/^TASK\s+WORKFLOW\s+STATUS\s+AGENT\s+CREATED\s+DURATION$/);
    expect(lines[1]).toMatch(/^t-2\s+wf v2\s+RUNNING\s+-\s+2026-11-27T12:00:00Z\s+5m 00s$/);
    expect(lines[2]).toMatch(/^t-1\s+wf\s+SUCCEEDED\s+bot\s+2026-11-27T11:00:00Z\s+2\.50s$/);
    expect(lines.at(-1)).toBe('more: add --cursor abc');
  });

  it('adds the org column for the operators list', () => {
    expect(renderTaskList(page, now, { showOrg: true })[1]).toMatch(/^t-2\s+org-b\s+wf v2/);
  });

  it('says so when nothing matches', () => {
    expect(renderTaskList({ items: [] }, now, { showOrg: false })).toEqual(['no tasks']);
  });
});

describe('renderWorkflowList', () => {
  it('shows id, latest version, update time and name', () => {
    const lines = renderWorkflowList({
      items: [{ workflowId: 'basic', latestVersion: 3, updatedAt: '2026-11-27T12:00:00Z', name: 'Basic' }],
    });
    expect(lines).toEqual([
      'WORKFLOW  LATEST  UPDATED               NAME',
      'basic     3       2026-11-27T12:00:00Z  Basic',
    ]);
  });
});

const summary = (total: number, succeeded: number): MetricsSummary => ({
  tasks: { total, SUCCEEDED: succeeded, FAILED: total - succeeded, TIMED_OUT: 0, CANCELLED: 0 },
  successRate: total === 0 ? undefined : succeeded / total,
  duration: { minMs: 100, avgMs: 500, maxMs: 2_000, p50Ms: 400, p95Ms: 1_500, p99Ms: 1_900 },
  queueTime: { minMs: 5, avgMs: 20, maxMs: 90, p50Ms: 15, p95Ms: 80, p99Ms: 88 },
  retries: 3,
  llm: { calls: 10, tokensIn: 1_000, tokensOut: 400, cachedTokens: 200, costUsd: 0.0123 },
});

describe('renderWorkflowMetrics', () => {
  const metrics: WorkflowMetrics = {
    workflowId: 'wf',
    from: '2026-11-27T00:00:00Z',
    to: '2026-11-27T03:00:00Z',
    granularity: 'hour',
    summary: summary(20, 18),
    steps: { fetch: { ...summary(20, 19), retryRate: 0.15 } },
    series: [
      { start: '2026-11-27T00:00:00Z', ...summary(10, 9) },
      { start: '2026-11-27T01:00:00Z', ...summary(5, 5) },
      { start: '2026-11-27T02:00:00Z', ...summary(0, 0) },
    ],
  };
  const lines = renderWorkflowMetrics(metrics);

  it('summarizes counts, success rate, percentiles, retries and LLM use', () => {
    expect(lines[0]).toBe('workflow wf, 2026-11-27T00:00:00Z to 2026-11-27T03:00:00Z (by hour)');
    expect(lines).toContain('tasks       20: 18 succeeded, 2 failed, 0 timed out, 0 cancelled');
    expect(lines).toContain('success     90.0%');
    expect(lines).toContain('duration    min 100ms  avg 500ms  p50 400ms  p95 1.50s  p99 1.90s  max 2.00s');
    expect(lines).toContain('llm         10 calls, 1000 tokens in (200 cached), 400 out, $0.01');
  });

  it('tabulates the steps with their retry rate', () => {
    expect(lines.find((line) => line.startsWith('fetch'))).toMatch(
      /^fetch\s+20\s+95\.0%\s+400ms\s+1\.50s\s+2\.00s\s+15\.0%\s+\$0\.01$/,
    );
  });

  it('draws the series as bars scaled to the busiest bucket', () => {
    expect(lines.find((line) => line.startsWith('2026-11-27T00'))).toMatch(/10\s+90\.0%\s+1\.50s\s+█{30}$/);
    expect(lines.find((line) => line.startsWith('2026-11-27T01'))).toMatch(/5\s+100\.0%\s+1\.50s\s+█{15}$/);
    expect(lines.find((line) => line.startsWith('2026-11-27T02'))).toMatch(/0\s+-\s+1\.50s$/);
  });
});

describe('renderHealth', () => {
  const health = {
    score: 87,
    status: 'degraded',
    windowMinutes: 15,
    settledTasks: 40,
    errorRate: 0.05,
    throughputPerMinute: 12.5,
    activeTasks: 4,
    runningTooLong: 1,
    p95DurationMs: 2_300,
    penalties: { errors: 6, latency: 0, stuck: 5 },
    asOf: '2026-11-27T12:00:00.000Z',
    series: [{ start: '2026-11-27T11:45:00.000Z', settledTasks: 2, errorRate: 0, p95DurationMs: 900 }],
    workers: { live: 2, dead: 1 },
  };

  it('shows the score, each figure in words with the points it takes off, and the workers', () => {
    const lines = renderHealth(health);
    expect(lines[0]).toBe('health 87/100  degraded  (last 15 min, as of 2026-11-27T12:00:00.000Z)');
    expect(lines).toContain(`${'settled tasks'.padEnd(20)} 40`);
    expect(lines).toContain(`${'error rate'.padEnd(20)} ${'5.0%'.padEnd(16)} -6 points`);
    expect(lines).toContain(`${'throughput'.padEnd(20)} 12.5 tasks/min`);
    expect(lines).toContain(`${'running too long'.padEnd(20)} ${'1'.padEnd(16)} -5 points`);
    expect(lines).toContain(`${'p95 duration'.padEnd(20)} ${'2.30s'.padEnd(16)} no penalty`);
    expect(lines).toContain(`${'workers'.padEnd(20)} 2 live, 1 dead in the window (not scored)`);
    // No raw field names: every figure the API reports today has its words.
    expect(lines.join('\n')).not.toMatch(/settledTasks|asOf|penalties|series/);
  });

  it('shows a window without tasks (no p95) and a figure it does not know under its own name', () => {
    const lines = renderHealth({ ...health, p95DurationMs: null, queueDepth: 3 });
    expect(lines).toContain(`${'p95 duration'.padEnd(20)} ${'-'.padEnd(16)} no penalty`);
    expect(lines).toContain(`${'queueDepth'.padEnd(20)} 3`);
  });
});

describe('API keys', () => {
  it('shows a created key once, with the warning', () => {
    const lines = renderCreatedKey({
      keyId: 'k1',
      apiKey: 'sk_live_secret',
      name: 'ci',
      role: 'MEMBER',
      createdAt: '2026-11-27T12:00:00Z',
    });
    expect(lines).toContain('  sk_live_secret');
    expect(lines.at(-1)).toMatch(/only time the key is shown/);
  });

  it('lists keys without secrets, marking revoked ones', () => {
    const lines = renderKeyList({
      items: [
        { keyId: 'k1', name: 'ci', role: 'MEMBER', createdAt: '2026-11-27T12:00:00Z' },
        {
          keyId: 'k2',
          name: 'old',
          role: 'ADMIN',
          createdAt: '2026-11-01T12:00:00Z',
          revokedAt: '2026-11-02T00:00:00Z',
        },
      ],
    });
    expect(lines[0]).toMatch(/^KEY\s+NAME\s+ROLE\s+CREATED$/);
    expect(lines[2]).toMatch(/^k2\s+old\s+ADMIN\s+2026-11-01T12:00:00Z\s+revoked 2026-11-02T00:00:00Z$/);
  });
});
