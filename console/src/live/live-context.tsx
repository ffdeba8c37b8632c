// One LiveClient per session, shared by the pages: `useLiveState` for the indicator and for choosing
// polling, `useLiveSubscription` for a page's topic. While the socket is down the pages poll.
import { type QueryKey, useQueryClient } from '@tanstack/react-query';
import {
  createContext,
  type ReactNode,
  useContext,
  useEffect,
  useRef,
  useState,
  useSyncExternalStore,
} from 'react';
import { useConfig } from '../api/api-context';
import { useCredential } from '../auth/session';
import { LiveClient, type LiveEvent, type LiveState, type LiveSubscription } from './live-client';

const LiveContext = createContext<LiveClient | undefined>(undefined);

export function LiveProvider({ children }: { children: ReactNode }) {
  const { liveUrl } = useConfig();
  const credential = useCredential();
  const queryClient = useQueryClient();
  const [client, setClient] = useState<LiveClient>();
  useEffect(() => {
    if (!credential || !liveUrl) return;
    const next = new LiveClient({ url: liveUrl, credential });
    // Events sent while the socket was down are lost: on reconnecting, refetch what the pages show. The
    // task list is left out (refetching an infinite query reads every loaded page); it reads its first
    // page again itself.
    let wasLive = false;
    const stopWatching = next.onStateChange(() => {
      if (next.state !== 'live') return;
      if (wasLive)
        void queryClient.invalidateQueries({ predicate: (query) => query.queryKey[0] !== 'task-list' });
      wasLive = true;
    });
    next.start();
    setClient(next);
    return () => {
      stopWatching();
      next.stop();
      setClient(undefined);
    };
  }, [liveUrl, credential, queryClient]);
  return <LiveContext.Provider value={client}>{children}</LiveContext.Provider>;
}

const noSubscribe = () => () => undefined;

export function useLiveState(): LiveState {
  const client = useContext(LiveContext);
  return useSyncExternalStore(
    client ? (listener) => client.onStateChange(listener) : noSubscribe,
    () => client?.state ?? 'polling',
  );
}

/** Polling interval for a query: off while the socket is live (events refresh it), `ms` otherwise. */
export function usePollingInterval(ms: number): number | false {
  return useLiveState() === 'live' ? false : ms;
}

/**
 * Calls `onEvent` for each event of the subscription while the component is mounted; `sub` undefined
 * subscribes to nothing. The handler may change between renders without resubscribing.
 */
export function useLiveSubscription(
  sub: LiveSubscription | undefined,
  onEvent: (event: LiveEvent) => void,
): void {
  const client = useContext(LiveContext);
  const handler = useRef(onEvent);
  handler.current = onEvent;
  const topic = sub?.topic;
  const taskId = sub?.taskId;
  const org = sub?.org;
  useEffect(() => {
    if (!client || !topic) return;
    return client.subscribe({ topic, taskId, org }, (event) => handler.current(event));
  }, [client, topic, taskId, org]);
}

/**
 * Refetches the queries under `queryKey` on every event of the subscription: the simplest way for a
 * page to stay live (pair it with `refetchInterval: usePollingInterval(ms)` for when the socket is down).
 */
export function useLiveRefetch(sub: LiveSubscription | undefined, queryKey: QueryKey): void {
  const queryClient = useQueryClient();
  useLiveSubscription(sub, () => {
    void queryClient.invalidateQueries({ queryKey });
  });
}
