// Runs the project's real Lambda handlers in this process, with a Lambda-shaped context and the
// function's configured timeout. Functions are addressed like on AWS: by name or ARN
// (`stepwise-<folder>` locally), so the ASL and integrations need no local special case.
import { randomUUID } from 'node:crypto';
import { InvokeStore, InvokeStoreBase } from '@aws/lambda-invoke-store';
import type { Context } from 'aws-lambda';
import { FUNCTIONS, type FunctionName, type FunctionShape } from '../functions/shared/resources';
import { InFlight } from './in-flight';
import { InvocationMeter } from './invocation-meter';
import type { LocalAwsSettings } from './settings';

export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

export interface LocalFunction {
  readonly shape: FunctionShape;
  /** Loads the handler; `attempt` counts the loads that failed before (each must be a fresh module). */
  load(attempt: number): Promise<LambdaHandler>;
}

/** Lambda's own error for a function that runs past its timeout. */
export class LambdaTimeoutError extends Error {
  override name = 'Sandbox.Timedout';
}

export class FunctionNotFoundError extends Error {
  override name = 'ResourceNotFoundException';
}

export const localFunctionName = (shape: FunctionShape) => `stepwise-${shape.folder}`;

export function projectFunctions(): Record<string, LocalFunction> {
  return Object.fromEntries(
    (Object.entries(FUNCTIONS) as [FunctionName, FunctionShape][]).map(([key, shape]) => [
      key,
      {
        shape,
        load: async (attempt) => {
          // An ES module whose evaluation threw stays that failure in the module cache: a new URL (a
          // query) evaluates it afresh, as a new container would.
          const query = attempt > 0 ? `?load=${attempt}` : '';
          const module = (await import(`../functions/${shape.folder}/handler.ts${query}`)) as {
            handler: LambdaHandler;
          };
          return module.handler;
        },
      },
    ]),
  );
}

// Each invocation runs in its own InvokeStore scope (see powertools-environment.ts), so Powertools keeps
// its per-invocation state (log keys, Lambda context) apart between overlapping invocations.
const localInvokeStore = () => InvokeStore.getInstanceAsync(true);

export class LambdaRuntime {
  private readonly byName = new Map<string, LocalFunction>();
  private readonly handlers = new Map<string, Promise<LambdaHandler>>();
  /** Per function, its loads that failed (a bad configuration): the next one loads a fresh module. */
  private readonly failedLoads = new Map<string, number>();
  /**
   * Handlers still running after their invocation timed out, by function name. Lambda stops a sandbox at
   * its timeout; a handler here cannot be stopped and runs on, so whoever would start the next run of the
   * same work (a schedule) waits for it (`whenOverrunEnds`) instead of running it twice at once.
   */
  private readonly overrunning = new Map<string, InFlight>();
  /**
   * Every invocation's function, memory and handler duration (the bench's cost table), when asked for: it
   * keeps one record per invocation for as long as the stack runs.
   */
  readonly meter: InvocationMeter | undefined;
  private readonly configured: Promise<void>;

  /**
   * `configured`: when the handlers' environment is set (the stack: once it knows every address in it).
   * Every invocation waits for it, whoever makes it (a worker through the Lambda endpoint, an execution
   * resumed at start): a handler module reads its configuration when it loads.
   */
  constructor(
    private readonly settings: LocalAwsSettings,
    private readonly functions: Record<string, LocalFunction> = projectFunctions(),
    {
      meterInvocations = false,
      configured = Promise.resolve(),
    }: { meterInvocations?: boolean; configured?: Promise<void> } = {},
  ) {
    this.configured = configured;
    for (const fn of Object.values(functions)) this.byName.set(localFunctionName(fn.shape), fn);
    this.meter = meterInvocations ? new InvocationMeter() : undefined;
  }

  arn(key: string): string {
    const fn = this.functions[key];
    if (!fn) throw new FunctionNotFoundError(`No function ${key}`);
    return `arn:aws:lambda:${this.settings.region}:${this.settings.accountId}:function:${localFunctionName(fn.shape)}`;
  }

  /** Invoke by the key in FUNCTIONS. */
  invoke(key: string, event: unknown): Promise<unknown> {
    const fn = this.functions[key];
    if (!fn) return Promise.reject(new FunctionNotFoundError(`No function ${key}`));
    return this.run(localFunctionName(fn.shape), fn, event);
  }

  /** Invoke by function name, partial ARN or ARN (with an optional qualifier), as Step Functions does. */
  invokeByName(nameOrArn: string, event: unknown): Promise<unknown> {
    const name = nameOrArn.replace(/^arn:aws:lambda:[^:]+:[^:]+:function:/, '').split(':')[0] ?? '';
    const fn = this.byName.get(name);
    if (!fn) return Promise.reject(new FunctionNotFoundError(`Function not found: ${nameOrArn}`));
    return this.run(name, fn, event);
  }

  private async run(name: string, fn: LocalFunction, event: unknown): Promise<unknown> {
    await this.configured;
    const store = await localInvokeStore();
    let handler = this.handlers.get(name);
    if (!handler) {
      handler = fn.load(this.failedLoads.get(name) ?? 0);
      this.handlers.set(name, handler);
      // A module that failed to load (bad configuration) is loaded afresh next time, as a new container.
      handler.catch(() => {
        this.handlers.delete(name);
        this.failedLoads.set(name, (this.failedLoads.get(name) ?? 0) + 1);
      });
    }
    const timeoutMs = fn.shape.timeoutSeconds * 1000;
    const deadline = Date.now() + timeoutMs;
    const context = this.context(name, fn.shape, deadline);
    let timer: NodeJS.Timeout | undefined;
    let started: number | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new LambdaTimeoutError(`Task timed out after ${fn.shape.timeoutSeconds} seconds`)),
        timeoutMs,
      );
    });
    try {
      const invoke = await handler;
      const scope = { [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: context.awsRequestId };
      started = performance.now();
      const invocation = store.run(scope, () => invoke(event, context));
      try {
        return await Promise.race([invocation, timeout]);
      } catch (error) {
        if (error instanceof LambdaTimeoutError) this.keepOverrun(name, invocation);
        throw error;
      }
    } finally {
      clearTimeout(timer);
      if (started !== undefined) this.meter?.record(fn.shape, event, performance.now() - started);
    }
  }

  /**
   * Resolves once no invocation of the function (by its key in FUNCTIONS) that timed out is still running
   * its handler: at once when none is.
   */
  async whenOverrunEnds(key: string): Promise<void> {
    const fn = this.functions[key];
    await (fn && this.overrunning.get(localFunctionName(fn.shape)))?.drained();
  }

  private keepOverrun(name: string, invocation: Promise<unknown>): void {
    const running = this.overrunning.get(name) ?? new InFlight();
    this.overrunning.set(name, running);
    void running.track(invocation);
  }

  private context(name: string, shape: FunctionShape, deadline: number): Context {
    return {
      callbackWaitsForEmptyEventLoop: false,
      functionName: name,
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:${this.settings.region}:${this.settings.accountId}:function:${name}`,
      memoryLimitInMB: String(shape.memoryMb),
      awsRequestId: randomUUID(),
      logGroupName: `/aws/lambda/${name}`,
      logStreamName: 'local',
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
  }
}
