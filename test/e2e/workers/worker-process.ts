// Worker processes for the e2e tests: `stepwise worker <module> --type <t>` as a user runs it (tsx, the
// CLI, the SDK), pointed at the embedded stack through the environment a deployment would give it. Each
// process is bounded in time and remembered by pid, so stopAllWorkers() (afterEach) ends whatever a test
// left running.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';

const projectRoot = fileURLToPath(new URL('../../../', import.meta.url));
const stack = inject('stack');

/** Worker tests need the embedded stack's queues and table; against a deployment they are skipped. */
export const workersAvailable = stack !== undefined;

export interface WorkerOptions {
  readonly type: string;
  readonly concurrency?: number;
  /** Heartbeat interval in seconds. @default 1 */
  readonly heartbeat?: number;
  readonly grace?: number;
  /** SIGKILLed after this long whatever happens. @default 90 s */
  readonly lifetimeMs?: number;
  /** Variables laid over the stack's (e.g. an endpoint behind a test's proxy). */
  readonly environment?: Readonly<Record<string, string>>;
}

export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  output(): string;
  /** Resolves with the first match of `pattern` in the output (stdout and stderr), waiting up to `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** The worker id the status line shows, once registered. */
  workerId(): Promise<string>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Map<number, WorkerProcess>();

function workerEnvironment(type: string): Record<string, string> {
  if (!stack) throw new Error('No embedded stack: worker tests run only against it');
  const queueUrl = stack.workerQueueUrls[type];
  if (!queueUrl) throw new Error(`The e2e stack declares no worker type ${type} (test/e2e/global-setup.ts)`);
  const aws = Object.entries(stack.environment).filter(([name]) => name.startsWith('AWS_'));
  return {
    ...Object.fromEntries(aws),
    STEPWISE_TABLE: stack.tableName,
    STEPWISE_WORKER_QUEUE_URL: queueUrl,
    STEPWISE_AGENT_REPORTS_FUNCTION: stack.agentReportsFunction,
    // A short poll, so a stop is not held up by one in progress.
    STEPWISE_WORKER_POLL_WAIT_SECONDS: '1',
  };
}

export function startWorker(module: string, options: WorkerOptions): WorkerProcess {
  const args = ['bin/stepwise.ts', 'worker', module, '--type', options.type];
  args.push('--heartbeat', String(options.heartbeat ?? 1));
  if (options.concurrency !== undefined) args.push('--concurrency', String(options.concurrency));
  if (options.grace !== undefined) args.push('--grace', String(options.grace));
  return spawnWorker(args, {}, options);
}

/**
 * A program of its own that runs the SDK (createWorker), given its settings as STEPWISE_TEST_WORKER_*
 * variables; it prints the status line `worker <id> <type> ` once registered, as `stepwise worker` does.
 */
export function startSdkWorker(program: string, options: WorkerOptions): WorkerProcess {
  return spawnWorker(
    [program],
    {
      STEPWISE_TEST_WORKER_TYPE: options.type,
      STEPWISE_WORKER_HEARTBEAT_SECONDS: String(options.heartbeat ?? 1),
      ...(options.grace !== undefined && { STEPWISE_TEST_WORKER_GRACE: String(options.grace) }),
    },
    options,
  );
}

function spawnWorker(args: string[], env: Record<string, string>, options: WorkerOptions): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: projectRoot,
    env: { ...process.env, ...workerEnvironment(options.type), ...env, ...options.environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('The worker process did not start');
  let text = '';
  const listeners = new Set<() => void>();
  const collect = (chunk: Buffer) => {
    text += chunk.toString('utf8');
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const lifetime = setTimeout(() => child.kill('SIGKILL'), options.lifetimeMs ?? 90_000);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      clearTimeout(lifetime);
      running.delete(pid);
      for (const listener of listeners) listener();
      resolve({ code, signal });
    });
  });
  const waitFor = (pattern: RegExp, timeoutMs = 20_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const match = text.match(pattern);
        if (match) {
          done();
          resolve(match);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          done();
          reject(new Error(`worker ${pid} exited before printing ${pattern}:\n${text}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`worker ${pid} printed no ${pattern} within ${timeoutMs} ms:\n${text}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });
  const worker: WorkerProcess = {
    child,
    pid,
    output: () => text,
    waitFor,
    workerId: async () => (await waitFor(new RegExp(`^worker (\\S+) ${options.type} `, 'm')))[1] ?? '',
    exited,
  };
  running.set(pid, worker);
  return worker;
}

/** SIGKILL, as a crash or `kill -9` would; resolves once the process is gone. */
export async function killWorker(worker: WorkerProcess): Promise<void> {
  if (worker.child.exitCode === null && worker.child.signalCode === null) process.kill(worker.pid, 'SIGKILL');
  await worker.exited;
}

/** Ends every worker process a test started that is still running. */
export async function stopAllWorkers(): Promise<void> {
  await Promise.all([...running.values()].map(killWorker));
}
