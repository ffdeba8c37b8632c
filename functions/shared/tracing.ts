// The Tracer, loaded only when tracing is on. It brings the X-Ray SDK, whose cls-hooked async hooks run
// on every promise of the process (bench/bundles.ts prints what that costs per `await`, and at module
// init). With POWERTOOLS_TRACE_ENABLED=false (the local stack, and a deployment with the `tracing`
// context off, the default) it is never imported, and the CDK bundling of such a deployment defines that
// variable so esbuild drops the import from the bundle altogether: keep the comparison literal.
import type { Tracer } from '@aws-lambda-powertools/tracer';
import type { MiddlewareObj } from '@middy/core';
import { SERVICE_NAME } from './telemetry/service-names';

export const tracer: Tracer | undefined =
  process.env.POWERTOOLS_TRACE_ENABLED === 'false'
    ? undefined
    : new (await import('@aws-lambda-powertools/tracer')).Tracer({ serviceName: SERVICE_NAME });

/** Its middy middleware, likewise imported only when tracing is on. */
const captureLambdaHandler =
  process.env.POWERTOOLS_TRACE_ENABLED === 'false'
    ? undefined
    : (await import('@aws-lambda-powertools/tracer/middleware')).captureLambdaHandler;

/** An AWS SDK v3 client, with a subsegment per call when tracing is on. */
export function traced<Client>(client: Client): Client {
  return tracer ? tracer.captureAWSv3Client(client) : client;
}

/**
 * The handler's segment, cold start annotation and response metadata when tracing is on; else no
 * middleware at all (middy takes a list, and refuses an empty middleware object).
 */
export function traceLambdaHandler(): MiddlewareObj[] {
  return tracer && captureLambdaHandler ? [captureLambdaHandler(tracer)] : [];
}

/**
 * One call of a lean AWS client (clients/aws-json.ts), in a subsegment shaped like the SDK's when tracing
 * is on (namespace `aws`, the operation, region, table or queue, request id, retries, status), so the
 * service map and the traces read as before; else just the call.
 */
export async function tracedCall<Output extends { $metadata: { requestId?: string; attempts: number } }>(
  service: string,
  operation: string,
  region: string,
  input: unknown,
  call: () => Promise<Output>,
): Promise<Output> {
  const parent = tracer?.isTracingEnabled() ? tracer.getSegment() : undefined;
  if (!parent) return call();
  const subsegment = parent.addNewSubsegment(service);
  subsegment.namespace = 'aws';
  const target = input as { TableName?: unknown; QueueUrl?: unknown } | undefined;
  const aws: Record<string, unknown> = { operation, region };
  if (typeof target?.TableName === 'string') aws.table_name = target.TableName;
  if (typeof target?.QueueUrl === 'string') aws.queue_url = target.QueueUrl;
  try {
    const output = await call();
    subsegment.addAttribute('aws', {
      ...aws,
      request_id: output.$metadata.requestId,
      retries: output.$metadata.attempts - 1,
    });
    subsegment.close();
    return output;
  } catch (error) {
    const metadata = (
      error as { $metadata?: { httpStatusCode?: number; requestId?: string; attempts?: number } }
    ).$metadata;
    subsegment.addAttribute('aws', {
      ...aws,
      request_id: metadata?.requestId,
      retries: (metadata?.attempts ?? 1) - 1,
    });
    const status = metadata?.httpStatusCode;
    if (status !== undefined) subsegment.addAttribute('http', { response: { status } });
    if (status === 429) subsegment.addThrottleFlag();
    subsegment.close(error as Error, true);
    throw error;
  }
}
