// The "Step Functions Execution Status Change" event, in the shape EventBridge delivers on AWS, so the
// same consumer (the task-events Lambda) handles both.
import { randomUUID } from 'node:crypto';
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

/**
 * Delivers events one at a time and in order (RUNNING before SUCCEEDED), like a per-execution event
 * stream. A failing listener is logged and never disturbs the executions.
 */
export class StatusEventEmitter {
  /** Delivery is ordered per execution and concurrent across executions, as EventBridge would be. */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    private readonly partition: Partition,
    private readonly listener: ((event: ExecutionStatusChangeEvent) => Promise<void> | void) | undefined,
  ) {}

  emit(execution: ExecutionSnapshot): void {
    const listener = this.listener;
    if (!listener) return;
    const event = statusChangeEvent(this.partition, execution);
    const key = event.detail.executionArn;
    const delivered = (this.queues.get(key) ?? Promise.resolve()).then(async () => {
      try {
        await listener(event);
      } catch (error) {
        console.error(
          `[stepfunctions] onStatusChange failed for ${event.detail.executionArn} (${event.detail.status})`,
          error,
        );
      }
    });
    this.queues.set(key, delivered);
    void delivered.then(() => {
      if (this.queues.get(key) === delivered) this.queues.delete(key);
    });
  }

  /** Resolves once every event emitted so far has been delivered. */
  async drain(): Promise<void> {
    await Promise.all(this.queues.values());
  }
}
