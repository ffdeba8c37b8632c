// End-to-end task throughput on the embedded stack: basic_sequence tasks started over HTTP at concurrency
// 1, 16 and 64 on two stacks side by side, a fresh one and one started with 10,000 ended executions in its
// local Step Functions store, each in a process of its own and its load client in another
// (throughput-stack.ts, load-client.ts). Each level runs RUNS_PER_LEVEL times on each stack, the runs
// interleaved (fresh then stored, then stored then fresh, ...), so both stacks meet the same load on the
// machine and their comparison does not drift with it. Each stack starts with a warm-up (handlers loaded,
// JIT warm): its first tasks, run one at a time, give the cold CPU per step, printed apart. Per level and
// stack, over its runs: tasks/s (from the first start to the last end pushed over the live WebSocket,
// task-completion.ts), the stack process's CPU per step (the API, the handlers, the emulators) and the
// load client's apart, and the orchestration overhead per step over all its tasks (wall time from creation
// to end minus the steps' own attempt durations, over 3 steps), read from the tasks after the level so the
// reads do not count; each stack's runs' range; for the fresh stack the DynamoDB requests per step.
// Neither stack runs the write meter, which would weigh on these figures more with every write it keeps
// (the writes per task are task-writes.ts's, on a stack of its own).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ms, summarize } from './stats';
import { COMPLETION } from './task-completion';
import { type RunResult, STEPS_PER_TASK, StackProcess, seedStoredExecutions } from './throughput-stack';

// Each run lasts a few seconds: with fewer tasks one GC pause or timer tick moved the CPU figures by 20 %.
const LEVELS = [
  { concurrency: 1, tasks: 200 },
  { concurrency: 16, tasks: 320 },
  { concurrency: 64, tasks: 384 },
] as const;
// Each level runs this many times per stack; its figures are over all of them (a longer window: one run
// moved by ±10 % and more from the next with nothing else changed), and the runs' range is printed.
const RUNS_PER_LEVEL = 5;
// The warm-up: its first tasks, one at a time, are measured as the cold figure; the JIT reaches its steady
// state only after some 500 tasks (CPU per step at c=1 falls by about a third over them), so the levels
// measure after that many.
const COLD_TASKS = 100;
const WARM_UP_TASKS = 500;
const STORED_EXECUTIONS = 10_000;

interface LevelResult {
  concurrency: number;
  tasksPerSecond: number;
  cpuPerStepMs: number;
  clientCpuPerStepMs: number;
  overheadP50: number;
  overheadP99: number;
}

/** One of the two stacks and what it measured. */
interface Pass {
  readonly label: 'fresh' | 'stored';
  readonly stack: StackProcess;
  cold?: number;
  readonly levels: LevelResult[];
}

export async function benchTaskThroughput(): Promise<void> {
  const dataDirs = await Promise.all(
    ['fresh', 'stored'].map((label) => mkdtemp(join(tmpdir(), `stepwise-bench-${label}-`))),
  );
  const [freshDir = '', storedDir = ''] = dataDirs;
  const stacks: StackProcess[] = [];
  try {
    seedStoredExecutions(storedDir, STORED_EXECUTIONS);
    for (const dataDir of [freshDir, storedDir]) stacks.push(await StackProcess.start(dataDir));
    const [fresh, stored] = (['fresh', 'stored'] as const).map(
      (label, i): Pass => ({ label, stack: stacks[i] as StackProcess, levels: [] }),
    );
    if (!fresh || !stored) return;
    await runLevels(fresh, stored);
    printSideBySide(fresh, stored);
  } finally {
    await Promise.all(stacks.map((stack) => stack.stop()));
    await Promise.all(dataDirs.map((dir) => rm(dir, { recursive: true, force: true })));
  }
}

