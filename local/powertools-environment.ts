// Powertools reads its settings when its Logger/Metrics/Tracer are created, at the first import of
// functions/shared/powertools.ts, so this module must be imported before anything that leads there.
// Locally there is no X-Ray daemon and no CloudWatch: tracing off, EMF metrics not printed.
import { InvokeStore } from '@aws/lambda-invoke-store';

process.env.POWERTOOLS_SERVICE_NAME ??= 'stepwise';
process.env.POWERTOOLS_TRACE_ENABLED = 'false';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

// Every function runs in this one process with invocations overlapping, as in a Lambda Managed Instances
// environment. There the runtime scopes Powertools' per-invocation state (the logger's appended keys and
// Lambda context, stored metrics) with an AsyncLocalStorage InvokeStore, which AWS_LAMBDA_MAX_CONCURRENCY
// turns on; the same here (LambdaRuntime runs each invocation in its scope), so one invocation's log keys
// never land on another's lines. Created before anything else asks for it: the AWS SDK's recursion
// detection would otherwise create the single-invocation kind first.
process.env.AWS_LAMBDA_MAX_CONCURRENCY ||= '1000';
await InvokeStore.getInstanceAsync(true);
