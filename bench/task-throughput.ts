// End-to-end task throughput on the embedded stack: basic_sequence tasks started over HTTP at concurrency
// 1, 16 and 64, first on a fresh stack, then again after a restart with 10,000 ended executions in the
// local Step Functions store, printed side by side. Each pass starts with a warm-up (handlers loaded, JIT
// warm): its first tasks, run one at a time, give the cold CPU per step, printed apart. Each level runs
// RUNS_PER_LEVEL times; per level, over its runs: tasks/s (from the first start to the last end pushed
// over the live WebSocket, task-completion.ts) and the process's CPU per step (the whole stack runs in
// this process: the API, the handlers, the emulators; the client's own calls are included), and the
// orchestration overhead per step over all its tasks (wall time from creation to end minus the steps' own
// attempt durations, over 3 steps), read from the tasks after the level so the reads do not count. On the
// fresh pass, the runs' range, and the DynamoDB writes and consumed WCU per task with the list of writes
// (operation, item kind, writes per task, WCU per task), as the local DynamoDB's write meter counts them;
// each level ends with the metric aggregates folded (a metrics read folds the closed slots), so their
// writes are in the figure, amortized over the level's tasks as a fold run amortizes them.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SLOT_GRACE_MS } from '../functions/shared/telemetry/fold-aggregates';
import { SLOT_MS, slotOf } from '../functions/shared/telemetry/settled-index';
import type { MeteredWrite } from '../local/dynamodb-write-meter';
import { type LocalStack, startLocalStack } from '../local/stack';
import { ExecutionLog } from '../local/stepfunctions/execution-log';
import { DEFAULT_RETAINED_ENDED, type ExecutionRecord } from '../local/stepfunctions/executions';
import { type ApiCall, exampleWorkflow, stackApi } from './stack-api';
import { ms, summarize } from './stats';
import { COMPLETION, pushedCompletion } from './task-completion';

// Each level runs a few seconds: with fewer tasks one GC pause or timer tick moved the CPU figures by 20 %.
const LEVELS = [
  { concurrency: 1, tasks: 200 },
  { concurrency: 16, tasks: 320 },
  { concurrency: 64, tasks: 384 },
] as const;
// Each level runs this many times; its figures are over all of them (a longer window: one run moved by
// ±10 % and more from the next with nothing else changed), and the runs' range is printed beside them.
const RUNS_PER_LEVEL = 3;
// The warm-up: its first tasks, one at a time, are measured as the cold figure; the JIT reaches its steady
// state only after some 500 tasks (CPU per step at c=1 falls by about a third over them), so the levels
// measure after that many.
const COLD_TASKS = 100;
const WARM_UP_TASKS = 500;
const STORED_EXECUTIONS = 10_000;
const STEPS_PER_TASK = 3;

interface TaskDetail {
  status: string;
  createdAt: string;
  endedAt?: string;
  attempts: { durationMs?: number }[];
}

interface LevelResult {
  concurrency: number;
  tasksPerSecond: number;
  cpuPerStepMs: number;
  overheadP50: number;
  overheadP99: number;
}

/**
 * Each pass runs in a process of its own (the handlers bind their AWS clients to the first stack's
 * endpoints): the fresh pass, which then stores the ended executions in its data folder, and the pass on
 * the restarted stack. Each prints its figures as a `RESULT <json>` line, read here.
 */
