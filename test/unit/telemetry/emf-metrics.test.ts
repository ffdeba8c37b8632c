// The EMF documents a settled task produces, as Powertools serializes them (what CloudWatch receives).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigurationError } from '../../../functions/shared/config';
import {
  EMF_NAMESPACE,
  loadEmfConfig,
  MAX_METRIC_WORKFLOWS,
  publishEmf,
  type SettledTask,
  taskMetricsToEmf,
  taskStartedToEmf,
} from '../../../functions/shared/telemetry/emf-metrics';

interface EmfDocument {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
  [key: string]: unknown;
}

const settled: SettledTask = {
  task: { taskId: 't-1', workflowId: 'summarize', status: 'SUCCEEDED' },
  metrics: {
    queueMs: 40,
    executionMs: 1_200,
    durationMs: 1_240,
    attempts: 4,
    retries: 1,
    llm: {
      calls: 2,
      tokensIn: 300,
      tokensOut: 120,
      cachedTokens: 50,
      toolCalls: 0,
      latencyMs: 800,
      costUsd: 0.0042,
    },
    steps: {
      fetch: { status: 'SUCCEEDED', durationMs: 400, attempts: 2, retries: 1 },
      summarize: { status: 'SUCCEEDED', durationMs: 790, attempts: 1, retries: 0 },
      notify: { status: 'SKIPPED', attempts: 0, retries: 0 },
    },
  },
};

const AT = Date.parse('2026-11-27T12:00:00Z');
// What goes to stdout, read back as JSON.
const serialize = (documents: unknown[]) =>
  documents.map((document) => JSON.parse(JSON.stringify(document)) as EmfDocument);
const directive = (document: EmfDocument) => document._aws.CloudWatchMetrics[0];

describe('taskMetricsToEmf', () => {
  it('publishes the task under service, service+status and service+workflow+status', () => {
    const [task] = serialize(
      taskMetricsToEmf(settled, loadEmfConfig({ METRICS_WORKFLOWS: 'summarize' }), AT),
    );
    expect(task).toBeDefined();
    if (!task) return;
    expect(directive(task)?.Namespace).toBe(EMF_NAMESPACE);
    expect(directive(task)?.Dimensions).toEqual([
      ['service'],
      ['service', 'status'],
      ['service', 'workflow_id', 'status'],
    ]);
    expect(task).toMatchObject({
      service: 'stepwise',
      status: 'SUCCEEDED',
      workflow_id: 'summarize',
      task_id: 't-1',
      TasksSettled: 1,
      TaskDuration: 1_240,
      QueueTime: 40,
      ExecutionTime: 1_200,
      TaskAttempts: 4,
      TaskRetries: 1,
      LlmCalls: 2,
      LlmTokensIn: 300,
      LlmTokensOut: 120,
      LlmCachedTokens: 50,
      LlmCostUsd: 0.0042,
    });
    expect(directive(task)?.Metrics).toContainEqual({ Name: 'TaskDuration', Unit: 'Milliseconds' });
    expect(directive(task)?.Metrics).toContainEqual({ Name: 'LlmCostUsd', Unit: 'None' });
  });

  it('reports an unlisted workflow as `other` and emits no step metrics for it', () => {
    const documents = serialize(taskMetricsToEmf(settled, loadEmfConfig({}), AT));
    expect(documents).toHaveLength(1);
    expect(documents[0]).toMatchObject({ workflow_id: 'other' });
  });

  it('adds one document per step that ran for a listed workflow, by workflow and step', () => {
    const [, ...steps] = serialize(
      taskMetricsToEmf(settled, loadEmfConfig({ METRICS_WORKFLOWS: 'summarize' }), AT),
    );
    expect(steps.map((step) => step.step_id)).toEqual(['fetch', 'summarize']);
    expect(directive(steps[0] as EmfDocument)?.Dimensions).toEqual([['service', 'workflow_id', 'step_id']]);
    expect(steps[0]).toMatchObject({ StepDuration: 400, StepAttempts: 2, StepRetries: 1 });
  });

  it('leaves out what was not measured: no queue time or LLM figures for a task where no step ran', () => {
    const [task] = serialize(
      taskMetricsToEmf(
        {
          task: { taskId: 't-2', workflowId: 'x', status: 'CANCELLED' },
          metrics: { durationMs: 5, attempts: 0, retries: 0, steps: {} },
        },
        loadEmfConfig({}),
        AT,
      ),
    );
    expect(task).toMatchObject({ TasksSettled: 1, TaskDuration: 5, status: 'CANCELLED' });
    expect(task).not.toHaveProperty('QueueTime');
    expect(task).not.toHaveProperty('LlmTokensIn');
  });
});

describe('taskStartedToEmf', () => {
  it('counts a started task overall and by (bounded) workflow', () => {
    const [document] = serialize([taskStartedToEmf('summarize', loadEmfConfig({}), AT)]);
    expect(directive(document as EmfDocument)?.Dimensions).toEqual([['service'], ['service', 'workflow_id']]);
    expect(document).toMatchObject({ TasksStarted: 1, workflow_id: 'other' });
  });
});

describe('loadEmfConfig', () => {
  it(`refuses more than ${MAX_METRIC_WORKFLOWS} listed workflows`, () => {
    const many = Array.from({ length: MAX_METRIC_WORKFLOWS + 1 }, (_, i) => `wf-${i}`).join(',');
    expect(() => loadEmfConfig({ METRICS_WORKFLOWS: many })).toThrow(ConfigurationError);
  });

  it('refuses `other`, which names every unlisted workflow', () => {
    expect(() => loadEmfConfig({ METRICS_WORKFLOWS: 'a, other' })).toThrow(/may not list "other"/);
  });
});

describe('publishEmf', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('writes one EMF line per document to stdout', () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const config = loadEmfConfig({ METRICS_WORKFLOWS: 'summarize' });
    publishEmf(taskMetricsToEmf(settled, config, AT), config);
    expect(lines.every((line) => line.endsWith('\n'))).toBe(true);
    const written = lines.map((line) => JSON.parse(line) as EmfDocument);
    expect(written).toHaveLength(3);
    expect(written[0]).toMatchObject({ TasksSettled: 1, workflow_id: 'summarize' });
    expect(written[0]?._aws.Timestamp).toBe(AT);
  });

  it('writes nothing when Powertools metrics are disabled (the local stack)', () => {
    const write = vi.fn();
    const config = loadEmfConfig({ POWERTOOLS_METRICS_DISABLED: 'true' });
    publishEmf(taskMetricsToEmf(settled, config, AT), config, write);
    expect(write).not.toHaveBeenCalled();
  });
});
