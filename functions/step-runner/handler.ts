import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { createActionRunner } from '../shared/actions/run-action';
import { DynamoApprovalStore } from '../shared/approvals/approval-store';
import { SnsApprovalNotifier } from '../shared/approvals/notify-approval';
import {
  type ApprovalRequestDeps,
  closeUndecidedApproval,
  requestApproval,
} from '../shared/approvals/request-approval';
import { documentClient, snsClient } from '../shared/clients';
import { requireEnv } from '../shared/config';
import { flushLiveUpdates, livePublisher } from '../shared/live/live-clients';
import { LiveTaskStore } from '../shared/live/live-task-store';
import { logger, metrics, tracer } from '../shared/powertools';
import {
  handleStepPayload,
  type RecordedFailure,
  type StepResult,
  type StepRunnerDeps,
} from '../shared/steps/run-step';
import { type StepPayload, StepPayloadSchema } from '../shared/steps/step-payload';
import { DynamoTaskStore } from '../shared/tasks/task-store';
import { loadLlmPrices } from '../shared/telemetry/llm-prices';
import { logContext, stepLogContext } from '../shared/telemetry/log-context';
import { publishRecordedMetrics } from '../shared/telemetry/publish-metrics';

const deps: StepRunnerDeps = {
  tasks: new LiveTaskStore(new DynamoTaskStore(documentClient(), requireEnv('TABLE_NAME')), livePublisher()),
  runAction: createActionRunner(),
  prices: loadLlmPrices(process.env.LLM_PRICES),
  logger,
};

const approvals: ApprovalRequestDeps = {
  approvals: new DynamoApprovalStore(documentClient(), requireEnv('TABLE_NAME')),
  tasks: deps.tasks,
  notifier: new SnsApprovalNotifier(snsClient(), requireEnv('INFO_TOPIC_ARN')),
  now: () => new Date(),
  logger,
};

const lambdaHandler = async (payload: StepPayload): Promise<StepResult | RecordedFailure | object | null> => {
  // An approval's waiting state ignores what this returns: the decision route completes its task token.
  if (payload.kind === 'approval') return requestApproval(payload, approvals);
  // The runner logs each attempt's start and end (a failure with its stack, which Step Functions never sees).
  const result = await handleStepPayload(payload, deps);
  if (payload.kind === 'record') await closeUndecidedApproval(payload, approvals);
  return result;
};

export const handler = middy(lambdaHandler)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger, { clearState: true }))
  .use(publishRecordedMetrics(metrics, { captureColdStartMetric: true }))
  .use(parser({ schema: StepPayloadSchema }))
  .use(logContext(logger, stepLogContext))
  .use(flushLiveUpdates());
