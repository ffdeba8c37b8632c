import { describe, expect, it } from 'vitest';
import { type LiveEvent, taskPartition, topicPartition } from '../../../functions/shared/live/live-event';
import type { SubscriberStore } from '../../../functions/shared/live/live-store';
import { createLivePublisher, type PostToConnection } from '../../../functions/shared/live/publisher';

/** Subscriptions by partition; removing a connection takes it out of every partition. */
class FakeSubscribers implements SubscriberStore {
  readonly queries: string[] = [];
  readonly removed: string[] = [];
  constructor(readonly partitions: Map<string, string[]>) {}
  /** Each read, as the partitions it asked for. */
  readonly reads: string[][] = [];
  async subscribersOf(partitions: readonly string[]) {
    this.reads.push([...partitions]);
    this.queries.push(...partitions);
    return new Map(partitions.map((partition) => [partition, this.partitions.get(partition) ?? []]));
  }
  async removeConnection(connectionId: string) {
    this.removed.push(connectionId);
    for (const [partition, ids] of this.partitions) {
      this.partitions.set(
        partition,
        ids.filter((id) => id !== connectionId),
      );
    }
  }
}

const step = (stepId: string, status: 'RUNNING' | 'SUCCEEDED' | 'RETRYING', taskId = 't1'): LiveEvent => ({
  kind: 'step',
  org: 'org-a',
  taskId,
  stepId,
  status,
  at: '2026-01-01T00:00:00.000Z',
});

function recordingPost(outcome: (connectionId: string) => 'sent' | 'gone' | Error = () => 'sent') {
  const posts: { connectionId: string; data: Record<string, unknown> }[] = [];
  const post: PostToConnection = async (connectionId, data) => {
    // A post that takes a while, so a later one could overtake it if order were not kept.
    await new Promise((resolve) => setTimeout(resolve, posts.length % 2 === 0 ? 5 : 0));
    const result = outcome(connectionId);
    if (result instanceof Error) throw result;
    posts.push({ connectionId, data: JSON.parse(data) });
    return result;
  };
  return { posts, post };
}

describe('the live fan-out', () => {
  it('reads each subscription partition of a batch once and posts nothing when nobody listens', async () => {
    const store = new FakeSubscribers(new Map());
    const { posts, post } = recordingPost();
    const live = createLivePublisher({ store, post });
    live.publish(step('a', 'RUNNING'));
    live.publish(step('a', 'SUCCEEDED'));
    await live.flush();
    expect(store.queries).toEqual([taskPartition('t1')]);
    expect(posts).toEqual([]);
  });

  it("reads all of a batch's partitions in one read", async () => {
    const store = new FakeSubscribers(new Map([[topicPartition('tasks', 'org-a'), ['c1']]]));
    const { posts, post } = recordingPost();
    const live = createLivePublisher({ store, post });
    live.publish({ kind: 'task', org: 'org-a', taskId: 't1', workflowId: 'w', status: 'RUNNING', at: 'x' });
    live.publish(step('a', 'RETRYING'));
    await live.flush();
    expect(store.reads).toEqual([
      [taskPartition('t1'), topicPartition('tasks', 'org-a'), topicPartition('tasks', '*')],
    ]);
    expect(posts.map((entry) => entry.connectionId)).toEqual(['c1', 'c1']);
  });

  it("posts a task's events to each listener in the order they were published, with the subscribed topic", async () => {
    const store = new FakeSubscribers(new Map([[taskPartition('t1'), ['c1', 'c2']]]));
    const { posts, post } = recordingPost();
    const live = createLivePublisher({ store, post });
    live.publish(step('a', 'RUNNING'));
    live.publish(step('a', 'SUCCEEDED'));
    await Promise.resolve();
    live.publish(step('b', 'RUNNING'));
    live.publish(step('b', 'SUCCEEDED'));
    await live.flush();
    for (const connectionId of ['c1', 'c2']) {
      const heard = posts
        .filter((entry) => entry.connectionId === connectionId)
        .map(
          ({ data }) =>
            `${data.topic} ${(data.event as { stepId: string }).stepId}:${(data.event as { status: string }).status}`,
        );
      expect(heard).toEqual(['task a:RUNNING', 'task a:SUCCEEDED', 'task b:RUNNING', 'task b:SUCCEEDED']);
    }
  });

  it('sends a RETRYING step to the task lists of its org and of operators too', async () => {
    const store = new FakeSubscribers(
      new Map([
        [topicPartition('tasks', 'org-a'), ['member']],
        [topicPartition('tasks', '*'), ['operator']],
        [topicPartition('tasks', 'org-b'), ['other-org']],
      ]),
    );
    const { posts, post } = recordingPost();
    const live = createLivePublisher({ store, post });
    live.publish(step('a', 'RUNNING'));
    await live.flush();
    expect(posts).toEqual([]);
    live.publish(step('a', 'RETRYING'));
    await live.flush();
    expect(posts.map((entry) => entry.connectionId).sort()).toEqual(['member', 'operator']);
    expect(posts[0]?.data.topic).toBe('tasks');
  });

  it('deletes a connection that is gone (410) and stops posting to it, without failing', async () => {
    const store = new FakeSubscribers(new Map([[taskPartition('t1'), ['gone', 'here']]]));
    const { posts, post } = recordingPost((id) => (id === 'gone' ? 'gone' : 'sent'));
    const live = createLivePublisher({ store, post });
    live.publish(step('a', 'RUNNING'));
    live.publish(step('a', 'SUCCEEDED'));
    await live.flush();
    expect(store.removed).toEqual(['gone']);
    // One try at the gone connection (its second message is not sent), both messages to the other.
    expect(posts.filter((entry) => entry.connectionId === 'gone')).toHaveLength(1);
    expect(posts.filter((entry) => entry.connectionId === 'here')).toHaveLength(2);
  });

  it('reports a failed post or read and never throws to the writer', async () => {
    const errors: unknown[] = [];
    const store = new FakeSubscribers(new Map([[taskPartition('t1'), ['c1']]]));
    store.subscribersOf = async (partitions) => {
      if (partitions.includes(taskPartition('broken'))) throw new Error('throttled');
      return new Map(partitions.map((partition) => [partition, ['c1']]));
    };
    const { post } = recordingPost(() => new Error('network'));
    const live = createLivePublisher({ store, post, onError: (error) => errors.push(error) });
    expect(() => live.publish(step('a', 'RUNNING'))).not.toThrow();
    live.publish(step('a', 'RUNNING', 'broken'));
    await expect(live.flush()).resolves.toBeUndefined();
    expect(errors.map((error) => (error as Error).message).sort()).toEqual(['network', 'throttled']);
  });
});
