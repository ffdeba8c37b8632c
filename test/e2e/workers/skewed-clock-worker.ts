// A program embedding the SDK on a machine whose clock is wrong: Date (now and `new Date()`) runs
// STEPWISE_TEST_CLOCK_SKEW_MS off the real time. It runs the scripted handler and prints the status line
// `worker <id> <type> ` once registered, as `stepwise worker` does.
import { createWorker } from '../../../sdk/index';
import { handler } from './scripted-worker';

const skewMs = Number(process.env.STEPWISE_TEST_CLOCK_SKEW_MS ?? 0);
const RealDate = Date;
const realNow = RealDate.now.bind(RealDate);
class SkewedDate extends RealDate {
  constructor(...args: ConstructorParameters<DateConstructor> | []) {
    if (args.length === 0) super(realNow() + skewMs);
    else super(...(args as ConstructorParameters<DateConstructor>));
  }
  static override now() {
    return realNow() + skewMs;
  }
}
globalThis.Date = SkewedDate as DateConstructor;

const type = process.env.STEPWISE_TEST_WORKER_TYPE ?? '';
const worker = createWorker({
  type,
  handler,
  onEvent: (event) => {
    if (event.kind === 'registered') console.log(`worker ${event.workerId} ${type} registered`);
    if (event.kind === 'error') console.error(`error: ${event.message}`);
  },
});
await worker.start();
