// computeTaskMetrics: queue and execution time, attempts and retries, map iterations rolled up under
// their step, LLM usage summed per step, task and model.
import { describe, expect, it } from 'vitest';
import { computeTaskMetrics } from '../../../functions/shared/telemetry/task-metrics';
import { at, attempt, step, TASK } from './fixtures';

const llm = (tokensIn: number, costUsd: number) => ({
  provider: 'openai',
  model: 'gpt-4o-mini',
  calls: 1,
  tokensIn,
  tokensOut: 10,
  cachedTokens: 5,
  toolCalls: 1,
  latencyMs: 100,
  costUsd,
});

describe('computeTaskMetrics', () => {
  it('measures queue time, execution time and retries from the step records', () => {
    const steps = [
      step('a', 'SUCCEEDED', [attempt(1, 2, 3, 'SUCCEEDED')]),
      step('b', 'SUCCEEDED', [
        attempt(1, 4, 5, 'FAILED'),
        attempt(2, 7, 8, 'FAILED'),
        attempt(3, 11, 12, 'SUCCEEDED'),
      ]),
      step('c', 'SKIPPED', [], { endedAt: at(13) }),
    ];
    const metrics = computeTaskMetrics({ createdAt: at(0), endedAt: at(20) }, steps);
    expect(metrics).toEqual({
      queueMs: 2_000,
      executionMs: 18_000,
      durationMs: 20_000,
      attempts: 4,
      retries: 2,
      steps: {
        a: { status: 'SUCCEEDED', durationMs: 1_000, attempts: 1, retries: 0 },
        b: { status: 'SUCCEEDED', durationMs: 8_000, attempts: 3, retries: 2 },
        c: { status: 'SKIPPED', attempts: 0, retries: 0 },
      },
    });
  });

  it('rolls map iterations up under their step: counts by status and duration stats', () => {
    const steps = [0, 1, 2].map((i) =>
      step(
        'each',
        i === 2 ? 'FAILED' : 'SUCCEEDED',
        [attempt(1, 2, 3 + i, i === 2 ? 'FAILED' : 'SUCCEEDED')],
        {
          mapIndex: i,
        },
      ),
    );
    const metrics = computeTaskMetrics({ createdAt: at(0), endedAt: at(10) }, steps);
    expect(metrics.steps.each).toEqual({
      status: 'FAILED',
      durationMs: 3_000,
      attempts: 3,
      retries: 0,
      iterations: {
        byStatus: { SUCCEEDED: 2, FAILED: 1 },
        duration: { count: 3, sumMs: 6_000, minMs: 1_000, maxMs: 3_000 },
      },
    });
  });

  it('sums LLM usage per step, per task and per model', () => {
    const steps = [
      step('ask', 'SUCCEEDED', [attempt(1, 1, 2, 'SUCCEEDED', { llm: llm(100, 0.000_02) })]),
      step('again', 'SUCCEEDED', [attempt(1, 3, 4, 'SUCCEEDED', { llm: llm(50, 0.000_01) })]),
    ];
    const metrics = computeTaskMetrics({ createdAt: at(0), endedAt: at(5) }, steps);
    const total = {
      calls: 2,
      tokensIn: 150,
      tokensOut: 20,
      cachedTokens: 10,
      toolCalls: 2,
      latencyMs: 200,
      costUsd: 0.000_03,
    };
    expect(metrics.llm).toEqual({ ...total, byModel: { 'openai:gpt-4o-mini': total } });
    expect(metrics.steps.ask?.llm?.tokensIn).toBe(100);
  });

  it('has no queue or execution time for a task no step ran in', () => {
    expect(computeTaskMetrics({ createdAt: at(0), endedAt: at(3) }, [])).toEqual({
      durationMs: 3_000,
      attempts: 0,
      retries: 0,
      steps: {},
    });
  });

  it('reads only the task times it is given (the settle passes its own end)', () => {
    expect(computeTaskMetrics({ createdAt: TASK.createdAt, endedAt: at(7) }, []).durationMs).toBe(7_000);
  });
});
