// GET /tasks/{id}'s cost estimate on a real task: a basic_sequence task run by the embedded stack reports
// a cost per step that, with the task's own share, adds up to its total, and its llm step's LLM cost is
// the tokens it recorded times the local price table's price for the model.
import { readFile } from 'node:fs/promises';
import { describe, expect, inject, it } from 'vitest';
import type { TaskCost } from '../../functions/shared/cost/task-cost';
import type { TaskMetrics } from '../../functions/shared/telemetry/task-metrics';
import { LOCAL_LLM_PRICES } from '../../local/settings';
import { apiClient } from '../support/api-request';

const api = apiClient(inject('endpoints').api, inject('credentials').apiKey);

interface Detail {
  status: string;
  metrics?: TaskMetrics;
  cost: TaskCost;
}

describe('GET /tasks/{id} cost', () => {
  it('reports per-step costs that add up to the total, the llm step priced at its recorded tokens', async () => {
    const definition = JSON.parse(
      await readFile(new URL('../../examples/workflows/basic_sequence.json', import.meta.url), 'utf8'),
    );
    expect([200, 201]).toContain((await api('POST', '/workflows', definition)).status);
    const started = await api<{ taskId: string }>('POST', '/tasks', {
      workflowId: definition.id,
      input: { text: 'what does this task cost?' },
    });
    expect(started.status).toBe(201);
    let detail: Detail | undefined;
    await expect
      .poll(
        async () => {
          detail = (await api<Detail>('GET', `/tasks/${started.body.taskId}`)).body;
          return detail.status;
        },
        { timeout: 30_000 },
      )
      .toBe('SUCCEEDED');
    const cost = (detail as Detail).cost;

    expect(cost.estimate).toBe(true);
    expect(cost.steps.map((step) => step.stepId)).toEqual(['normalize', 'summarize', 'format']);
    const parts = [cost.task, ...cost.steps];
    const sum = (pick: (part: (typeof parts)[number]) => number) =>
      parts.reduce((total, p) => total + pick(p), 0);
    expect(sum((p) => p.totalUsd)).toBeCloseTo(cost.totalUsd, 9);
    expect(sum((p) => p.aws.usd)).toBeCloseTo(cost.aws.usd, 9);
    expect(cost.aws.usd + cost.llm.usd).toBeCloseTo(cost.totalUsd, 9);
    const breakdown = Object.values(cost.aws.breakdown).reduce((total, usd) => total + usd, 0);
    expect(breakdown).toBeCloseTo(cost.aws.usd, 9);
    // Each step ran once: one state transition ($0.025 per 1,000) and one step-runner invocation.
    for (const step of cost.steps) {
      expect(step.aws.usage.transitions).toBe(1);
      expect(step.aws.usage.lambdaRequests).toBe(1);
      expect(step.aws.breakdown.stepFunctions).toBe(0.000025);
    }

    // The llm step's cost: its recorded tokens at the local price of its model (per million tokens).
    const llm = (detail as Detail).metrics?.steps.summarize?.llm;
    expect(llm?.tokensIn).toBeGreaterThan(0);
    const [model, usage] = Object.entries(llm?.byModel ?? {})[0] ?? [];
    const price = JSON.parse(LOCAL_LLM_PRICES)[model ?? ''] as {
      input: number;
      output: number;
      cachedInput: number;
    };
    expect(price).toBeDefined();
    // One call, priced in micro-dollars and rounded to one, as the step runner records it (llm-prices.ts).
    expect(usage?.calls).toBe(1);
    const cached = usage?.cachedTokens ?? 0;
    const microDollars =
      ((usage?.tokensIn ?? 0) - cached) * price.input +
      cached * price.cachedInput +
      (usage?.tokensOut ?? 0) * price.output;
    const expected = Math.round(microDollars) / 1e6;
    const [normalize, summarize, format] = cost.steps;
    expect(summarize?.llm.usd).toBeGreaterThan(0);
    expect(summarize?.llm.usd).toBe(expected);
    expect(cost.llm.usd).toBe(summarize?.llm.usd);
    expect([normalize?.llm.usd, format?.llm.usd]).toEqual([0, 0]);
    expect(cost.temporalCloud.actions).toBe(4);
  });
});
