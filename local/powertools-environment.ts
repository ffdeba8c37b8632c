// Powertools reads its settings when its Logger/Metrics/Tracer are created, at the first import of
// functions/shared/powertools.ts, so this module must be imported before anything that leads there.
// Locally there is no X-Ray daemon and no CloudWatch: tracing off, EMF metrics not printed.
import { AsyncLocalStorage } from 'node:async_hooks';
import { InvokeStoreBase } from '@aws/lambda-invoke-store';

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
// Created synchronously (InvokeStore.getInstanceAsync awaits an import): with a top-level await here,
// modules imported after this one are evaluated before it resumes, and one that creates the Powertools
// Logger/Metrics (functions/shared/powertools.ts) would find no store and throw.
class LocalInvokeStore extends InvokeStoreBase {
  private readonly scopes = new AsyncLocalStorage<Context>();
  getContext(): Context | undefined {
    return this.scopes.getStore();
  }
  hasContext(): boolean {
    return this.scopes.getStore() !== undefined;
  }
  get<T = unknown>(key: string | symbol): T | undefined {
    return this.scopes.getStore()?.[key] as T | undefined;
  }
  set<T = unknown>(key: string | symbol, value: T): void {
    if (this.isProtectedKey(key))
      throw new Error(`Cannot modify protected Lambda context field: ${String(key)}`);
    const scope = this.scopes.getStore();
    if (!scope) throw new Error('No context available');
    scope[key] = value;
  }
  run<T>(context: Context, fn: () => T): T {
    return this.scopes.run(context, fn);
  }
}
type Context = Record<string | symbol, unknown>;
// What InvokeStore.getInstanceAsync returns from now on.
globalThis.awslambda.InvokeStore ??= new LocalInvokeStore();
