import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { createActionRunner } from '../shared/actions/run-action';
import { documentClient } from '../shared/clients';
import { requireEnv } from '../shared/config';
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

const deps: StepRunnerDeps = {
  tasks: new DynamoTaskStore(documentClient(), requireEnv('TABLE_NAME')),
  runAction: createActionRunner(),
  prices: loadLlmPrices(process.env.LLM_PRICES),
  logger,
};

const lambdaHandler = async (payload: StepPayload): Promise<StepResult | RecordedFailure | null> => {
  logger.appendKeys({
    task_id: payload.task.id,
    org_id: payload.task.orgId,
    workflow_id: payload.task.workflowId,
    step_id: payload.step.id,
  });
  // The runner logs each attempt's start and end (a failure with its stack, which Step Functions never sees).
  return handleStepPayload(payload, deps);
};

export const handler = middy(lambdaHandler)
  .use(captureLambdaHandler(tracer))
  .use(logMetrics(metrics, { captureColdStartMetric: true }))
  .use(injectLambdaContext(logger, { clearState: true }))
  .use(parser({ schema: StepPayloadSchema }));
