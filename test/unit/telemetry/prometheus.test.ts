import { describe, expect, it } from 'vitest';
import { durationOf, mergeDurations } from '../../../functions/shared/telemetry/aggregate';
import {
  MAX_STEP_SERIES,
  MAX_WORKFLOW_SERIES,
  OTHER,
  type PrometheusInput,
  renderPrometheus,
  type WorkflowTotals,
} from '../../../functions/shared/telemetry/prometheus';
import { type Exposition, parseExposition } from '../../support/prometheus-text';

function workflow(index: number, tasks: number, orgId = 'org-a'): WorkflowTotals {
  let duration = durationOf(1500);
  for (let i = 1; i < tasks; i++) duration = mergeDurations(duration, durationOf(1500 + i * 100)) ?? duration;
  return {
    orgId,
    workflowId: `wf-${String(index).padStart(3, '0')}`,
    firstSlot: index,
    statuses: { SUCCEEDED: tasks, FAILED: 1 },
    duration,
    queueTime: durationOf(20),
    steps: {
      only: { statuses: { SUCCEEDED: tasks }, duration: durationOf(700), attempts: tasks + 2, retries: 2 },
    },
  };
}

const input = (workflows: WorkflowTotals[], extra: Partial<PrometheusInput> = {}): PrometheusInput => ({
  scopeOrgId: 'org-a',
  workflows,
  orgs: [
    {
      orgId: 'org-a',
      firstSlot: 0,
      llm: {
        calls: 3,
        tokensIn: 300,
        tokensOut: 30,
        cachedTokens: 100,
        costUsd: 0.01,
        byModel: {
          'openai:gpt-x': { calls: 3, tokensIn: 300, tokensOut: 30, cachedTokens: 100, costUsd: 0.01 },
        },
      },
    },
  ],
  activeTasks: 4,
  successRatio: 0.9,
  errorRatio: 0.1,
  ...extra,
});

const render = async (value: PrometheusInput) => parseExposition(await renderPrometheus(value));

const counterValues = (exposition: Exposition, name: string) =>
  new Map(exposition.samples(name).map((m) => [JSON.stringify(m.labels), m.value]));

