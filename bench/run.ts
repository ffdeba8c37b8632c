// `npm run bench`: figures, not pass/fail. Each benchmark prints its own lines, and runs in a process of
// its own: the local stack loads each handler module once per process, with AWS clients bound to the
// first stack's endpoints, so two benchmarks' stacks cannot share one process.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BENCHMARKS = [
  'stack-start',
  'stepfunctions-overhead',
  'execution-store',
  'task-throughput',
  'task-writes',
  'admin-list',
  'worker-chaos',
  'cost-model',
  'live-fanout',
  'bundles',
] as const;

const entry = fileURLToPath(new URL('./run-one.ts', import.meta.url));
for (const name of BENCHMARKS) {
  const { status } = spawnSync(process.execPath, [...process.execArgv, entry, name], { stdio: 'inherit' });
  if (status !== 0) process.exitCode = 1;
}
