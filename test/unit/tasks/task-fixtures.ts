// The running task the step and late-step unit tests start from: t1 of org o, workflow w, created at
// 2026-01-01T00:00:00Z.
import type { Task } from '../../../functions/shared/tasks/task';

export const RUNNING_TASK: Task = {
  taskId: 't1',
  orgId: 'o',
  workflowId: 'w',
  workflowVersion: 1,
  status: 'RUNNING',
  input: {},
  executionArn: 'arn:aws:states:us-east-1:123456789012:execution:w:t1',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};