export async function benchTaskThroughput(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'stepwise-bench-tasks-'));
  try {
    const fresh = runPassProcess('fresh', dataDir) as PassResult;
    const loaded = runPassProcess('stored', dataDir) as PassResult;
    printSideBySide(fresh, loaded);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** The first tasks of a pass, one at a time, before the JIT has warmed. */
interface ColdResult {
  tasks: number;
  cpuPerStepMs: number;
}

interface PassResult {
  levels: LevelResult[];
  cold: ColdResult;
  /** Ended executions in the store when the pass started. */
  stored: number;
  startMs: number;
}

function runPassProcess(mode: 'fresh' | 'stored', dataDir: string): PassResult {
  const entry = fileURLToPath(new URL('./run-one.ts', import.meta.url));
  const { status, stdout } = spawnSync(
    process.execPath,
    [...process.execArgv, entry, 'task-throughput-pass', mode, dataDir],
    { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const lines = stdout.split('\n');
  const result = lines.find((line) => line.startsWith('RESULT '));
  process.stdout.write(lines.filter((line) => !line.startsWith('RESULT ')).join('\n'));
  if (status !== 0 || !result) throw new Error(`the ${mode} pass failed (exit ${status})`);
  return JSON.parse(result.slice('RESULT '.length)) as PassResult;
}

/** One pass (`fresh`: then stores the ended executions for the next), in this process. */
export async function benchTaskThroughputPass(): Promise<void> {
  const [mode, dataDir = ''] = process.argv.slice(3);
  const stored = mode === 'stored' ? await storedExecutions(dataDir) : 0;
  const began = performance.now();
  const stack = await startLocalStack({
    dataDir,
    apiPort: 0,
    logLevel: 'ERROR',
    // Both passes run the write meter (only the fresh one prints what it counted), so they compare alike.
    meterDynamoDb: { writes: true },
  });
  const startMs = performance.now() - began;
  let levels: LevelResult[];
  let cold: ColdResult;
  try {
    ({ levels, cold } = await runPass(stack, mode === 'fresh'));
  } finally {
    await stack.stop();
  }
  if (mode === 'fresh') await storeEndedExecutions(dataDir, STORED_EXECUTIONS);
  console.log(`RESULT ${JSON.stringify({ levels, cold, stored, startMs } satisfies PassResult)}`);
}

async function runPass(
  stack: LocalStack,
  writeBudget: boolean,
): Promise<{ levels: LevelResult[]; cold: ColdResult }> {
  const call = stackApi(stack);
  const completion = await pushedCompletion(stack);
  try {
    const definition = await exampleWorkflow('basic_sequence');
    await call('POST', '/workflows', definition);
    const runOne = async () => {
      const { taskId } = await call<{ taskId: string }>('POST', '/tasks', {
        workflowId: definition.id,
        input: { text: 'benchmark input text' },
      });
      await completion.ended(taskId);
      return taskId;
    };
    const runLevel = async (concurrency: number, count: number) => {
      const taskIds: string[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < count) {
            next++;
            taskIds.push(await runOne());
          }
        }),
      );
      return taskIds;
    };
    // The level's last settle slot closes SLOT_MS after it starts, plus the folder's grace; then a read folds.
    const foldSettledTasks = async () => {
      const closedAt = (slotOf(Date.now()) + 1) * SLOT_MS + SLOT_GRACE_MS + 100;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, closedAt - Date.now())));
      await call('GET', `/workflows/${definition.id}/metrics`);
    };
    const measured = async (concurrency: number, count: number) => {
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      const taskIds = await runLevel(concurrency, count);
      const seconds = (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      return { taskIds, seconds, cpuPerStepMs: (cpu.user + cpu.system) / 1000 / (count * STEPS_PER_TASK) };
    };
    const cold = await measured(1, COLD_TASKS);
    await runLevel(16, WARM_UP_TASKS);
    if (writeBudget) await foldSettledTasks();
    const results: LevelResult[] = [];
    for (const { concurrency, tasks: perRun } of LEVELS) {
      const writesBefore = stack.dynamodbWrites().length;
      const requestsBefore = stack.dynamodbRequests();
      const runs: Awaited<ReturnType<typeof measured>>[] = [];
      for (let run = 0; run < RUNS_PER_LEVEL; run++) runs.push(await measured(concurrency, perRun));
      const count = perRun * RUNS_PER_LEVEL;
      const requests = Object.entries(stack.dynamodbRequests())
        .map(
          ([operation, n]) =>
            [operation, (n - (requestsBefore[operation] ?? 0)) / (count * STEPS_PER_TASK)] as const,
        )
        .filter(([, n]) => n > 0)
        .sort((a, b) => b[1] - a[1]);
      const overheads = await overheadsPerStep(
        call,
        runs.flatMap((run) => run.taskIds),
      );
      const { p50, p99 } = summarize(overheads);
      const result: LevelResult = {
        concurrency,
        tasksPerSecond: count / runs.reduce((total, run) => total + run.seconds, 0),
        cpuPerStepMs: runs.reduce((total, run) => total + run.cpuPerStepMs, 0) / runs.length,
        overheadP50: p50,
        overheadP99: p99,
      };
      results.push(result);
      if (!writeBudget) continue;
      await foldSettledTasks();
      const writes = stack.dynamodbWrites().slice(writesBefore);
      const wcu = writes.reduce((total, write) => total + write.wcu, 0);
      const indexWcu = writes.reduce((total, write) => total + write.indexWcu, 0);
      const perTask = (n: number) => (n / count).toFixed(1);
      const spread = (values: number[], format: (n: number) => string) =>
        `${format(Math.min(...values))}-${format(Math.max(...values))}`;
      console.log(
        `basic_sequence at concurrency ${concurrency}: ${result.tasksPerSecond.toFixed(1)} tasks/s (runs ${spread(
          runs.map((run) => perRun / run.seconds),
          (n) => n.toFixed(1),
        )}); CPU per step ${ms(result.cpuPerStepMs)} (runs ${spread(
          runs.map((run) => run.cpuPerStepMs),
          (n) => n.toFixed(2),
        )}); orchestration overhead per step p50 ${ms(p50)}, p99 ${ms(p99)}; DynamoDB per task: ${perTask(writes.length)} writes, ${perTask(wcu)} table WCU + ${perTask(indexWcu)} index WCU (estimated) = ${perTask(wcu + indexWcu)} WCU (n=${count})`,
      );
      const requestTotal = requests.reduce((total, [, n]) => total + n, 0);
      console.log(
        `  DynamoDB requests per step: ${requestTotal.toFixed(1)} (${requests.map(([operation, n]) => `${operation} ${n.toFixed(1)}`).join(', ')})`,
      );
      console.log(`  writes per task:\n${listWrites(writes, count)}`);
    }
    return { levels: results, cold: { tasks: COLD_TASKS, cpuPerStepMs: cold.cpuPerStepMs } };
  } finally {
    await completion.close();
  }
}

