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

export const orgTasksPartition = (orgId: string) => `ORG#${orgId}#TASKS`;
export const workflowPartition = (orgId: string, workflowId: string) => `ORG#${orgId}#WF#${workflowId}`;
export const agentPartition = (orgId: string, agentId: string) => `ORG#${orgId}#AGENT#${agentId}`;
export const orgTagPartition = (orgId: string, tag: TagFilter) => `ORG#${orgId}#TAG#${tag.key}:${tag.value}`;
/**
 * What the status indexes hold a task under: its terminal status, or ACTIVE while it is PENDING or RUNNING.
 * PENDING -> RUNNING then moves no index entry (4 index writes per task saved); a PENDING or RUNNING
 * listing reads the ACTIVE entries, few at any time, and keeps the tasks in the status asked for.
 */
export type IndexedStatus = TaskStatus | 'ACTIVE';
export const indexedStatus = (status: TaskStatus): IndexedStatus => (isTerminal(status) ? status : 'ACTIVE');

/** gsi10 and gsi12 share it: the indexed status, sharded. gsi10 sorts by org first, gsi12 by time across orgs. */
export const statusPartition = (status: IndexedStatus, shard: number) => `STATUS#${status}#${shard}`;
export const allTasksPartition = (shard: number) => `TASKS#${shard}`;
export const globalTagPartition = (tag: TagFilter, shard: number) => `TAG#${tag.key}:${tag.value}#${shard}`;
/** gsi10's sort key puts the org first, so one org's tasks of a status are one range of each shard. */
export const orgStatusPrefix = (orgId: string) => `${orgId}#`;

/**
 * The attributes the create write puts on the task item: the index keys (gsi9 only when the task has an
 * agent) and `listStatus`, the status its list row shows until the settle.
 */
export function createdTaskIndexKeys(task: Task): Record<string, string> {
  const order = orderKey(task);
  return {
    listStatus: indexedStatus(task.status),
    gsi8pk: workflowPartition(task.orgId, task.workflowId),
    gsi8sk: order,
    ...(task.agentId !== undefined && { gsi9pk: agentPartition(task.orgId, task.agentId), gsi9sk: order }),
    gsi10pk: statusPartition(indexedStatus(task.status), listShardOf(task.taskId)),
    gsi10sk: `${orgStatusPrefix(task.orgId)}${order}`,
    gsi11pk: allTasksPartition(listShardOf(task.taskId)),
    gsi11sk: order,
    gsi12sk: order,
    gsi13pk: orgTasksPartition(task.orgId),
    gsi13sk: order,
  };
}

/**
 * What the settle sets for the listing: the status partition of gsi10 and gsi12, and the row's status
 * (the RUNNING write sets none).
 */
export const settledIndexAttributes = (taskId: string, status: TaskStatus) => ({
  gsi10pk: statusPartition(indexedStatus(status), listShardOf(taskId)),
  listStatus: indexedStatus(status),
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
    listStatus: indexedStatus(task.status),
    createdAt: task.createdAt,
    gsi8pk: orgTagPartition(task.orgId, { key, value }),
    gsi8sk: order,
    gsi11pk: globalTagPartition({ key, value }, listShardOf(task.taskId)),
    gsi11sk: order,
  }));
}
