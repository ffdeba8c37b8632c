// Whether the page is pushed to (live) or refetching on a timer (polling, while the socket is down).
import { useLiveState } from './live-context';

export function LiveIndicator() {
  const state = useLiveState();
  return (
    <span
      className={`live live-${state}`}
      data-testid="live-indicator"
      data-state={state}
      title={
        state === 'live'
          ? 'Live updates over WebSocket'
          : 'Live updates unavailable: refreshing every few seconds'
      }
    >
      {state === 'live' ? 'Live' : 'Polling'}
    </span>
  );
}
