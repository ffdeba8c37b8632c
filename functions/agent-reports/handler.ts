// agentReports: workers invoke it synchronously (lambda:InvokeFunction) when they claim an `agent` step's
// message and when they finish it, so the step's attempts show who ran them. The payload is checked in
// the domain code, which answers a bad one with a named error rather than failing the invocation.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { documentClient } from '../shared/clients';
import { requireEnv } from '../shared/config';
import { flushLiveUpdates, livePublisher } from '../shared/live/live-clients';
import { LiveTaskStore } from '../shared/live/live-task-store';
import { logger, metrics, tracer } from '../shared/powertools';
import { WorkflowStore } from '../shared/registry/workflow-store';
import { DynamoTaskStore } from '../shared/tasks/task-store';
import { publishRecordedMetrics } from '../shared/telemetry/publish-metrics';
import {
  type AgentAttemptsDeps,
  type AgentReportResult,
  handleAgentReport,
} from '../shared/workers/agent-attempts';

const tableName = requireEnv('TABLE_NAME');
const deps: AgentAttemptsDeps = {
  tasks: new LiveTaskStore(new DynamoTaskStore(documentClient(), tableName), livePublisher()),
  workflows: new WorkflowStore(documentClient(), tableName),
};

const lambdaHandler = async (payload: unknown): Promise<AgentReportResult> => {
  const result = await handleAgentReport(payload, deps);
  // Never the token: the report's ids and the outcome.
  const report = (typeof payload === 'object' && payload !== null ? payload : {}) as Record<string, unknown>;
  logger.info('Agent report', {
    kind: report.kind,
    workerId: report.workerId,
    task: report.task,
    step: report.step,
    result,
  });
  return result;
};

export const handler = middy(lambdaHandler)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger, { clearState: true }))
  .use(publishRecordedMetrics(metrics, { captureColdStartMetric: true }))
  .use(flushLiveUpdates());
