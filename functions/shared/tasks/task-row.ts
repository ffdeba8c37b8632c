// A task as a listing shows it (GET /tasks, GET /admin/tasks): the attributes the listing indexes project
// (TASK_ROW_ATTRIBUTES), so a page is read from index entries alone. The status indexes (and the task item)
// hold the live status; the other entries `listStatus`: the terminal status, RUNNING for a task created
// RUNNING (it started when it was created), or ACTIVE (a task created PENDING by an earlier version, a tag
// item): only ACTIVE rows read the task's live status and start time (a small projected read).
import { isTerminal, type Task, type TaskStatus } from './task';
import type { IndexedStatus } from './task-index-keys';

export interface TaskRow
  extends Pick<
    Task,
    | 'taskId'
    | 'orgId'
    | 'workflowId'
    | 'workflowVersion'
    | 'agentId'
    | 'tags'
    | 'status'
    | 'createdAt'
    | 'startedAt'
    | 'endedAt'
    | 'error'
  > {}

/** The attributes a live-status read projects: what an ACTIVE row lacks. */
export const LIVE_ATTRIBUTES = ['status', 'startedAt'] as const;

/**
 * The row an index entry (or a task item) holds; `active` when its status is ACTIVE and the live status
 * must be read (the row says PENDING until then).
 */
export function rowOf(item: Record<string, unknown>): { row: TaskRow; active: boolean } {
  // The status indexes and the task item hold the live status; the other entries the list status.
  const listStatus = (item.status ?? item.listStatus) as IndexedStatus;
  const active = listStatus === 'ACTIVE';
  const status: TaskStatus = active ? 'PENDING' : (listStatus as TaskStatus);
  // A row showing RUNNING without the start time (the indexes not keyed by status do not project it): its
  // task was created RUNNING, so it started at its creation (the create writes both times alike).
  const startedAt =
    item.startedAt ?? (item.status === undefined && status === 'RUNNING' ? item.createdAt : undefined);
  const row: TaskRow = {
    taskId: String(item.taskId),
    orgId: String(item.orgId),
    workflowId: String(item.workflowId),
    workflowVersion: Number(item.workflowVersion),
    ...(typeof item.agentId === 'string' && { agentId: item.agentId }),
    ...(item.tags !== undefined && item.tags !== null && { tags: item.tags as Record<string, string> }),
    status,
    createdAt: String(item.createdAt),
    // The start time only while the task runs (the status indexes project it): a settled row has none,
    // whichever index it came from, as the indexes not keyed by status do not hold it.
    ...(typeof startedAt === 'string' && !isTerminal(status) && { startedAt }),
    ...(typeof item.endedAt === 'string' && { endedAt: item.endedAt }),
    ...(typeof item.error === 'string' && { error: item.error }),
  };
  return { row, active };
}

/** The row of a whole task (what an in-memory store or a test compares a listing with). */
export const rowOfTask = (task: Task): TaskRow => rowOf({ ...task }).row;
