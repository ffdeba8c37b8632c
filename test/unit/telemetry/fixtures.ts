// Step records and tasks for the telemetry builders' tests, written the way the task store leaves them.
import type { AttemptRecord, StepRecord, Task } from '../../../functions/shared/tasks/task';

export const at = (seconds: number) =>
  new Date(Date.parse('2026-03-01T10:00:00.000Z') + seconds * 1000).toISOString();

export function step(
  stepId: string,
  status: StepRecord['status'],
  history: AttemptRecord[],
  extra: Partial<StepRecord> = {},
): StepRecord {
  const last = history.at(-1);
  return {
    orgId: 'org-a',
    workflowId: 'wf',
    stepId,
    stepType: 'transform',
    status,
    attempts: history.length,
    ...(history[0] && { startedAt: history[0].startedAt }),
    ...(['SUCCEEDED', 'FAILED', 'SKIPPED', 'CANCELLED', 'TIMED_OUT', 'ABORTED'].includes(status) && {
      endedAt: last?.endedAt ?? at(100),
    }),
    updatedAt: last?.endedAt ?? last?.startedAt ?? at(100),
    history,
    ...extra,
  };
}

export function attempt(
  n: number,
  from: number,
  to: number | undefined,
  status: AttemptRecord['status'],
  extra: Partial<AttemptRecord> = {},
): AttemptRecord {
  return {
    attempt: n,
    status,
    startedAt: at(from),
    ...(to !== undefined && { endedAt: at(to), durationMs: (to - from) * 1000 }),
    ...extra,
  };
}

export const TASK: Task = {
  taskId: 'task-1',
  orgId: 'org-a',
  workflowId: 'wf',
  workflowVersion: 1,
  status: 'SUCCEEDED',
  input: {},
  executionArn: 'arn:aws:states:us-east-1:000000000000:execution:wf:task-1',
  createdAt: at(0),
  updatedAt: at(20),
  startedAt: at(1),
  endedAt: at(20),
};
