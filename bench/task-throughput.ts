// End-to-end task throughput on the embedded stack: basic_sequence tasks started over HTTP at several
// concurrencies; per task, the orchestration overhead (wall time from creation to end minus the steps'
// own attempt durations), and the DynamoDB writes and consumed WCU it caused with the list of writes
// (operation, item kind, writes per task, WCU per task), as the local DynamoDB's write meter counts them.
// Each level ends with the metric aggregates folded (a metrics read folds the closed slots), so their
// writes are in the figure, amortized over the level's tasks as a fold run amortizes them.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SLOT_GRACE_MS } from '../functions/shared/telemetry/fold-aggregates';
import { SLOT_MS, slotOf } from '../functions/shared/telemetry/settled-index';
import type { MeteredWrite } from '../local/dynamodb-write-meter';
import { startLocalStack } from '../local/stack';
import { exampleWorkflow, stackApi } from './stack-api';
import { ms, summarize } from './stats';

const TASKS_PER_LEVEL = { 1: 10, 16: 48, 64: 128 } as const;

interface TaskDetail {
  status: string;
  createdAt: string;
  endedAt?: string;
  attempts: { durationMs?: number }[];
}

export async function benchTaskThroughput(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'stepwise-bench-tasks-'));
  const stack = await startLocalStack({ dataDir, apiPort: 0, logLevel: 'ERROR' });
  const call = stackApi(stack);
  try {
    const definition = await exampleWorkflow('basic_sequence');
    await call('POST', '/workflows', definition);
    const runOne = async () => {
      const { taskId } = await call<{ taskId: string }>('POST', '/tasks', {
        workflowId: definition.id,
        input: { text: 'benchmark input text' },
      });
      for (;;) {
        const task = await call<TaskDetail>('GET', `/tasks/${taskId}`);
        if (task.endedAt) return task;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    // The level's last settle slot closes SLOT_MS after it starts, plus the folder's grace; then a read folds.
    const foldSettledTasks = async () => {
      const closedAt = (slotOf(Date.now()) + 1) * SLOT_MS + SLOT_GRACE_MS + 100;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, closedAt - Date.now())));
      await call('GET', `/workflows/${definition.id}/metrics`);
    };
    await foldSettledTasks();
    for (const [level, count] of Object.entries(TASKS_PER_LEVEL)) {
      const concurrency = Number(level);
      const writesBefore = stack.dynamodbWrites().length;
      const overheads: number[] = [];
      let next = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < count) {
            next++;
            const task = await runOne();
            const wall = Date.parse(task.endedAt ?? task.createdAt) - Date.parse(task.createdAt);
            const work = task.attempts.reduce((total, attempt) => total + (attempt.durationMs ?? 0), 0);
            overheads.push((wall - work) / 3);
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      await foldSettledTasks();
      const writes = stack.dynamodbWrites().slice(writesBefore);
      const wcu = writes.reduce((total, write) => total + write.wcu, 0);
      const indexWcu = writes.reduce((total, write) => total + write.indexWcu, 0);
      const { p50, p99 } = summarize(overheads);
      const perTask = (n: number) => (n / count).toFixed(1);
      console.log(
        `basic_sequence at concurrency ${concurrency}: ${(count / seconds).toFixed(1)} tasks/s; orchestration overhead per step p50 ${ms(p50)}, p99 ${ms(p99)}; DynamoDB per task: ${perTask(writes.length)} writes, ${perTask(wcu)} table WCU + ${perTask(indexWcu)} index WCU (estimated) = ${perTask(wcu + indexWcu)} WCU (n=${count})`,
      );
      console.log(`  writes per task:\n${listWrites(writes, count)}`);
    }
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/**
 * Per operation, item kind and index changes, per task:
 * `UpdateItem TASK 1.0: 2.0 table WCU + 2.0 index WCU (update gsi10 1.0, update gsi12 1.0)`.
 */
function listWrites(writes: readonly MeteredWrite[], tasks: number): string {
  const groups = new Map<
    string,
    { writes: number; wcu: number; indexWcu: number; byIndex: Map<string, number> }
  >();
  for (const write of writes) {
    const changes = write.indexWrites.map((w) => `${w.change} ${w.index}`);
    const key = `${write.operation} ${write.kind}${write.conditionFailed ? ' (condition failed)' : ''}${changes.length > 0 ? ` [${[...new Set(changes)].join(', ')}]` : ''}`;
    const group = groups.get(key) ?? { writes: 0, wcu: 0, indexWcu: 0, byIndex: new Map() };
    group.writes++;
    group.wcu += write.wcu;
    group.indexWcu += write.indexWcu;
    for (const w of write.indexWrites) {
      const name = `${w.change} ${w.index}`;
      group.byIndex.set(name, (group.byIndex.get(name) ?? 0) + w.wcu);
    }
    groups.set(key, group);
  }
  const per = (n: number) => (n / tasks).toFixed(1);
  return [...groups.values()]
    .map((group, i) => {
      const key = [...groups.keys()][i]?.replace(/ \[.*\]$/, '');
      const indexes = [...group.byIndex].map(([name, wcu]) => `${name} ${per(wcu)}`).join(', ');
      return `    ${key} ${per(group.writes)}: ${per(group.wcu)} table WCU + ${per(group.indexWcu)} index WCU${indexes ? ` (${indexes})` : ''}`;
    })
    .join('\n');
}
