// A task's detail, timeline and events, kept current: live `task` events refetch them (a burst of
// events costs one refetch each, deduplicated by the query cache), and while the socket is down they
// are polled until the task ends. Operators read the task through /admin/tasks/{id} (detail with its
// events) and /admin/tasks/{id}/timeline: the tenant routes serve one org, the caller's.
import { useQuery } from '@tanstack/react-query';
import { useApi } from '../api/api-context';
import type { Identity, TaskDetail, TaskEvent, TaskEvents, TaskTimeline } from '../api/types';
import { useLiveRefetch, usePollingInterval } from '../live/live-context';
import { fetchWaitingApprovals, type WaitingApprovals } from './waiting-approvals';

export interface TaskDetailWithEvents extends TaskDetail {
  /** GET /admin/tasks/{id} only. */
  readonly events?: TaskEvent[];
}

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED']);
const POLL_MS = 3_000;
const NONE_WAITING: WaitingApprovals = { items: [], more: false };

export function useTaskDetail(taskId: string, identity: Identity | undefined) {
  const api = useApi();
  const operator = identity?.role === 'OPERATOR';
  const id = encodeURIComponent(taskId);
  const pollMs = usePollingInterval(POLL_MS);
  const poll = (status: string | undefined) => (status && TERMINAL.has(status) ? false : pollMs);

  const detail = useQuery({
    queryKey: ['task', taskId, 'detail', operator],
    enabled: identity !== undefined,
    queryFn: ({ signal }) =>
      api.get<TaskDetailWithEvents>(operator ? `/admin/tasks/${id}` : `/tasks/${id}`, { signal }),
    refetchInterval: (query) => poll(query.state.data?.status),
  });
  const status = detail.data?.status;
  const timeline = useQuery({
    queryKey: ['task', taskId, 'timeline', operator],
    enabled: identity !== undefined && detail.isSuccess,
    queryFn: ({ signal }) =>
      api.get<TaskTimeline>(operator ? `/admin/tasks/${id}/timeline` : `/tasks/${id}/timeline`, { signal }),
    refetchInterval: () => poll(status),
  });
  const events = useQuery({
    queryKey: ['task', taskId, 'events'],
    enabled: identity !== undefined && !operator && detail.isSuccess,
    queryFn: ({ signal }) => api.get<TaskEvents>(`/tasks/${id}/events`, { signal }),
    refetchInterval: () => poll(status),
  });

  const approvals = useQuery({
    queryKey: ['task', taskId, 'approvals'],
    enabled: identity !== undefined && !operator && status !== undefined && !TERMINAL.has(status),
    queryFn: ({ signal }) => fetchWaitingApprovals(api, taskId, signal),
    refetchInterval: () => poll(status),
  });

  useLiveRefetch(identity ? { topic: 'task', taskId } : undefined, ['task', taskId]);

  return {
    detail,
    timeline,
    waitingApprovals:
      status !== undefined && !TERMINAL.has(status) ? (approvals.data ?? NONE_WAITING) : NONE_WAITING,
    events: operator ? (detail.data?.events ?? []) : (events.data?.events ?? []),
    operator,
  };
}
