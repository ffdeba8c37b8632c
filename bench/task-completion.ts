// How the throughput bench learns that a task ended: by polling GET /tasks/{id} with back-off (the first
// look after 10 ms, then 1.5 times longer each time, at most 200 ms apart), so a short task is seen soon
// after it ends without a fixed 50 ms poll loading the stack at high concurrency.
import type { ApiCall } from './stack-api';

export const COMPLETION = 'polling GET /tasks/{id} with back-off';

export interface TaskCompletion {
  /** Resolves once the task has ended. */
  ended(taskId: string): Promise<void>;
  close(): Promise<void>;
}

export function pollingCompletion(call: ApiCall): TaskCompletion {
  return {
    async ended(taskId) {
      for (let wait = 10; ; wait = Math.min(200, wait * 1.5)) {
        await new Promise((resolve) => setTimeout(resolve, wait));
        if ((await call<{ endedAt?: string }>('GET', `/tasks/${taskId}`)).endedAt) return;
      }
    },
    close: async () => undefined,
  };
}
