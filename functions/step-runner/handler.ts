import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { createActionRunner } from '../shared/actions/run-action';
import { documentClient } from '../shared/clients';
import { requireEnv } from '../shared/config';
import { logger, metrics, tracer } from '../shared/powertools';
import { handleStepPayload, type RecordedFailure, type StepResult } from '../shared/steps/run-step';
import { type StepPayload, StepPayloadSchema } from '../shared/steps/step-payload';
import { DynamoTaskStore } from '../shared/tasks/task-store';
import { logContext, stepLogContext } from '../shared/telemetry/log-context';
import { publishRecordedMetrics } from '../shared/telemetry/publish-metrics';

const deps = {
  tasks: new DynamoTaskStore(documentClient(), requireEnv('TABLE_NAME')),
  runAction: createActionRunner(),
};

const lambdaHandler = async (payload: StepPayload): Promise<StepResult | RecordedFailure | null> => {
  try {
    return await handleStepPayload(payload, deps);
  } catch (error) {
    // A failed attempt reaches Step Functions without its stack trace; the log keeps it (as the cause).
    logger.warn('Step attempt failed', error as Error);
    throw error;
  }
};

export const handler = middy(lambdaHandler)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger, { clearState: true }))
  .use(publishRecordedMetrics(metrics, { captureColdStartMetric: true }))
  .use(parser({ schema: StepPayloadSchema }))
  .use(logContext(logger, stepLogContext));