describe('Prometheus exposition', () => {
  it('parses with a Prometheus text parser into the documented families, with units and _total', async () => {
    const exposition = await render(input([workflow(1, 3)]));
    expect(exposition.types).toEqual({
      stepwise_tasks_total: 'COUNTER',
      stepwise_task_duration_seconds: 'HISTOGRAM',
      stepwise_task_queue_time_seconds: 'HISTOGRAM',
      stepwise_step_duration_seconds: 'HISTOGRAM',
      stepwise_step_retries_total: 'COUNTER',
      stepwise_llm_calls_total: 'COUNTER',
      stepwise_llm_tokens_total: 'COUNTER',
      stepwise_llm_cost_usd_total: 'COUNTER',
      stepwise_active_tasks: 'GAUGE',
      stepwise_task_success_ratio: 'GAUGE',
      stepwise_task_error_ratio: 'GAUGE',
    });
    expect(exposition.samples('stepwise_tasks_total')).toContainEqual({
      labels: { org: 'org-a', workflow: 'wf-001', status: 'SUCCEEDED' },
      value: 3,
    });
    const [duration, ...more] = exposition.histogram('stepwise_task_duration_seconds');
    expect(more).toEqual([]);
    expect(duration).toMatchObject({ labels: { org: 'org-a', workflow: 'wf-001' }, count: 3 });
    expect(duration?.sum).toBeCloseTo(4.8, 9);
    // 1.5, 1.6 and 1.7 s: none by 1 s, all by 2.5 s.
    expect(duration?.buckets).toMatchObject({ '1': 0, '2.5': 3, '3600': 3, '+Inf': 3 });
    expect(exposition.samples('stepwise_step_retries_total')).toEqual([
      { labels: { org: 'org-a', workflow: 'wf-001', step: 'only' }, value: 2 },
    ]);
    expect(exposition.samples('stepwise_llm_tokens_total')).toContainEqual({
      labels: { org: 'org-a', model: 'openai:gpt-x', kind: 'cached' },
      value: 100,
    });
    expect(exposition.samples('stepwise_active_tasks')).toEqual([{ labels: {}, value: 4 }]);
  });

  it(`keeps label sets within the cap with 500 workflows: ${MAX_WORKFLOW_SERIES} of their own, the rest as "_other"`, async () => {
    const many = Array.from({ length: 500 }, (_, i) => workflow(i, 1 + (i % 5)));
    const exposition = await render(input(many));
    const workflows = new Set(exposition.samples('stepwise_tasks_total').map((m) => m.labels.workflow));
    expect(workflows.size).toBe(MAX_WORKFLOW_SERIES + 1);
    expect(workflows.has('_other')).toBe(true);
    const succeeded = counterValues(exposition, 'stepwise_tasks_total');
    const total = [...succeeded.entries()]
      .filter(([labels]) => labels.includes('SUCCEEDED'))
      .reduce((sum, [, value]) => sum + value, 0);
    expect(total).toBe(many.reduce((sum, w) => sum + (w.statuses.SUCCEEDED ?? 0), 0));
    expect(exposition.histogram('stepwise_task_duration_seconds')).toHaveLength(MAX_WORKFLOW_SERIES + 1);
    const other = exposition
      .histogram('stepwise_task_duration_seconds')
      .find((h) => h.labels.workflow === '_other');
    expect(other?.count).toBe(
      many.slice(MAX_WORKFLOW_SERIES).reduce((sum, w) => sum + (w.duration?.count ?? 0), 0),
    );
  });

  it('caps the steps of a workflow at MAX_STEP_SERIES, the rest as step="_other"', async () => {
    const wide = workflow(1, 1);
    const steps = Object.fromEntries(
      Array.from({ length: 30 }, (_, i) => [`s${String(i).padStart(2, '0')}`, wide.steps?.only as never]),
    );
    const exposition = await render(input([{ ...wide, steps }]));
    const labels = exposition.samples('stepwise_step_retries_total').map((m) => m.labels.step);
    expect(labels).toHaveLength(MAX_STEP_SERIES + 1);
    expect(labels).toContain('_other');
  });

  it('keeps a workflow named "other" apart from the workflows over the cap', async () => {
    const named = { ...workflow(0, 3), workflowId: 'other' };
    const many = [named, ...Array.from({ length: MAX_WORKFLOW_SERIES + 4 }, (_, i) => workflow(i + 1, 1))];
    const exposition = await render(input(many));
    const succeeded = (workflowId: string) =>
      exposition
        .samples('stepwise_tasks_total')
        .find((m) => m.labels.workflow === workflowId && m.labels.status === 'SUCCEEDED')?.value;
    expect(succeeded('other')).toBe(3);
    expect(succeeded(OTHER)).toBe(5);
  });

  it('never lowers a counter when workflows appear and move into "_other" between scrapes', async () => {
    const before = Array.from({ length: MAX_WORKFLOW_SERIES + 5 }, (_, i) => workflow(i + 10, 2));
    // Later: every workflow ran more, and new ones appeared, some first seen earlier than the rest.
    const after = [
      ...before.map((w) => ({ ...w, statuses: { SUCCEEDED: 5, FAILED: 1 } })),
      workflow(1, 4),
      workflow(2, 4),
      workflow(900, 4),
    ];
    const first = counterValues(await render(input(before)), 'stepwise_tasks_total');
    const second = counterValues(await render(input(after)), 'stepwise_tasks_total');
    for (const [labels, value] of first) {
      if (second.has(labels)) expect(second.get(labels), labels).toBeGreaterThanOrEqual(value);
    }
    const other = JSON.stringify({ org: 'org-a', workflow: OTHER, status: 'SUCCEEDED' });
    expect(second.get(other)).toBeGreaterThan(first.get(other) ?? 0);
  });

  it('labels an operator scrape with each org', async () => {
    const workflows = [workflow(1, 2, 'org-a'), workflow(2, 3, 'org-b')];
    const exposition = await render(input(workflows, { scopeOrgId: undefined }));
    expect(new Set(exposition.samples('stepwise_tasks_total').map((m) => m.labels.org))).toEqual(
      new Set(['org-a', 'org-b']),
    );
  });
});
