// Settled task items written the way the settle write stores them (the brief's shape: the task, its
// TaskMetrics, settledAt and the settled-index keys), for tests of the aggregates that should not depend
// on how the task runner records its steps.
import { type DocumentClient, PutCommand } from '../../functions/shared/clients/table-commands';
import { settledIndexKeys } from '../../functions/shared/telemetry/settled-index';
import type { TaskMetrics } from '../../functions/shared/telemetry/task-metrics';

export interface SeededTask {
  readonly taskId: string;
  readonly orgId: string;
  readonly workflowId: string;
  readonly agentId?: string;
  readonly status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'CANCELLED';
  readonly settledAtMs: number;
  readonly metrics: TaskMetrics;
}

/**
 * Writes a settled task item; `settledBy: 'earlier-version'` puts it where versions before gsi13 did: the
 * same settled-index keys on gsi2.
 */
export async function seedSettledTask(
  documents: DocumentClient,
  tableName: string,
  task: SeededTask,
  settledBy: 'this-version' | 'earlier-version' = 'this-version',
): Promise<void> {
  const { gsi13pk, gsi13sk } = settledIndexKeys(task.taskId, task.settledAtMs);
  const endedAt = new Date(task.settledAtMs).toISOString();
  const createdAt = new Date(task.settledAtMs - task.metrics.durationMs).toISOString();
  await documents.send(
    new PutCommand({
      TableName: tableName,
      Item: {
        pk: `TASK#${task.taskId}`,
        sk: 'TASK',
        type: 'Task',
        taskId: task.taskId,
        orgId: task.orgId,
        workflowId: task.workflowId,
        workflowVersion: 1,
        ...(task.agentId && { agentId: task.agentId }),
        status: task.status,
        input: {},
        executionArn: `arn:aws:states:us-east-1:000000000000:execution:seeded:${task.taskId}`,
        createdAt,
        updatedAt: endedAt,
        startedAt: createdAt,
        endedAt,
        settledAt: endedAt,
        metrics: task.metrics,
        ...(settledBy === 'this-version' ? { gsi13pk, gsi13sk } : { gsi2pk: gsi13pk, gsi2sk: gsi13sk }),
      },
    }),
  );
}

/** TaskMetrics of a one-step task that took `durationMs`, `retries` of them retries. */
export function simpleMetrics(durationMs: number, queueMs: number, retries = 0, llmCalls = 0): TaskMetrics {
  const llm =
    llmCalls === 0
      ? undefined
      : {
          calls: llmCalls,
          tokensIn: 100 * llmCalls,
          tokensOut: 10 * llmCalls,
          cachedTokens: 40 * llmCalls,
          toolCalls: 0,
          latencyMs: 50 * llmCalls,
          costUsd: 0.001 * llmCalls,
          byModel: {
            'openai:fake-model': {
              calls: llmCalls,
              tokensIn: 100 * llmCalls,
              tokensOut: 10 * llmCalls,
              cachedTokens: 40 * llmCalls,
              toolCalls: 0,
              latencyMs: 50 * llmCalls,
              costUsd: 0.001 * llmCalls,
            },
          },
        };
  return {
    queueMs,
    executionMs: durationMs - queueMs,
    durationMs,
    attempts: 1 + retries,
    retries,
    ...(llm && { llm }),
    steps: {
      work: {
        status: 'SUCCEEDED',
        durationMs: durationMs - queueMs,
        attempts: 1 + retries,
        retries,
        ...(llm && { llm }),
      },
    },
  };
}
