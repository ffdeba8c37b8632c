// The fan-out: an event recorded by a writer (step runner, task-events, api, reconciler, sweeper,
// agent-reports) goes to the connections subscribed to its audience. It runs beside the writer's work,
// after the write succeeded: `publish` returns at once and never throws; the handler awaits `flush` before
// it returns (Lambda freezes a container between invocations). Each batch reads the subscribers of all its
// audience partitions at once, after the write (one BatchGetItem, live-store.ts): nobody listening costs
// that one read. A connection API Gateway says is gone (410) is deleted with its subscriptions; any
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

interface Publication {
  readonly event: LiveEvent;
  readonly audience: readonly AudienceEntry[];
}

export function createLivePublisher(deps: LivePublisherDeps): LivePublisher {
  // Per ordering key (a task, a worker, an alert), the publications waiting and the drain posting them: a
  // client hears a key's events in the order they were recorded. Publications made together (a fast
  // step's RUNNING and SUCCEEDED) go out as one batch, reading the subscribers of all their partitions at once.
  const queues = new Map<string, Publication[]>();
  const pending = new Set<Promise<void>>();
  const report = (error: unknown, context: Record<string, unknown>) => {
    try {
      deps.onError?.(error, context);
    } catch {
      // A failing logger must not fail the writer either.
    }
  };

  async function subscribersOf(partitions: readonly string[]): Promise<Map<string, string[]>> {
    try {
      return await deps.store.subscribersOf(partitions);
    } catch (error) {
      report(error, { partitions });
      return new Map();
    }
  }

  /** Posts a connection its messages in order; a gone connection is deleted and sent nothing more. */
  async function deliver(connectionId: string, messages: readonly string[]): Promise<void> {
    for (const data of messages) {
      try {
        if ((await deps.post(connectionId, data)) === 'gone') {
          await deps.store.removeConnection(connectionId);
          return;
        }
      } catch (error) {
        report(error, { connectionId });
      }
    }
  }

  async function fanOut(batch: readonly Publication[]): Promise<void> {
    const partitions = [
      ...new Set(batch.flatMap(({ audience }) => audience.map((entry) => entry.partition))),
    ];
    const listening = await subscribersOf(partitions);
    const outbox = new Map<string, string[]>();
    for (const { event, audience } of batch) {
      for (const { topic, partition } of audience) {
        const connections = listening.get(partition) ?? [];
        if (connections.length === 0) continue;
        const message: ServerMessage = { type: 'event', topic, event };
        const data = JSON.stringify(message);
        for (const connectionId of connections) {
          const messages = outbox.get(connectionId) ?? [];
          messages.push(data);
          outbox.set(connectionId, messages);
        }
      }
    }
    await Promise.all([...outbox].map(([connectionId, messages]) => deliver(connectionId, messages)));
  }

  async function drain(key: string, queue: Publication[]): Promise<void> {
    // Publications of the same turn join this batch.
    await Promise.resolve();
    while (queue.length > 0) {
      const batch = queue.splice(0);
      try {
        await fanOut(batch);
      } catch (error) {
        report(error, { key });
      }
    }
    queues.delete(key);
  }

  return {
    publish(event, audience = audienceOf(event)) {
      const key = orderingKeyOf(event);
      const queued = queues.get(key);
      if (queued) {
        queued.push({ event, audience });
        return;
      }
      const queue = [{ event, audience }];
      queues.set(key, queue);
      const drained = drain(key, queue);
      pending.add(drained);
      void drained.finally(() => pending.delete(drained));
    },
    async flush() {
      // What is pending now: in a process serving concurrent invocations (the local stack), waiting for
      // everyone's later events too could never end under load.
      await Promise.all([...pending]);
    },
  };
}
