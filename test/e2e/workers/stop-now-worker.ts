// A program embedding the SDK that stops its worker with stopNow() on SIGUSR2, as its first stop call
// (startSdkWorker gives it its type and grace). It runs the scripted handler, prints the status line
// `worker <id> <type> ` once registered, and `stopped` when start() has returned.
import { createWorker } from '../../../sdk/index';
import { handler } from './scripted-worker';

const type = process.env.STEPWISE_TEST_WORKER_TYPE ?? '';
const worker = createWorker({
  type,
  handler,
  gracePeriodSeconds: Number(process.env.STEPWISE_TEST_WORKER_GRACE ?? 30),
  onEvent: (event) => {
    if (event.kind === 'registered') console.log(`worker ${event.workerId} ${type} registered`);
    if (event.kind === 'error') console.error(`error: ${event.message}`);
  },
});
process.on('SIGUSR2', () => {
  console.log('SIGUSR2: stopNow()');
  void worker.stopNow();
});
await worker.start();
console.log(`stopped: ${worker.status().state}`);
