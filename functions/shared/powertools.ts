// Logger, Metrics and Tracer, created once per container with the service name and namespace.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { METRICS_NAMESPACE, SERVICE_NAME } from './telemetry/service-names';

export { METRICS_NAMESPACE, SERVICE_NAME };

export const logger = new Logger({ serviceName: SERVICE_NAME });
// Metrics' own warnings (a bad dimension, a key collision) go through the logger, so they are
// structured and follow the log level instead of going to stdout unconditionally.
export const metrics = new Metrics({ serviceName: SERVICE_NAME, namespace: METRICS_NAMESPACE, logger });
export const tracer = new Tracer({ serviceName: SERVICE_NAME });
