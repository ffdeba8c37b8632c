// A WorkerDirectory that publishes a worker's DEAD marking, the one worker status change a Lambda writes
// (workers write their own items through the SDK). The event goes to the orgs the worker's type serves
// (carrying the org when it is exactly one) and to operators; a type open to every org: operators only.
import type { WorkerDirectory } from '../workers/worker-directory';
import type { WorkerTypes } from '../workers/worker-types';
import { audienceOf, type WorkerLiveEvent } from './live-event';
import type { LivePublisher } from './publisher';

export function liveWorkerDirectory(
  directory: WorkerDirectory,
  types: WorkerTypes,
  live: LivePublisher,
): WorkerDirectory {
  return {
    listByType: (type) => directory.listByType(type),
    async markDead(type, workerId, seenHeartbeatAt, deadAt) {
      const marked = await directory.markDead(type, workerId, seenHeartbeatAt, deadAt);
      if (marked) {
        const orgs = types[type]?.orgs ?? [];
        const event: WorkerLiveEvent = {
          kind: 'worker',
          ...(orgs.length === 1 && { org: orgs[0] }),
          workerId,
          workerType: type,
          status: 'DEAD',
          at: deadAt,
        };
        live.publish(event, audienceOf(event, orgs));
      }
      return marked;
    },
  };
}
