// The listing index attributes of a task (gsi8-gsi13, projecting the list row; see the task-store header),
// written only by the task's create and its settle, plus the tag items of a tagged task. Every sort
// key ends in `<createdAt>#<taskId>`, so every index lists newest first and takes a time range the same way.
import { createHash } from 'node:crypto';
import { isTerminal, type Task, type TaskStatus } from './task';
import type { TagFilter } from './task-tags';

/**
 * The cross-org indexes (and the status partitions) are spread over this many shards so no partition key
 * takes every task's writes; readers merge the shards newest first. The shard is the first byte of the
 * task id's SHA-256 mod 4, which equals activeShardOf(taskId) % 4 (16 is a multiple of 4), as the settled
 * index uses.
 */
export const LIST_SHARDS = 4;
export const listShardOf = (taskId: string) =>
  (createHash('sha256').update(taskId).digest()[0] ?? 0) % LIST_SHARDS;

const orderKey = (task: Pick<Task, 'taskId' | 'createdAt'>) => `${task.createdAt}#${task.taskId}`;

export const workflowPartition = (orgId: string, workflowId: string) => `ORG#${orgId}#WF#${workflowId}`;
export const agentPartition = (orgId: string, agentId: string) => `ORG#${orgId}#AGENT#${agentId}`;
export const orgTagPartition = (orgId: string, tag: TagFilter) => `ORG#${orgId}#TAG#${tag.key}:${tag.value}`;
/**
 * The status a list row shows in the indexes not keyed by status (gsi8, gsi9, gsi11, tag items): its
 * terminal status once settled; before, RUNNING or ACTIVE (createdListStatus). PENDING -> RUNNING changes
 * none of the row's projected attributes; ACTIVE rows read their live status.
 */
export type IndexedStatus = TaskStatus | 'ACTIVE';
export const indexedStatus = (status: TaskStatus): IndexedStatus => (isTerminal(status) ? status : 'ACTIVE');

/**
 * The status indexes key tasks by their live status, PENDING and RUNNING apart (the RUNNING write moves
 * the entries), so every status listing, the STUCK view's PENDING tasks and the active counts read exactly
 * what they want. gsi10: one org's tasks of a status (an org's tasks, unfiltered, merge its statuses);
 * gsi12: every org's, sharded.
 */
export const ACTIVE_STATUSES = ['PENDING', 'RUNNING'] as const satisfies readonly TaskStatus[];
export const orgStatusPartition = (orgId: string, status: TaskStatus) => `ORG#${orgId}#STATUS#${status}`;
export const statusPartition = (status: TaskStatus, shard: number) => `STATUS#${status}#${shard}`;
/** Where every org's not yet terminal tasks are: the PENDING and RUNNING partitions of every shard. */
export const ACTIVE_STATUS_PARTITIONS: readonly string[] = ACTIVE_STATUSES.flatMap((status) =>
  Array.from({ length: LIST_SHARDS }, (_, shard) => statusPartition(status, shard)),
);
/**
 * The open-step index partitions (the step recorder writes them, task-store.ts): an org's on gsi1
 * (`<since>#<taskId>#<stepKey>`), every org's on gsi2, sharded like the lists (`<since>#<orgId>#<taskId>#<stepKey>`).
 */
export type OpenStepState = 'RUNNING' | 'RETRYING';
export const orgOpenStepsPartition = (orgId: string, state: OpenStepState) => `ORG#${orgId}#STEPS#${state}`;
export const openStepsPartition = (state: OpenStepState, shard: number) => `STEPS#${state}#${shard}`;
export const allTasksPartition = (shard: number) => `TASKS#${shard}`;
export const globalTagPartition = (tag: TagFilter, shard: number) => `TAG#${tag.key}:${tag.value}#${shard}`;

/**
 * The status a task's list rows show from its create to its settle: RUNNING for a task created
 * RUNNING (as every task is now), whose status changes only at the settle, which writes the row anyway (the
 * tag items just after the task; one a crash left behind is brought level by the settle's next attempt);
 * so its rows read no live status. ACTIVE for one created PENDING by an earlier version (its RUNNING write
 * changes none of the row's attributes): those rows read the live status.
 */
export const createdListStatus = (status: TaskStatus): IndexedStatus =>
  status === 'RUNNING' ? 'RUNNING' : indexedStatus(status);

/**
 * The attributes the create write puts on the task item: the index keys (gsi9 only when the task has an
 * agent) and `listStatus`, the status its list row shows until the settle.
 */
export function createdTaskIndexKeys(task: Task): Record<string, string> {
  const order = orderKey(task);
  return {
    listStatus: createdListStatus(task.status),
    gsi8pk: workflowPartition(task.orgId, task.workflowId),
    gsi8sk: order,
    ...(task.agentId !== undefined && { gsi9pk: agentPartition(task.orgId, task.agentId) }),
    ...statusIndexKeys(task, task.status),
    gsi11pk: allTasksPartition(listShardOf(task.taskId)),
  };
}

/** The status partitions of a task (gsi10, gsi12): what the RUNNING write and the settle move. */
export const statusIndexKeys = (task: Pick<Task, 'taskId' | 'orgId'>, status: TaskStatus) => ({
  gsi10pk: orgStatusPartition(task.orgId, status),
  gsi12pk: statusPartition(status, listShardOf(task.taskId)),
});

/**
 * One item per tag pair, under the task (`TASK#<id> / TAG#<key>:<value>`): found per org and across orgs.
 * It carries the task's list row, its status set again by the settle.
 */
export function tagItems(task: Task): Record<string, unknown>[] {
  const order = orderKey(task);
  return Object.entries(task.tags ?? {}).map(([key, value]) => ({
    pk: `TASK#${task.taskId}`,
    sk: `TAG#${key}:${value}`,
    type: 'TaskTag',
    taskId: task.taskId,
    orgId: task.orgId,
    workflowId: task.workflowId,
    workflowVersion: task.workflowVersion,
    ...(task.agentId !== undefined && { agentId: task.agentId }),
    tags: task.tags,
    listStatus: createdListStatus(task.status),
    createdAt: task.createdAt,
    gsi8pk: orgTagPartition(task.orgId, { key, value }),
    gsi8sk: order,
    gsi11pk: globalTagPartition({ key, value }, listShardOf(task.taskId)),
  }));
}
