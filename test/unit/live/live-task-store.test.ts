// What the live store publishes of a step attempt's write: its events while the task runs, nothing once the
// task has ended (the settled event went out, and the runner closes the step silently, as the settle does).
import { beforeEach, describe, expect, it } from 'vitest';
import type { LiveEvent } from '../../../functions/shared/live/live-event';
import { LiveTaskStore } from '../../../functions/shared/live/live-task-store';
import type { LivePublisher } from '../../../functions/shared/live/publisher';
import { InMemoryTaskStore } from '../tasks/in-memory-task-store';
import { RUNNING_TASK } from '../tasks/task-fixtures';

const TASK = RUNNING_TASK;
const start = {
  step: { taskId: 't1', orgId: 'o', workflowId: 'w', stepId: 'a', stepType: 'transform' },
  attempt: 1,
  startedAt: '2026-01-01T00:00:01.000Z',
};
const end = { status: 'SUCCEEDED' as const, endedAt: '2026-01-01T00:00:02.000Z', durationMs: 1000 };

let published: LiveEvent[];
let store: LiveTaskStore;

beforeEach(async () => {
  published = [];
  const live: LivePublisher = { publish: (event) => published.push(event), flush: async () => undefined };
  const tasks = new InMemoryTaskStore();
  await tasks.create(TASK);
  // Agent attempts (rewriteStepAttempts) are not what these tests write.
  store = new LiveTaskStore(Object.assign(tasks, { rewriteStepAttempts: async () => undefined }), live);
});

describe('LiveTaskStore', () => {
  it("publishes a quick attempt's start and end while its task runs", async () => {
    expect(await store.recordFinishedAttempt(start, end, false)).toEqual({ recorded: true });
    expect(published.map((event) => event.kind === 'step' && event.status)).toEqual(['RUNNING', 'SUCCEEDED']);
  });

  it('publishes nothing of an attempt written after its task ended', async () => {
    await store.settle(TASK, {
      status: 'CANCELLED',
      at: '2026-01-01T00:00:01.500Z',
      settledAt: '2026-01-01T00:00:01.600Z',
    });
    published = [];
    expect(await store.recordRunningAttempt(start)).toMatchObject({
      recorded: true,
      endedTask: { status: 'CANCELLED' },
    });
    expect(await store.recordFinishedAttempt({ ...start, attempt: 2 }, end, false)).toMatchObject({
      recorded: true,
      endedTask: { status: 'CANCELLED' },
    });
    expect(published).toEqual([]);
  });
});
