// Counts the Lambda invocations the local runtime serves, with each one's function, configured memory
// and handler duration (the module's init excluded, as Lambda bills the handler's time), for the bench's
// cost table (bench/cost-model.ts). API Gateway requests and EventBridge events reach the functions as
// invocations too: the event's `routeKey` and `source` say which.
import type { FunctionShape } from '../functions/shared/resources';

export interface MeteredInvocation {
  /** The function's folder (`step-runner`, `api`, ...). */
  readonly folder: string;
  readonly memoryMb: number;
  /** Wall time of the handler call, in ms (not rounded). */
  readonly durationMs: number;
  /** The API Gateway route key (`POST /tasks`) when an HTTP API request invoked it. */
  readonly routeKey?: string;
  /** The EventBridge source (`aws.states`) when an event invoked it. */
  readonly source?: string;
  /** The authorizer's invocations are API Gateway's: kept apart from the route's own. */
  readonly authorizer?: boolean;
}

export class InvocationMeter {
  private readonly seen: MeteredInvocation[] = [];

  /** Invocations so far, oldest first (a copy). */
  invocations(): readonly MeteredInvocation[] {
    return [...this.seen];
  }

  record(shape: FunctionShape, event: unknown, durationMs: number): void {
    const fields = (event ?? {}) as { routeKey?: unknown; source?: unknown; type?: unknown };
    this.seen.push({
      folder: shape.folder,
      memoryMb: shape.memoryMb,
      durationMs,
      ...(typeof fields.routeKey === 'string' && { routeKey: fields.routeKey }),
      ...(typeof fields.source === 'string' && { source: fields.source }),
      ...(fields.type === 'REQUEST' && { authorizer: true }),
    });
  }
}
