// The handlers flush Powertools metrics only when one was recorded, so an invocation that records none
// logs no "No application metrics to publish" warning, and the cold-start metric still goes out once.
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { publishRecordedMetrics } from '../../../functions/shared/telemetry/publish-metrics';

const context = { functionName: 'stepwise-api', awsRequestId: 'r-1' } as Context;

function setup(record: boolean) {
  // Powertools counts a cold start only in an on-demand Lambda environment.
  vi.stubEnv('AWS_LAMBDA_INITIALIZATION_TYPE', 'on-demand');
  const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
  const metrics = new Metrics({ namespace: 'test', serviceName: 'stepwise', logger });
  const handler = middy(async () => {
    if (record) metrics.addMetric('Things', MetricUnit.Count, 1);
  }).use(publishRecordedMetrics(metrics, { captureColdStartMetric: true }));
  return { logger, handler };
}

let written: string[];
beforeEach(() => {
  written = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

const documents = () =>
  written.map(
    (line) => JSON.parse(line) as { _aws: { CloudWatchMetrics: { Metrics: { Name: string }[] }[] } },
  );
const names = () => documents().flatMap((doc) => doc._aws.CloudWatchMetrics[0]?.Metrics.map((m) => m.Name));

describe('publishRecordedMetrics', () => {
  it('logs no warning and writes only the cold-start metric when an invocation records nothing', async () => {
    const { logger, handler } = setup(false);
    await handler({}, context);
    await handler({}, context);
    expect(logger.warn).not.toHaveBeenCalled();
    expect(names()).toEqual(['ColdStart']);
  });

  it('publishes what an invocation recorded, after the cold start of the first one only', async () => {
    const { logger, handler } = setup(true);
    await handler({}, context);
    await handler({}, context);
    expect(logger.warn).not.toHaveBeenCalled();
    expect(names()).toEqual(['ColdStart', 'Things', 'Things']);
  });

  it('publishes what was recorded when the handler throws', async () => {
    const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const metrics = new Metrics({ namespace: 'test', serviceName: 'stepwise', logger });
    const handler = middy(async () => {
      metrics.addMetric('Failures', MetricUnit.Count, 1);
      throw new Error('boom');
    }).use(publishRecordedMetrics(metrics));
    await expect(handler({}, context)).rejects.toThrow('boom');
    expect(names()).toEqual(['Failures']);
  });
});
