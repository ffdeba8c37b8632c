// The worker sweep's dependencies as the functions that sweep build them: the sweeper (every minute) and
// the workers function (POST /admin/workers/cleanup). Worker and task writes fan out to live connections.
import { documentClient } from '../clients/dynamodb';
import { sfnClient } from '../clients/sfn';
import { livePublisher } from '../live/live-clients';
import { LiveTaskStore } from '../live/live-task-store';
import { liveWorkerDirectory } from '../live/live-workers';
import { logger } from '../powertools';
import { DynamoTaskStore } from '../tasks/task-store';
import { recordLostAttempt } from './agent-attempts';
import { loadDeadAfterSeconds } from './dead-after';
import { sfnFailLostToken } from './lost-tokens';
import type { SweepDeps } from './sweep-workers';
import { DynamoWorkerDirectory } from './worker-directory';
import type { WorkerTypes } from './worker-types';

export function lambdaSweepDeps(
  tableName: string,
  workerTypes: WorkerTypes,
  raiseAlert: SweepDeps['raiseAlert'],
): SweepDeps {
  const tasks = new LiveTaskStore(new DynamoTaskStore(documentClient(), tableName), livePublisher());
  return {
    workers: liveWorkerDirectory(
      new DynamoWorkerDirectory(documentClient(), tableName),
      workerTypes,
      livePublisher(),
    ),
    failLostToken: sfnFailLostToken(sfnClient()),
    recordLostAttempt: (lost) => recordLostAttempt(lost, { tasks }),
    raiseAlert,
    now: () => new Date(),
    deadAfterSeconds: loadDeadAfterSeconds(),
    onError: (error, context) => logger.error('Could not release a dead worker step', { ...context, error }),
  };
}
