// The stacks the throughput and write benches drive, each in a process of its own (the handlers bind their
// AWS clients to the first stack's endpoints, so two stacks cannot share one). Each stack process starts
// its load client in a process of its own (load-client.ts), so its CPU per step counts the stack alone,
// and the client's CPU is reported beside it. The bench tells a stack process what to run over the IPC
// channel (a request, an answer with its id): a run of tasks (its time, the stack's and the client's CPU
// and the DynamoDB requests), the overheads of tasks it ran, a fold of the settled tasks' aggregates, and,
// on a stack started with the write meter, a mark of its DynamoDB writes and the writes since a mark as
// the write budget lines.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SLOT_GRACE_MS } from '../functions/shared/telemetry/fold-aggregates';
import { SLOT_MS, slotOf } from '../functions/shared/telemetry/settled-index';
import type { MeteredWrite } from '../local/dynamodb-write-meter';
import { type LocalStack, startLocalStack } from '../local/stack';
import { ExecutionLog } from '../local/stepfunctions/execution-log';
import { DEFAULT_RETAINED_ENDED, type ExecutionRecord } from '../local/stepfunctions/executions';
import { LoadClientProcess } from './load-client';
import { type ApiCall, exampleWorkflow, stackApi } from './stack-api';

const ENTRY = fileURLToPath(new URL('./run-one.ts', import.meta.url));
export const STEPS_PER_TASK = 3;

/** A stack process as it answers `ready`. */
export interface StackReady {
  /** Ended executions in its Step Functions store when it started. */
  readonly stored: number;
  readonly startMs: number;
}

/** One run of tasks on a stack. */
export interface RunResult {
  readonly taskIds: string[];
  readonly seconds: number;
  /** The stack process's user + system CPU during the run, in ms. */
  readonly cpuMs: number;
  /** The load client's, in its own process. */
  readonly clientCpuMs: number;
  /** The DynamoDB requests during the run, by operation. */
  readonly requests: Record<string, number>;
}

/** The DynamoDB writes since a mark, per task. */
export interface WriteSummary {
  readonly writes: number;
  readonly wcu: number;
  readonly indexWcu: number;
  /** The writes grouped by operation, item kind and index changes, one line each. */
  readonly lines: string;
}

type Request =
  | { readonly type: 'run'; readonly concurrency: number; readonly count: number }
  | { readonly type: 'overheads'; readonly taskIds: readonly string[] }
  | { readonly type: 'fold' }
  | { readonly type: 'mark' }
  | { readonly type: 'writes'; readonly mark: number; readonly tasks: number }
  | { readonly type: 'stop' };

/** The bench's handle on a stack process. */
export class StackProcess {
  private nextId = 0;
  private readonly answers = new Map<number, (value: unknown) => void>();

  private constructor(
    private readonly child: ChildProcess,
    readonly ready: StackReady,
  ) {
    child.on('message', (message: { id: number; answer: unknown }) => {
      this.answers.get(message.id)?.(message.answer);
      this.answers.delete(message.id);
    });
  }

  /**
   * Starts a stack on `dataDir` and waits for it to listen, basic_sequence registered. `meterWrites`: with
   * the local DynamoDB's write meter, which keeps every write and asks for each update's new image, so it
   * costs the stack CPU and memory that grow with the writes: only for the write figures.
   */
  static start(dataDir: string, { meterWrites = false } = {}): Promise<StackProcess> {
    const args = [ENTRY, 'task-throughput-stack', dataDir, ...(meterWrites ? ['metered'] : [])];
    const child = spawn(process.execPath, [...process.execArgv, ...args], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new Promise((resolve, reject) => {
      child.once('exit', (code) =>
        reject(new Error(`the stack process exited (${code}) before it was ready`)),
      );
      child.once('message', (ready: StackReady) => {
        child.removeAllListeners('exit');
        resolve(new StackProcess(child, ready));
      });
    });
  }

  /** Runs `count` basic_sequence tasks, `concurrency` at a time. */
  run(concurrency: number, count: number): Promise<RunResult> {
    return this.ask({ type: 'run', concurrency, count }) as Promise<RunResult>;
  }

  /** Per task, its wall time from creation to end minus its attempts' durations, over its steps. */
  overheadsPerStep(taskIds: readonly string[]): Promise<number[]> {
    return this.ask({ type: 'overheads', taskIds }) as Promise<number[]>;
  }

  /** Waits for the last settle slot to close and folds it into the metric aggregates. */
  foldSettledTasks(): Promise<void> {
    return this.ask({ type: 'fold' }) as Promise<void>;
  }

  /** Where the DynamoDB write meter stands. */
  mark(): Promise<number> {
    return this.ask({ type: 'mark' }) as Promise<number>;
  }

  /** The DynamoDB writes since `mark`, per task of `tasks`. */
  writesSince(mark: number, tasks: number): Promise<WriteSummary> {
    return this.ask({ type: 'writes', mark, tasks }) as Promise<WriteSummary>;
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.send({ id: this.nextId++, request: { type: 'stop' } satisfies Request });
    await exited;
  }

  private ask(request: Request): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.answers.set(id, resolve);
      this.child.send({ id, request });
    });
  }
}

/**
 * `task-throughput-stack <dataDir> [metered]`: runs a stack and what the bench asks of it, until told to
 * stop.
 */
