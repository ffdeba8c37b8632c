// The service name and metrics namespace, on their own so that code outside a Lambda (the CDK dashboard)
// can name them without creating Powertools' Logger, Metrics and Tracer (powertools.ts).
export const SERVICE_NAME = 'stepwise';
export const METRICS_NAMESPACE = 'stepwise';
