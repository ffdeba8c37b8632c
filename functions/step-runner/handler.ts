import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
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
import { logContext, stepLogContext } from '../shared/telemetry/log-context';
import { publishRecordedMetrics } from '../shared/telemetry/publish-metrics';

const deps: StepRunnerDeps = {
  tasks: new DynamoTaskStore(documentClient(), requireEnv('TABLE_NAME')),
  runAction: createActionRunner(),
  prices: loadLlmPrices(process.env.LLM_PRICES),
  logger,
};

const lambdaHandler = async (payload: StepPayload): Promise<StepResult | RecordedFailure | null> => {
  // The runner logs each attempt's start and end (a failure with its stack, which Step Functions never sees).
  return handleStepPayload(payload, deps);
};

export const handler = middy(lambdaHandler)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger, { clearState: true }))
  .use(publishRecordedMetrics(metrics, { captureColdStartMetric: true }))
  .use(parser({ schema: StepPayloadSchema }))
  .use(logContext(logger, stepLogContext));
