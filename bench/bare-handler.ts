// The baseline of the bundle benchmark (bench/bundles.ts): the least a stepwise handler loads, a
// Powertools Logger and a middy handler with its context middleware, bundled like every function.
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';

const logger = new Logger({ serviceName: 'bare' });

export const handler = middy(async () => ({ statusCode: 200 })).use(
  injectLambdaContext(logger, { clearState: true }),
);
