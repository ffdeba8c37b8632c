// DynamoDB writes per basic_sequence task, at concurrency 1 and 64, on a stack of its own with the local
// DynamoDB's write meter (throughput-stack.ts): the writes and consumed WCU per task (the table's, as
// dynalite reports them, and the index WCU AWS would bill on top, estimated) with the list of writes by
// operation, item kind and index changes. Each level ends with the metric aggregates folded (a metrics read
// folds the closed slots), so their writes are in the figure, amortized over the level's tasks as a fold run
// amortizes them. The throughput bench runs without the meter: it keeps every write, and its CPU and memory
// would weigh on the figures there.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StackProcess } from './throughput-stack';

const LEVELS = [
  { concurrency: 1, tasks: 100 },
  { concurrency: 64, tasks: 384 },
] as const;
const WARM_UP_TASKS = 50;

export async function benchTaskWrites(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'stepwise-bench-writes-'));
  const stack = await StackProcess.start(dataDir, { meterWrites: true });
  try {
    await stack.run(16, WARM_UP_TASKS);
    await stack.foldSettledTasks();
    for (const { concurrency, tasks } of LEVELS) {
      const mark = await stack.mark();
      await stack.run(concurrency, tasks);
      await stack.foldSettledTasks();
      const writes = await stack.writesSince(mark, tasks);
      console.log(
        `basic_sequence at concurrency ${concurrency}: DynamoDB per task: ${writes.writes.toFixed(1)} writes, ${writes.wcu.toFixed(1)} table WCU + ${writes.indexWcu.toFixed(1)} index WCU (estimated) = ${(writes.wcu + writes.indexWcu).toFixed(1)} WCU (n=${tasks})`,
      );
      console.log(`  writes per task:\n${writes.lines}`);
    }
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
