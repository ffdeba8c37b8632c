// End-to-end task throughput on the embedded stack: basic_sequence tasks started over HTTP at several
// concurrencies; per task, the orchestration overhead (wall time from creation to end minus the steps'
// own attempt durations) and the DynamoDB writes it caused.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalStack } from '../local/stack';
import { ms, summarize } from './stats';

const WRITE_OPERATIONS = ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem'];
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
  const { api } = stack.endpoints;
  const headers = { authorization: `Bearer ${stack.credentials.apiKey}`, 'content-type': 'application/json' };
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${api}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return (await response.json()) as T;
  };
  try {
    const definition = JSON.parse(
      await readFile(new URL('../examples/workflows/basic_sequence.json', import.meta.url), 'utf8'),
    );
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
    for (const [level, count] of Object.entries(TASKS_PER_LEVEL)) {
      const concurrency = Number(level);
      const writesBefore = sumWrites(stack.dynamodbRequests());
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
      const writes = (sumWrites(stack.dynamodbRequests()) - writesBefore) / count;
      const { p50, p99 } = summarize(overheads);
      console.log(
        `basic_sequence at concurrency ${concurrency}: ${(count / seconds).toFixed(1)} tasks/s; orchestration overhead per step p50 ${ms(p50)}, p99 ${ms(p99)}; DynamoDB writes per task ${writes.toFixed(1)} (n=${count})`,
      );
    }
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

function sumWrites(counts: Record<string, number>): number {
  return WRITE_OPERATIONS.reduce((total, operation) => total + (counts[operation] ?? 0), 0);
}
