// With tracing on, each call of a lean AWS client is an `aws` subsegment of the handler's segment, named
// for the service, with the operation and table, closed with the error when the call fails.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const saved = { ...process.env };
let tracing: typeof import('../../../functions/shared/tracing');

beforeAll(async () => {
  Object.assign(process.env, {
    POWERTOOLS_TRACE_ENABLED: 'true',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    AWS_LAMBDA_FUNCTION_NAME: 'traced-call-test',
    _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
  });
  vi.resetModules();
  tracing = await import('../../../functions/shared/tracing');
});
afterAll(() => {
  process.env = saved;
});

const metadata = { requestId: 'req-1', attempts: 2 };

describe('tracedCall', () => {
  it('records a successful call as an aws subsegment with its operation, table and retries', async () => {
    const { tracer, tracedCall } = tracing;
    const xray = await import('aws-xray-sdk-core');
    const segment = new xray.Segment('handler');
    await xray.getNamespace().runPromise(async () => {
      tracer?.setSegment(segment);
      await tracedCall('DynamoDB', 'GetItem', 'eu-west-1', { TableName: 't' }, async () => ({
        $metadata: metadata,
      }));
    });

    const [subsegment] = segment.subsegments ?? [];
    expect(subsegment?.toJSON()).toMatchObject({
      name: 'DynamoDB',
      namespace: 'aws',
      aws: { operation: 'GetItem', region: 'eu-west-1', table_name: 't', request_id: 'req-1', retries: 1 },
    });
    expect(subsegment?.isClosed()).toBe(true);
  });

  it('closes the subsegment with the error and rethrows it', async () => {
    const { tracer, tracedCall } = tracing;
    const xray = await import('aws-xray-sdk-core');
    const segment = new xray.Segment('handler');
    await xray.getNamespace().runPromise(async () => {
      tracer?.setSegment(segment);
      const failure = Object.assign(new Error('condition'), {
        name: 'ConditionalCheckFailedException',
        $metadata: { httpStatusCode: 400, attempts: 1 },
      });
      await expect(
        tracedCall('DynamoDB', 'PutItem', 'eu-west-1', { TableName: 't' }, () => Promise.reject(failure)),
      ).rejects.toBe(failure);
    });

    const json = segment.subsegments?.[0]?.toJSON();
    expect(json).toMatchObject({
      name: 'DynamoDB',
      aws: { operation: 'PutItem' },
      http: { response: { status: 400 } },
    });
    expect(json?.error || json?.fault).toBe(true);
  });
});
