// What happens when Step Functions reports an execution status change.
import type { ExecutionStatusChangeEvent } from './execution-status-event';
import type { ExecutionStatusStore } from './execution-status-store';

export interface RecordOutcome {
  readonly recorded: boolean;
}

export async function recordExecutionStatus(
  event: ExecutionStatusChangeEvent,
  store: ExecutionStatusStore,
): Promise<RecordOutcome> {
  const recorded = await store.record({ ...event.detail, eventId: event.id, eventTime: event.time });
  return { recorded };
}
