// The task list's data: pages from the API (cursor paging), plus what changed since they were read,
// from live events (or, while the socket is down, from polling the first page): new tasks on top,
// statuses patched in place, a retrying step marked. Loaded pages are never refetched wholesale, so a
// list of 10,000 rows stays cheap to keep current.
import { useInfiniteQuery, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useApi } from '../api/api-context';
import type { Identity, Page, TaskRow } from '../api/types';
import type { LiveEvent } from '../live/live-client';
import { useLiveState, useLiveSubscription } from '../live/live-context';
import { eventMatchesFilters, type TaskFilters, taskListRequest } from './task-filters';

export interface ListedTask extends Omit<TaskRow, 'workflowVersion'> {
  readonly workflowVersion?: number;
  /** A step of the task waiting for its next attempt (from live events). */
  readonly retryingStep?: string;
}

interface Patch {
  readonly status?: string;
  readonly at: string;
  readonly retryingStep?: string;
  readonly endedAt?: string;
}

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED']);
const POLL_MS = 5_000;

/** The latest instant a listed row reflects (a patch older than that is stale). */
const rowTime = (row: TaskRow) => row.endedAt ?? row.startedAt ?? row.createdAt;

export function useTaskList(filters: TaskFilters, identity: Identity | undefined, pageSize: number) {
  const api = useApi();
  const queryClient = useQueryClient();
  const request = identity ? taskListRequest(filters, identity) : undefined;
  const listKey = ['task-list', request?.path, request?.query, pageSize] as const;
  const list = useInfiniteQuery({
    queryKey: listKey,
    enabled: request !== undefined,
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam, signal }) =>
      api.get<Page<TaskRow>>(request?.path ?? '/tasks', {
        query: { ...request?.query, limit: pageSize, cursor: pageParam },
        signal,
      }),
    getNextPageParam: (last) => last.cursor,
    staleTime: Number.POSITIVE_INFINITY,
  });

  // What happened since the pages were read; reset with the listing.
  const [patches, setPatches] = useState(() => new Map<string, Patch>());
  const [fresh, setFresh] = useState<ListedTask[]>([]);
  const [unseen, setUnseen] = useState(0);
  const listId = JSON.stringify(listKey);
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset when the listing changes (its key)
  useEffect(() => {
    setPatches(new Map());
    setFresh([]);
    setUnseen(0);
  }, [listId]);

  const loaded = useMemo(() => list.data?.pages.flatMap((page) => page.items) ?? [], [list.data]);
  const loadedIds = useMemo(() => new Set(loaded.map((row) => row.taskId)), [loaded]);

  const patch = useCallback((taskId: string, change: Patch) => {
    setPatches((previous) => {
      const before = previous.get(taskId);
      if (before && before.at > change.at) return previous;
      const next = new Map(previous);
      next.set(taskId, { ...before, ...change });
      return next;
    });
  }, []);

  const onEvent = useCallback(
    (event: LiveEvent) => {
      if (event.kind === 'step') {
        patch(event.taskId, {
          at: event.at,
          retryingStep: event.status === 'RETRYING' ? event.stepId : undefined,
        });
        return;
      }
      if (event.kind !== 'task') return;
      patch(event.taskId, {
        status: event.status,
        at: event.at,
        retryingStep: undefined,
        ...(TERMINAL.has(event.status) && { endedAt: event.at }),
      });
      if (loadedIds.has(event.taskId)) return;
      const belongs = eventMatchesFilters(event, filters);
      if (belongs === undefined) setUnseen((count) => count + 1);
      if (!belongs) return;
      setFresh((previous) =>
        previous.some((row) => row.taskId === event.taskId)
          ? previous
          : [
              {
                taskId: event.taskId,
                orgId: event.org,
                workflowId: event.workflowId,
                agentId: event.agentId,
                status: event.status as TaskRow['status'],
                createdAt: event.at,
              },
              ...previous,
            ],
      );
    },
    [patch, loadedIds, filters],
  );

  const operator = identity?.role === 'OPERATOR';
  useLiveSubscription(
    identity ? { topic: 'tasks', ...(operator && { org: filters.org || '*' }) } : undefined,
    onEvent,
  );

  // Polling while the socket is down: the first page again, merged in (new rows on top, statuses patched).
  const polling = useLiveState() === 'polling';
  const head = useQuery({
    queryKey: [...listKey, 'head'],
    enabled: request !== undefined && polling && list.isSuccess,
    refetchInterval: POLL_MS,
    queryFn: ({ signal }) =>
      api.get<Page<TaskRow>>(request?.path ?? '/tasks', {
        query: { ...request?.query, limit: pageSize },
        signal,
      }),
  });
  // Back from polling to live: what happened in between came by no event; read the first page once.
  const wasPolling = useRef(polling);
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on the transition only
  useEffect(() => {
    if (wasPolling.current && !polling && list.isSuccess) void head.refetch();
    wasPolling.current = polling;
  }, [polling]);
  useEffect(() => {
    if (!head.data) return;
    const additions: ListedTask[] = [];
    for (const row of head.data.items) {
      patch(row.taskId, { status: row.status, at: rowTime(row), endedAt: row.endedAt });
      if (!loadedIds.has(row.taskId)) additions.push(row);
    }
    if (additions.length === 0) return;
    setFresh((previous) => {
      const known = new Set(previous.map((row) => row.taskId));
      return [...additions.filter((row) => !known.has(row.taskId)), ...previous];
    });
  }, [head.data, loadedIds, patch]);

  const rows = useMemo(() => {
    const seen = new Set<string>();
    const out: ListedTask[] = [];
    for (const row of [...fresh, ...loaded]) {
      if (seen.has(row.taskId)) continue;
      seen.add(row.taskId);
      const change = patches.get(row.taskId);
      if (!change || change.at < rowTime(row as TaskRow)) {
        out.push(row);
        continue;
      }
      out.push({
        ...row,
        status: (change.status ?? row.status) as TaskRow['status'],
        retryingStep: change.retryingStep,
        endedAt: change.endedAt ?? row.endedAt,
      });
    }
    return out;
  }, [fresh, loaded, patches]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: listKey is compared by value (listId)
  const refresh = useCallback(() => {
    setUnseen(0);
    setFresh([]);
    setPatches(new Map());
    // Back to the first page (a refetch of an infinite query would read every loaded page again).
    void queryClient.resetQueries({ queryKey: listKey, exact: true });
  }, [queryClient, listId]);

  // A failed poll of the first page (the API not answering while the socket is down too): the page says so.
  return { list, rows, unseen, refresh, request, refreshError: head.error };
}
