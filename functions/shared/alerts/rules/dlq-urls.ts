// DLQ_URLS: the dead-letter queues the DLQ_NOT_EMPTY rule watches besides the worker types' own (which the
// sweeper derives, worker-types.ts), comma-separated; the stack sets it on the sweeper
// (lib/stepwise-stack.ts: the DLQs of its fixed queues; local/stack.ts: the same queues locally).
import type { WorkerTypes } from '../../workers/worker-types';

export const DLQ_URLS_ENV = 'DLQ_URLS';

/** The URLs in DLQ_URLS (none when unset), then each worker type's DLQ. */
export const loadDlqUrls = (workerTypes: WorkerTypes, env: NodeJS.ProcessEnv = process.env): string[] => [
  ...(env[DLQ_URLS_ENV] ?? '')
    .split(',')
    .map((url) => url.trim())
    .filter((url) => url.length > 0),
  ...Object.values(workerTypes).map((type) => type.deadLetterQueueUrl),
];
