// Powertools' logMetrics middleware flushes after every invocation and, when nothing was recorded, logs
// "No application metrics to publish" (about 87 % of our lines, since most invocations record none).
// This middleware flushes only when a metric was recorded (Metrics.hasStoredMetrics, added upstream for
// exactly this: aws-powertools/powertools-lambda-typescript#2036), and keeps the cold-start metric,
// which Powertools emits at once as a single-metric document of its own, one per container.
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';

type FlushableMetrics = Pick<Metrics, 'captureColdStartMetric' | 'hasStoredMetrics' | 'publishStoredMetrics'>;

export function publishRecordedMetrics(
  metrics: FlushableMetrics,
  options: { captureColdStartMetric?: boolean } = {},
): MiddlewareObj<unknown, unknown, Error, Context> {
  const flush = () => {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };
  return {
    before: (request) => {
      if (options.captureColdStartMetric) metrics.captureColdStartMetric(request.context.functionName);
    },
    after: flush,
    onError: flush,
  };
}
