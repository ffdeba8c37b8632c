// The task list's filters: kept in the page's query string (so a filtered list has a URL), mapped to
// GET /admin/tasks (OWNER/ADMIN of their org, OPERATOR of one org or all) or, for MEMBERs, GET /tasks.
// Pure functions, unit-tested.
import type { Identity } from '../api/types';

export const TASK_LIST_STATUSES = [
  'PENDING',
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'CANCELLED',
  'RETRYING',
  'STUCK',
] as const;

export interface TaskFilters {
  /** Operators only: one org (absent: every org). */
  readonly org?: string;
  readonly agentId?: string;
  readonly workflowId?: string;
  readonly status?: string;
  /** ISO instants. */
  readonly from?: string;
  readonly to?: string;
  /** `<key>:<value>`. */
  readonly tag?: string;
  /** With status STUCK only: how long without progress makes a task stuck (the API's default: 15). */
  readonly stuckAfterMinutes?: string;
}

export const FILTER_KEYS = [
  'org',
  'agentId',
  'workflowId',
  'status',
  'from',
  'to',
  'tag',
  'stuckAfterMinutes',
] as const;

export function filtersFromSearch(search: string): TaskFilters {
  const params = new URLSearchParams(search);
  const filters: Record<string, string> = {};
  for (const key of FILTER_KEYS) {
    const value = params.get(key)?.trim();
    if (value) filters[key] = value;
  }
  return filters;
}

export function searchOf(filters: TaskFilters): string {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const value = filters[key]?.trim();
    if (value) params.set(key, value);
  }
  return params.toString();
}

export interface TaskListRequest {
  readonly path: '/admin/tasks' | '/tasks';
  readonly query: Record<string, string>;
}

/**
 * The request for one listing: MEMBERs list their org with GET /tasks (same filters, no org);
 * OWNER/ADMIN and OPERATOR use GET /admin/tasks, where only operators may name an org. Values go as
 * typed (the API names a field it refuses), except instants, sent in UTC.
 */
export function taskListRequest(filters: TaskFilters, identity: Pick<Identity, 'role'>): TaskListRequest {
  const query: Record<string, string> = {};
  for (const key of FILTER_KEYS) {
    const value = filters[key]?.trim();
    if (!value) continue;
    if (key === 'org' && identity.role !== 'OPERATOR') continue;
    // The API refuses it with any other status; a URL keeps it when the status changes.
    if (key === 'stuckAfterMinutes' && filters.status !== 'STUCK') continue;
    query[key] = key === 'from' || key === 'to' ? toUtc(value) : value;
  }
  return { path: identity.role === 'MEMBER' ? '/tasks' : '/admin/tasks', query };
}

function toUtc(value: string): string {
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? value : new Date(ms).toISOString();
}

/**
 * Whether a task seen in a live event belongs in the filtered list; undefined when the event cannot
 * tell (tag, time range, RETRYING/STUCK are the server's to decide: the page offers a refresh instead).
 */
export function eventMatchesFilters(
  task: {
    readonly org: string;
    readonly workflowId: string;
    readonly agentId?: string;
    readonly status: string;
  },
  filters: TaskFilters,
): boolean | undefined {
  if (filters.org && filters.org !== task.org) return false;
  if (filters.workflowId && filters.workflowId !== task.workflowId) return false;
  if (filters.agentId && filters.agentId !== task.agentId) return false;
  if (filters.status === 'RETRYING' || filters.status === 'STUCK') return undefined;
  if (filters.status && filters.status !== task.status) return false;
  if (filters.tag || filters.from || filters.to) return undefined;
  return true;
}

/**
 * An ISO instant as the From/To inputs show it: UTC, to the minute. The list's times are UTC (as the API's
 * and the logs' are), so the inputs are too; in the browser's own zone, a reader in New York filtering from
 * 07:00 got tasks from 12:00 on the list's clock.
 */
export function toUtcInput(iso: string | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : date.toISOString().slice(0, 16);
}

/** A From/To input's value (`2026-03-02T09:00`, UTC) as an ISO instant; '' for none. */
export function fromUtcInput(value: string): string {
  if (!value) return '';
  const ms = new Date(`${value}Z`).getTime();
  return Number.isNaN(ms) ? '' : new Date(ms).toISOString();
}