async function runLevels(fresh: Pass, stored: Pass): Promise<void> {
  for (const pass of [fresh, stored]) {
    pass.cold = (await pass.stack.run(1, COLD_TASKS)).cpuMs / (COLD_TASKS * STEPS_PER_TASK);
    await pass.stack.run(16, WARM_UP_TASKS);
  }
  for (const { concurrency, tasks: perRun } of LEVELS) {
    const runs: Record<Pass['label'], RunResult[]> = { fresh: [], stored: [] };
    for (let run = 0; run < RUNS_PER_LEVEL; run++) {
      for (const pass of run % 2 === 0 ? [fresh, stored] : [stored, fresh]) {
        runs[pass.label].push(await pass.stack.run(concurrency, perRun));
      }
    }
    const count = perRun * RUNS_PER_LEVEL;
    for (const pass of [fresh, stored]) {
      const passRuns = runs[pass.label];
      const overheads = await pass.stack.overheadsPerStep(passRuns.flatMap((run) => run.taskIds));
      const { p50, p99 } = summarize(overheads);
      pass.levels.push({
        concurrency,
        tasksPerSecond: count / passRuns.reduce((total, run) => total + run.seconds, 0),
        cpuPerStepMs: passRuns.reduce((total, run) => total + run.cpuMs, 0) / (count * STEPS_PER_TASK),
        clientCpuPerStepMs:
          passRuns.reduce((total, run) => total + run.clientCpuMs, 0) / (count * STEPS_PER_TASK),
        overheadP50: p50,
        overheadP99: p99,
      });
    }
    printLevel(fresh, runs.fresh, perRun);
    printStoredLevel(stored, runs.stored, perRun);
  }
}

/** The fresh stack's lines for a level: its figures with the runs' range, and its DynamoDB requests. */
function printLevel(pass: Pass, runs: readonly RunResult[], perRun: number): void {
  const level = pass.levels.at(-1);
  if (!level) return;
  const steps = perRun * runs.length * STEPS_PER_TASK;
  const requests = new Map<string, number>();
  for (const run of runs) {
    for (const [operation, n] of Object.entries(run.requests))
      requests.set(operation, (requests.get(operation) ?? 0) + n);
  }
  const byOperation = [...requests].filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
  const perStep = (n: number) => (n / steps).toFixed(1);
  console.log(
    `basic_sequence at concurrency ${level.concurrency}: ${figures(level, runs, perRun)}; orchestration overhead per step p50 ${ms(level.overheadP50)}, p99 ${ms(level.overheadP99)} (n=${perRun * runs.length})`,
  );
  const total = byOperation.reduce((sum, [, n]) => sum + n, 0);
  console.log(
    `  DynamoDB requests per step: ${perStep(total)} (${byOperation.map(([operation, n]) => `${operation} ${perStep(n)}`).join(', ')})`,
  );
}

/** A level's tasks/s and CPU per step, each with the runs' range. */
function figures(level: LevelResult, runs: readonly RunResult[], perRun: number): string {
  const spread = (values: number[], digits: number) =>
    `${Math.min(...values).toFixed(digits)}-${Math.max(...values).toFixed(digits)}`;
  const tasksPerSecond = spread(
    runs.map((run) => perRun / run.seconds),
    1,
  );
  const cpuPerStep = spread(
    runs.map((run) => run.cpuMs / (perRun * STEPS_PER_TASK)),
    2,
  );
  return `${level.tasksPerSecond.toFixed(1)} tasks/s (runs ${tasksPerSecond}); CPU per step ${ms(level.cpuPerStepMs)} (runs ${cpuPerStep}; the load client's ${ms(level.clientCpuPerStepMs)} apart)`;
}

/** The stored stack's figures for a level, under the fresh stack's. */
function printStoredLevel(pass: Pass, runs: readonly RunResult[], perRun: number): void {
  const level = pass.levels.at(-1);
  if (level) {
    console.log(
      `  with ${pass.stack.ready.stored.toLocaleString('en')} executions stored: ${figures(level, runs, perRun)}`,
    );
  }
}

function printSideBySide(fresh: Pass, loaded: Pass): void {
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
    [`${loaded.stack.ready.stored.toLocaleString('en')} stored`, loaded],
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
        '  load client CPU per step',
        pass.levels.map((r) => ms(r.clientCpuPerStepMs)),
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
    .map((pass) => `${ms(pass.cold ?? Number.NaN)} ${pass.label}`)
    .join(', ');
  lines.push(`  CPU per step of the first ${COLD_TASKS} tasks (cold JIT, c=1): ${coldFigures}`);
  const top = (pass: Pass) => pass.levels.at(-1)?.tasksPerSecond ?? Number.NaN;
  const change = ((top(loaded) - top(fresh)) / top(fresh)) * 100;
  console.log(`task throughput (completion seen by ${COMPLETION}; stack start ${ms(fresh.stack.ready.startMs)} fresh, ${ms(loaded.stack.ready.startMs)} with ${loaded.stack.ready.stored.toLocaleString('en')} ended executions stored; the runs interleaved):
${lines.join('\n')}
  c=${LEVELS.at(-1)?.concurrency} with the stored executions vs fresh: ${change >= 0 ? '+' : ''}${change.toFixed(1)} % tasks/s`);
}
