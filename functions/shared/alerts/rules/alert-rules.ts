// The rules the sweeper evaluates, in the order it runs them, over the table, the workflow versions and
// the DLQs.
import type { DocumentClient } from '../../clients/table-commands';
import type { WorkflowStore } from '../../registry/workflow-store';
import type { AggregateStore } from '../../telemetry/aggregate-store';
import { dlqRule, type QueueDepth } from './dlq-rule';
import { errorRateRule } from './error-rate-rule';
import type { AlertRule } from './evaluate-rules';
import { DynamoFailedTasks } from './failed-tasks';
import { DynamoOpenWork } from './open-work';
import { retryingStepRule } from './retrying-step-rule';
import { slowTasksRule } from './slow-tasks-rule';
import { stuckTaskRule } from './stuck-task-rule';
import { taskFailedRule } from './task-failed-rule';

export interface AlertRuleSources {
  readonly client: DocumentClient;
  readonly tableName: string;
  readonly aggregates: AggregateStore;
  readonly workflows: Pick<WorkflowStore, 'getVersion'>;
  readonly dlqUrls: readonly string[];
  /** What the worker types' queue names start with (DlqRuleDeps). */
  readonly workerQueueNamePrefix?: string;
  readonly queueDepth: QueueDepth;
  readonly onQueueError?: (error: unknown, queueUrl: string) => void;
}

export function alertRules(sources: AlertRuleSources): AlertRule[] {
  const openWork = new DynamoOpenWork(sources.client, sources.tableName);
  return [
    errorRateRule({ aggregates: sources.aggregates }),
    slowTasksRule({ aggregates: sources.aggregates }),
    stuckTaskRule({
      openWork,
      getVersion: (orgId, workflowId, version) => sources.workflows.getVersion(orgId, workflowId, version),
    }),
    retryingStepRule({ openWork }),
    taskFailedRule({ failedTasks: new DynamoFailedTasks(sources.client, sources.tableName) }),
    dlqRule({
      queueUrls: sources.dlqUrls,
      depth: sources.queueDepth,
      ...(sources.workerQueueNamePrefix && { workerQueueNamePrefix: sources.workerQueueNamePrefix }),
      ...(sources.onQueueError && { onError: sources.onQueueError }),
    }),
  ];
}
