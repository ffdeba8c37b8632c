// A worker process for the e2e tests: the SDK's createWorker on WORKER_TYPE, heartbeating every second,
// whose handler holds each step HOLD_MS (until its signal aborts) and then returns who ran it. Every
// WorkerEvent goes to stdout as one JSON line, so a test knows its worker id and what it claimed. Its
// resources come from the standard environment (the stack's endpoints.json `environment`, STEPWISE_TABLE,
// STEPWISE_WORKER_QUEUE_URL, STEPWISE_AGENT_REPORTS_FUNCTION).
import { setTimeout as sleep } from 'node:timers/promises';
import { createWorker } from '../../sdk/index';

const holdMs = Number(process.env.HOLD_MS ?? '0');

const worker = createWorker({
  type: process.env.WORKER_TYPE ?? '',
  heartbeatIntervalSeconds: 1,
  pollWaitSeconds: 1,
  gracePeriodSeconds: 1,
  handler: async ({ signal }) => {
    await sleep(holdMs, undefined, { signal }).catch(() => undefined);
    return { ranBy: process.pid };
  },
  onEvent: (event) =>
    console.log(JSON.stringify(event, (_key, value) => (value instanceof Error ? value.message : value))),
});
await worker.start();
