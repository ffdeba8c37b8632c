// The fan-out: an event recorded by a writer (step runner, task-events, api, reconciler, sweeper,
// agent-reports) goes to the connections subscribed to its audience. It runs beside the writer's work,
// after the write succeeded: `publish` returns at once and never throws; the handler awaits `flush` before
// it returns (Lambda freezes a container between invocations). Nobody listening costs one Query per
// audience partition. A connection API Gateway says is gone (410) is deleted with its subscriptions; any
// other failure is reported and dropped: a live update is never worth failing the write that caused it.
import { type AudienceEntry, audienceOf, type LiveEvent, orderingKeyOf } from './live-event';
import type { ServerMessage } from './live-messages';
import type { SubscriberStore } from './live-store';

/** Sends data to one connection: 'gone' when the connection no longer exists (GoneException, 410). */
export type PostToConnection = (connectionId: string, data: string) => Promise<'sent' | 'gone'>;

export interface LivePublisherDeps {
  readonly store: SubscriberStore;
  readonly post: PostToConnection;
  readonly onError?: (error: unknown, context: Record<string, unknown>) => void;
}

export interface LivePublisher {
  /** Fans the event out in the background; `audience` defaults to audienceOf(event). */
  publish(event: LiveEvent, audience?: readonly AudienceEntry[]): void;
  /** Resolves when everything published before the call has been posted (or given up on). */
  flush(): Promise<void>;
}

/** A publisher that drops everything (no WebSocket API configured). */
export const silentPublisher: LivePublisher = { publish: () => undefined, flush: async () => undefined };

export function createLivePublisher(deps: LivePublisherDeps): LivePublisher {
  // Per ordering key (a task, a worker, an alert), the fan-out in progress: the next one waits for it, so
  // a client hears a task's events in the order they were recorded. Entries go once their chain drains.
  const chains = new Map<string, Promise<void>>();
  const pending = new Set<Promise<void>>();
  const report = (error: unknown, context: Record<string, unknown>) => {
    try {
      deps.onError?.(error, context);
    } catch {
      // A failing logger must not fail the writer either.
    }
  };

  async function deliver(connectionId: string, data: string, event: LiveEvent): Promise<void> {
    try {
      if ((await deps.post(connectionId, data)) === 'gone') await deps.store.removeConnection(connectionId);
    } catch (error) {
      report(error, { connectionId, kind: event.kind });
    }
  }

  async function fanOut(event: LiveEvent, audience: readonly AudienceEntry[]): Promise<void> {
    await Promise.all(
      audience.map(async ({ topic, partition }) => {
        let connections: string[];
        try {
          connections = await deps.store.subscribers(partition);
        } catch (error) {
          report(error, { partition, kind: event.kind });
          return;
        }
        if (connections.length === 0) return;
        const message: ServerMessage = { type: 'event', topic, event };
        const data = JSON.stringify(message);
        await Promise.all(connections.map((connectionId) => deliver(connectionId, data, event)));
      }),
    );
  }

  return {
    publish(event, audience = audienceOf(event)) {
      const key = orderingKeyOf(event);
      const previous = chains.get(key) ?? Promise.resolve();
      const next = previous
        .then(() => fanOut(event, audience))
        .catch((error: unknown) => report(error, { key }));
      chains.set(key, next);
      pending.add(next);
      void next.finally(() => {
        pending.delete(next);
        if (chains.get(key) === next) chains.delete(key);
      });
    },
    async flush() {
      // What is pending now: in a process serving concurrent invocations (the local stack), waiting for
      // everyone's later events too could never end under load.
      await Promise.all([...pending]);
    },
  };
}
