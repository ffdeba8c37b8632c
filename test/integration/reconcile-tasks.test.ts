// The safety net behind best-effort status events: tasks whose execution ended, or never existed, are
// settled from Step Functions itself.
import { CreateStateMachineCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, inject, it } from 'vitest';
import type { Task } from '../../functions/shared/tasks/task';
import { reconcileTasks } from '../../functions/shared/tasks/task-service';
import { TaskStore } from '../../functions/shared/tasks/task-store';
import { localClients } from '../support/aws-clients';

const endpoints = inject('endpoints');
const { documents, sfn } = localClients(endpoints);
const tasks = new TaskStore(documents, endpoints.tableName);

function task(taskId: string, executionArn: string, createdAt: string): Task {
  return {
    taskId,
    orgId: 'reconcile-org',
    workflowId: 'w',
    workflowVersion: 1,
    status: 'RUNNING',
    input: {},
    executionArn,
    createdAt,
    updatedAt: createdAt,
  };
}

describe('reconcileTasks', () => {
  it('settles an old active task from its ended execution, and one whose execution vanished', async () => {
    const { stateMachineArn = '' } = await sfn.send(
      new CreateStateMachineCommand({
        name: `reconcile-${Date.now()}`,
        roleArn: `arn:aws:iam::${endpoints.accountId}:role/local`,
        definition: JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Pass', End: true } } }),
      }),
    );
    // The task is written after its execution started, so its status event may have found no task.
    const endedId = `ended-${Date.now()}`;
    const { executionArn = '' } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: endedId, input: '{"steps":{"a":1}}' }),
    );
    const lostId = `lost-${Date.now()}`;
    const old = '2000-01-01T00:00:00.000Z';
    await tasks.create(task(endedId, executionArn, old));
    await tasks.create(task(lostId, `${executionArn}-missing`, old));
    await expect
      .poll(async () => {
        await reconcileTasks({ tasks, sfn, now: () => new Date() });
        return [(await tasks.getAnyOrg(endedId))?.status, (await tasks.getAnyOrg(lostId))?.status];
      })
      .toEqual(['SUCCEEDED', 'FAILED']);
    expect(await tasks.getAnyOrg(endedId)).toMatchObject({ status: 'SUCCEEDED', output: { a: 1 } });
    expect(await tasks.getAnyOrg(lostId)).toMatchObject({ status: 'FAILED', error: 'ExecutionLost' });
    // Settled tasks leave the active index: a second pass finds nothing of theirs to do.
    const active = await tasks.listActive(new Date().toISOString());
    expect(active.map((t) => t.taskId)).not.toContain(endedId);
    expect(active.map((t) => t.taskId)).not.toContain(lostId);
  });
});
