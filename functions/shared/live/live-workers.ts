// A WorkerDirectory that publishes a worker's DEAD marking, the one worker status change a Lambda writes
// (workers write their own items through the SDK). The event goes to operators and to the orgs that have
// the worker: those its type is declared for, and those whose steps it held (a type open to every org has
// no list to go by: the orgs whose steps were lost hear it, no other; the worker routes show every org of
// the type the worker DEAD all the same, as liveness is the pool's). It carries the org when that is
// exactly one.
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
    get: (type, workerId) => directory.get(type, workerId),
    setDeadInFlight: (dead, inFlight) => directory.setDeadInFlight(dead, inFlight),
    async markDead(worker, deadAt) {
      const marked = await directory.markDead(worker, deadAt);
      if (marked) {
        const orgs = [
          ...new Set([...(types[worker.type]?.orgs ?? []), ...worker.inFlight.map((step) => step.orgId)]),
        ];
        const event: WorkerLiveEvent = {
          kind: 'worker',
          ...(orgs.length === 1 && { org: orgs[0] }),
          workerId: worker.workerId,
          workerType: worker.type,
          status: 'DEAD',
          at: deadAt,
        };
        live.publish(event, audienceOf(event, orgs));
      }
      return marked;
    },
  };
}
