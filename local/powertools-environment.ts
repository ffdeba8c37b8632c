// Powertools reads its settings when its Logger/Metrics/Tracer are created, at the first import of
// functions/shared/powertools.ts, so this module must be imported before anything that leads there.
// Locally there is no X-Ray daemon and no CloudWatch: tracing off, EMF metrics not printed.
process.env.POWERTOOLS_SERVICE_NAME ??= 'stepwise';
process.env.POWERTOOLS_TRACE_ENABLED = 'false';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
