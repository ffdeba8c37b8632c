// One benchmark by name, in this process (bench/run.ts starts one process per benchmark).
// First, so that no handler module reads Powertools settings before them: tracing off, as on `npm start`.
// (The benchmarks import functions/shared modules before local/stack.ts, and tracing.ts loads the Tracer,
// whose X-Ray async hooks slowed every `await` of the stack, unless POWERTOOLS_TRACE_ENABLED is "false".)
import '../local/powertools-environment';
import { benchAdminList } from './admin-list';
import { benchBundles } from './bundles';
import { benchCostModel } from './cost-model';
import { benchExecutionStore } from './execution-store';
import { benchLiveFanout } from './live-fanout';
import { runLoadClient } from './load-client';
import { benchStackStart } from './local-stack';
import { benchStepFunctionsOverhead } from './stepfunctions-overhead';
import { benchTaskThroughput } from './task-throughput';
import { benchTaskWrites } from './task-writes';
import { runThroughputSeed, runThroughputStack } from './throughput-stack';
import { benchWorkerChaos } from './worker-chaos';

const BENCHMARKS: Record<string, () => Promise<void>> = {
  'stack-start': benchStackStart,
  'stepfunctions-overhead': benchStepFunctionsOverhead,
  'execution-store': benchExecutionStore,
  'task-throughput': benchTaskThroughput,
  'task-writes': benchTaskWrites,
  // The throughput bench's own processes: a stack it drives, its load client, and the seeding of the
  // stored one.
  'task-throughput-stack': runThroughputStack,
  'task-throughput-client': runLoadClient,
  'task-throughput-seed': runThroughputSeed,
  'admin-list': benchAdminList,
  'worker-chaos': benchWorkerChaos,
  'cost-model': benchCostModel,
  'live-fanout': benchLiveFanout,
  bundles: benchBundles,
};

const name = process.argv[2] ?? '';
const run = BENCHMARKS[name];
if (!run) throw new Error(`Unknown benchmark ${name}; one of ${Object.keys(BENCHMARKS).join(', ')}`);
await run();
