// Logger and Metrics, created once per container with the service name and namespace. The Tracer lives
// in tracing.ts, loaded only when tracing is on.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, SERVICE_NAME } from './telemetry/service-names';

export { METRICS_NAMESPACE, SERVICE_NAME };

export const logger = new Logger({ serviceName: SERVICE_NAME });
// Metrics' own warnings (a bad dimension, a key collision) go through the logger, so they are
// structured and follow the log level instead of going to stdout unconditionally.
export const metrics = new Metrics({ serviceName: SERVICE_NAME, namespace: METRICS_NAMESPACE, logger });
