// The local Step Functions execution store: what one change of a running execution costs to persist
// (change to on disk) with 1,000 / 5,000 / 10,000 ended executions stored, for the append-only log
// (execution-log.ts) next to rewriting every record on each change (the JSON file store it replaced),
// and how long a restart takes to load them. Records are shaped like a basic_sequence execution's.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExecutionLog } from '../local/stepfunctions/execution-log';
import type { ExecutionRecord } from '../local/stepfunctions/executions';
import { JsonFileStore } from '../local/stepfunctions/store';
import { ms, summarize } from './stats';

const STORED = [1_000, 5_000, 10_000];
const CHANGES = 50;

/** An ended execution about the size of a basic_sequence one: 3 Tasks, their state events and payloads. */
export function syntheticExecution(n: number, status: 'RUNNING' | 'SUCCEEDED'): ExecutionRecord {
  const arn = `arn:aws:states:us-east-1:000000000000:execution:stepwise-local-basic_sequence:bench-${n}`;
  const payload = JSON.stringify({ taskId: `task-${n}`, text: 'benchmark input text '.repeat(8) });
  const history = Array.from({ length: 20 }, (_, i) => ({
    id: i + 1,
    previousEventId: i,
    timestamp: 1_700_000_000_000 + n * 100 + i,
    type: i % 2 === 0 ? 'TaskStateEntered' : 'TaskSucceeded',
    details: { input: payload, output: payload },
  }));
  return {
    executionArn: arn,
    stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:stepwise-local-basic_sequence',
    name: `bench-${n}`,
    status,
    startDate: 1_700_000_000_000 + n * 100,
    ...(status !== 'RUNNING' && { stopDate: 1_700_000_000_000 + n * 100 + 50, output: payload }),
    input: payload,
    history,
    ...(status === 'RUNNING' && { tasks: [] }),
  };
}

export async function benchExecutionStore(): Promise<void> {
  for (const stored of STORED) {
    const dataDir = await mkdtemp(join(tmpdir(), 'stepwise-bench-store-'));
    try {
      const records = new Map<string, ExecutionRecord>();
      for (let n = 0; n < stored; n++) {
        const record = syntheticExecution(n, 'SUCCEEDED');
        records.set(record.executionArn, record);
      }
      const running = syntheticExecution(stored, 'RUNNING');
      records.set(running.executionArn, running);

      // Loading an empty folder writes the records given as the log's compacted part.
      const log = ExecutionLog.in(dataDir);
      await log.load(records);
      const logChange: number[] = [];
      for (let i = 0; i < CHANGES; i++) {
        const entry = { key: `Step#${i}#1`, outcome: { output: { i } } };
        running.tasks?.push(entry);
        running.history.push({ id: running.history.length + 1, previousEventId: 0, timestamp: i, type: 'X' });
        const began = performance.now();
        log.changed(running, entry);
        await log.flush();
        logChange.push(performance.now() - began);
      }
      await log.close();
      const loadBegan = performance.now();
      const reloaded = ExecutionLog.in(dataDir);
      await reloaded.load(new Map());
      const load = performance.now() - loadBegan;
      await reloaded.close();

      const file = JsonFileStore.in<ExecutionRecord[]>(dataDir, 'executions-rewritten');
      const rewrite: number[] = [];
      for (let i = 0; i < Math.min(CHANGES, 10); i++) {
        const began = performance.now();
        file.save([...records.values()]);
        await file.flush();
        rewrite.push(performance.now() - began);
      }
      console.log(
        `execution store with ${stored} ended executions: per change p50 ${ms(summarize(logChange).p50)} appended to the log vs ${ms(summarize(rewrite).p50)} rewriting every record; restart loads them in ${ms(load)}`,
      );
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }
}