/** Per task, its wall time from creation to end minus its attempts' durations, over its steps. */
async function overheadsPerStep(call: ApiCall, taskIds: readonly string[]): Promise<number[]> {
  return Promise.all(
    taskIds.map(async (taskId) => {
      const task = await call<TaskDetail>('GET', `/tasks/${taskId}`);
      const wall = Date.parse(task.endedAt ?? task.createdAt) - Date.parse(task.createdAt);
      const work = task.attempts.reduce((total, attempt) => total + (attempt.durationMs ?? 0), 0);
      return (wall - work) / STEPS_PER_TASK;
    }),
  );
}

async function storedExecutions(dataDir: string): Promise<number> {
  const records = new Map<string, ExecutionRecord>();
  const log = ExecutionLog.in(dataDir);
  await log.load(records);
  await log.close();
  // The stack keeps at most the retention's worth of them (the default here).
  const ended = [...records.values()].filter((record) => record.status !== 'RUNNING').length;
  return Math.min(ended, DEFAULT_RETAINED_ENDED);
}

/**
 * Stores `count` ended executions in the stopped stack's Step Functions log, copies of an ended
 * basic_sequence execution of the first pass (so as large as real ones); returns the records kept.
 */
async function storeEndedExecutions(dataDir: string, count: number): Promise<void> {
  const records = new Map<string, ExecutionRecord>();
  const log = ExecutionLog.in(dataDir);
  await log.load(records);
  const template = [...records.values()].find((record) => record.status === 'SUCCEEDED');
  if (!template) throw new Error('no ended execution to copy');
  for (let n = 0; n < count; n++) {
    const name = `stored-${n}`;
    const executionArn = template.executionArn.replace(/:[^:]+$/, `:${name}`);
    const copy = { ...template, executionArn, name, stopDate: (template.stopDate ?? 0) - count + n };
    records.set(executionArn, copy);
    log.changed(copy);
  }
  await log.close();
}

function printSideBySide(fresh: PassResult, loaded: PassResult): void {
  const cell = (value: string) => value.padStart(12);
  const row = (label: string, values: readonly string[]) =>
    `  ${label.padEnd(30)}${values.map(cell).join('')}`;
  const lines = [
    row(
      'basic_sequence',
      LEVELS.map((level) => `c=${level.concurrency}`),
    ),
  ];
  for (const [label, pass] of [
    ['fresh stack', fresh],
    [`${loaded.stored.toLocaleString('en')} stored`, loaded],
  ] as const) {
    lines.push(
      row(
        `${label}: tasks/s`,
        pass.levels.map((r) => r.tasksPerSecond.toFixed(1)),
      ),
    );
    lines.push(
      row(
        '  CPU per step',
        pass.levels.map((r) => ms(r.cpuPerStepMs)),
      ),
    );
    lines.push(
      row(
        '  overhead per step p50',
        pass.levels.map((r) => ms(r.overheadP50)),
      ),
    );
    lines.push(
      row(
        '  overhead per step p99',
        pass.levels.map((r) => ms(r.overheadP99)),
      ),
    );
  }
  const coldFigures = [fresh, loaded]
    .map((pass) => `${ms(pass.cold.cpuPerStepMs)} ${pass === fresh ? 'fresh' : 'stored'}`)
    .join(', ');
  lines.push(`  CPU per step of the first ${fresh.cold.tasks} tasks (cold JIT, c=1): ${coldFigures}`);
  const top = (pass: PassResult) => pass.levels.at(-1)?.tasksPerSecond ?? Number.NaN;
  const change = ((top(loaded) - top(fresh)) / top(fresh)) * 100;
  console.log(`task throughput (completion seen by ${COMPLETION}; stack start ${ms(fresh.startMs)} fresh, ${ms(loaded.startMs)} with ${loaded.stored.toLocaleString('en')} ended executions stored):
${lines.join('\n')}
  c=${LEVELS.at(-1)?.concurrency} with the stored executions vs fresh: ${change >= 0 ? '+' : ''}${change.toFixed(1)} % tasks/s`);
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
