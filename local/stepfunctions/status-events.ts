// The "Step Functions Execution Status Change" event, in the shape EventBridge delivers on AWS, so the
// same consumer (the task-events Lambda) handles both.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Partition } from './arns';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionStatusChangeEvent {
  version: '0';
  id: string;
  'detail-type': 'Step Functions Execution Status Change';
  source: 'aws.states';
  account: string;
  /** ISO 8601 without milliseconds, as EventBridge writes it. */
  time: string;
  region: string;
  resources: string[];
  detail: {
    executionArn: string;
    stateMachineArn: string;
    name: string;
    status: ExecutionStatus;
    /** Epoch milliseconds. */
    startDate: number;
    stopDate: number | null;
    input: string | null;
    output: string | null;
    inputDetails: { included: boolean };
    outputDetails: { included: boolean } | null;
    error: string | null;
    cause: string | null;
    redriveCount: number;
  };
}

/** What the event is built from: an execution record. */
export interface ExecutionSnapshot {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly status: ExecutionStatus;
  readonly startDate: number;
  readonly stopDate?: number;
  readonly input: string;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
}

export function statusChangeEvent(
  partition: Partition,
  execution: ExecutionSnapshot,
): ExecutionStatusChangeEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: partition.accountId,
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: partition.region,
    resources: [execution.executionArn],
    detail: {
      executionArn: execution.executionArn,
      stateMachineArn: execution.stateMachineArn,
      name: execution.name,
      status: execution.status,
      startDate: execution.startDate,
      stopDate: execution.stopDate ?? null,
      input: execution.input,
      output: execution.output ?? null,
      inputDetails: { included: true },
      outputDetails: execution.output === undefined ? null : { included: true },
      error: execution.error ?? null,
      cause: execution.cause ?? null,
      redriveCount: 0,
    },
  };
}

// A failed delivery is tried again after each of these waits, as the EventBridge rule's retry policy
// would; then the event waits for the next start of the stack (its execution's record says so).
export const RETRY_DELAYS_MS = [1_000, 2_000, 4_000, 8_000, 16_000] as const;

/**
 * Delivers events one at a time and in order (RUNNING before SUCCEEDED), like a per-execution event
 * stream, at least once: a failing listener is logged, tried again after RETRY_DELAYS_MS, and never
 * disturbs the executions. `onDelivered` runs once the listener took the event.
 */
export class StatusEventEmitter {
  /** Delivery is ordered per execution and concurrent across executions, as EventBridge would be. */
  private readonly queues = new Map<string, Promise<void>>();
  private readonly closing = new AbortController();

  constructor(
    private readonly partition: Partition,
    private readonly listener: ((event: ExecutionStatusChangeEvent) => Promise<void> | void) | undefined,
  ) {}

  emit(execution: ExecutionSnapshot, onDelivered?: () => void): void {
    const listener = this.listener;
    if (!listener) return;
    const event = statusChangeEvent(this.partition, execution);
    const key = event.detail.executionArn;
    const delivered = (this.queues.get(key) ?? Promise.resolve()).then(async () => {
      if (await this.deliver(listener, event)) onDelivered?.();
    });
    this.queues.set(key, delivered);
    void delivered.then(() => {
      if (this.queues.get(key) === delivered) this.queues.delete(key);
    });
  }

  /** Stops waiting to retry (the events not delivered stay pending) and waits for deliveries under way. */
  async close(): Promise<void> {
    this.closing.abort();
    await this.drain();
  }

  /** Resolves once every event emitted so far has been delivered (or given up on). */
  async drain(): Promise<void> {
    await Promise.all(this.queues.values());
  }

  private async deliver(
    listener: (event: ExecutionStatusChangeEvent) => Promise<void> | void,
    event: ExecutionStatusChangeEvent,
  ): Promise<boolean> {
    const { executionArn, status } = event.detail;
    for (let attempt = 0; ; attempt++) {
      try {
        await listener(event);
        return true;
      } catch (error) {
        const delay: number | undefined = RETRY_DELAYS_MS[attempt];
        const next =
          delay === undefined || this.closing.signal.aborted
            ? 'not delivered until the next start'
            : `tried again in ${delay} ms`;
        console.error(
          `[stepfunctions] onStatusChange failed for ${executionArn} (${status}), ${next}`,
          error,
        );
        if (delay === undefined || !(await this.wait(delay))) return false;
      }
    }
  }

  /** Waits `ms`; false if the emitter closed meanwhile. */
  private async wait(ms: number): Promise<boolean> {
    try {
      await sleep(ms, undefined, { signal: this.closing.signal });
      return true;
    } catch {
      return false;
    }
  }
}