export async function runThroughputStack(): Promise<void> {
  const [dataDir = '', metered] = process.argv.slice(3);
  const stored = await storedExecutions(dataDir);
  const began = performance.now();
  const stack = await startLocalStack({
    dataDir,
    apiPort: 0,
    logLevel: 'ERROR',
    ...(metered === 'metered' && { meterDynamoDb: { writes: true } }),
  });
  const startMs = performance.now() - began;
  const client = await TaskClient.open(stack);
  const send = (message: unknown) => process.send?.(message);
  process.on('message', async ({ id, request }: { id: number; request: Request }) => {
    if (request.type === 'stop') {
      await client.close();
      await stack.stop();
      process.exit(0);
    }
    send({ id, answer: await answer(stack, client, request) });
  });
  send({ stored, startMs } satisfies StackReady);
}

function answer(stack: LocalStack, client: TaskClient, request: Exclude<Request, { type: 'stop' }>) {
  switch (request.type) {
    case 'run':
      return client.run(request.concurrency, request.count);
    case 'overheads':
      return client.overheadsPerStep(request.taskIds);
    case 'fold':
      return client.foldSettledTasks();
    case 'mark':
      return stack.dynamodbWrites().length;
    case 'writes':
      return writesSince(stack, request.mark, request.tasks);
  }
}

interface TaskDetail {
  createdAt: string;
  endedAt?: string;
  attempts: { durationMs?: number }[];
}

/** basic_sequence tasks run by the stack's load client, and what the bench reads of them over the HTTP API. */
class TaskClient {
  private constructor(
    private readonly call: ApiCall,
    private readonly load: LoadClientProcess,
    private readonly workflowId: string,
    private readonly stack: LocalStack,
  ) {}

  static async open(stack: LocalStack): Promise<TaskClient> {
    const call = stackApi(stack);
    const definition = await exampleWorkflow('basic_sequence');
    await call('POST', '/workflows', definition);
    const load = await LoadClientProcess.start({
      endpoints: { api: stack.endpoints.api, live: stack.endpoints.live },
      credentials: { apiKey: stack.credentials.apiKey },
      workflowId: definition.id,
    });
    return new TaskClient(call, load, definition.id, stack);
  }

  async run(concurrency: number, count: number): Promise<RunResult> {
    const requestsBefore = this.stack.dynamodbRequests();
    const cpuBefore = process.cpuUsage();
    const { taskIds, seconds, clientCpuMs } = await this.load.run(concurrency, count);
    const cpu = process.cpuUsage(cpuBefore);
    const requests = Object.entries(this.stack.dynamodbRequests()).map(
      ([operation, n]) => [operation, n - (requestsBefore[operation] ?? 0)] as const,
    );
    return {
      taskIds,
      seconds,
      cpuMs: (cpu.user + cpu.system) / 1000,
      clientCpuMs,
      requests: Object.fromEntries(requests),
    };
  }

  overheadsPerStep(taskIds: readonly string[]): Promise<number[]> {
    return Promise.all(
      taskIds.map(async (taskId) => {
        const task = await this.call<TaskDetail>('GET', `/tasks/${taskId}`);
        const wall = Date.parse(task.endedAt ?? task.createdAt) - Date.parse(task.createdAt);
        const work = task.attempts.reduce((total, attempt) => total + (attempt.durationMs ?? 0), 0);
        return (wall - work) / STEPS_PER_TASK;
      }),
    );
  }

  /** The last settle slot closes SLOT_MS after it starts, plus the folder's grace; then a read folds. */
  async foldSettledTasks(): Promise<void> {
    const closedAt = (slotOf(Date.now()) + 1) * SLOT_MS + SLOT_GRACE_MS + 100;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, closedAt - Date.now())));
    await this.call('GET', `/workflows/${this.workflowId}/metrics`);
  }

  close(): Promise<void> {
    return this.load.stop();
  }
}

function writesSince(stack: LocalStack, mark: number, tasks: number): WriteSummary {
  const writes = stack.dynamodbWrites().slice(mark);
  return {
    writes: writes.length / tasks,
    wcu: writes.reduce((total, write) => total + write.wcu, 0) / tasks,
    indexWcu: writes.reduce((total, write) => total + write.indexWcu, 0) / tasks,
    lines: listWrites(writes, tasks),
  };
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

/**
 * Readies `dataDir` for the stored stack, in a process of its own: a stack there runs one basic_sequence
 * task, stops, and `count` copies of its ended execution are stored in its Step Functions log (as large
 * as real ones).
 */
export function seedStoredExecutions(dataDir: string, count: number): void {
  const { status } = spawnSync(
    process.execPath,
    [...process.execArgv, ENTRY, 'task-throughput-seed', dataDir, String(count)],
    { stdio: 'inherit' },
  );
  if (status !== 0) throw new Error(`seeding the stored executions failed (exit ${status})`);
}

/** `task-throughput-seed <dataDir> <count>`. */
export async function runThroughputSeed(): Promise<void> {
  const [dataDir = '', count = '0'] = process.argv.slice(3);
  const stack = await startLocalStack({ dataDir, apiPort: 0, logLevel: 'ERROR' });
  try {
    const client = await TaskClient.open(stack);
    await client.run(1, 1);
    await client.close();
  } finally {
    await stack.stop();
  }
  await storeEndedExecutions(dataDir, Number(count));
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

/** Stores `count` copies of an ended execution in the stopped stack's Step Functions log. */
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
