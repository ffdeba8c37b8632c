// Where a settled task sits in gsi2 for the aggregate folder: 10-second slots, 4 shards per slot.
import { activeShardOf } from '../tasks/task-store';

export const settledIndexKeys = (taskId: string, settledAtMs: number) => ({
  gsi2pk: `SETTLED#${Math.floor(settledAtMs / 10_000)}#${activeShardOf(taskId) % 4}`,
  gsi2sk: taskId,
});
