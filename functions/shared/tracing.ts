// The Tracer, loaded only when tracing is on. It brings the X-Ray SDK, whose cls-hooked async hooks run
// on every promise of the process (bench/bundles.ts prints what that costs per `await`, and at module
// init). With POWERTOOLS_TRACE_ENABLED=false (the local stack, and a deployment with the `tracing`
// context off, the default) it is never imported, and the CDK bundling of such a deployment defines that
// variable so esbuild drops the import from the bundle altogether: keep the comparison literal.
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { MiddlewareObj } from '@middy/core';
import { SERVICE_NAME } from './telemetry/service-names';

export const tracer: Tracer | undefined =
  process.env.POWERTOOLS_TRACE_ENABLED === 'false'
    ? undefined
    : new (await import('@aws-lambda-powertools/tracer')).Tracer({ serviceName: SERVICE_NAME });

/** An AWS SDK v3 client, with a subsegment per call when tracing is on. */
export function traced<Client>(client: Client): Client {
  return tracer ? tracer.captureAWSv3Client(client) : client;
}

/**
 * The handler's segment, cold start annotation and response metadata when tracing is on; else no
 * middleware at all (middy takes a list, and refuses an empty middleware object).
 */
export function traceLambdaHandler(): MiddlewareObj[] {
  return tracer ? [captureLambdaHandler(tracer)] : [];
}
