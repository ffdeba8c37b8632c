// Worker processes spawned by a test (test/support/hold-worker.ts, the SDK in a process of its own), with
// the events they print, and their end: a signal, and the exit awaited.
import { type ChildProcess, spawn } from 'node:child_process';
import type { LocalEndpoints } from '../../local/stack';

export interface WorkerProcess {
  readonly child: ChildProcess;
  /** The WorkerEvents printed so far. */
  readonly events: Record<string, unknown>[];
  /** Resolves with the first event `match` accepts. */
  waitFor(
    match: (event: Record<string, unknown>) => boolean,
    timeoutMs: number,
  ): Promise<Record<string, unknown>>;
  /** Sends `signal` (SIGKILL by default) and resolves once the process is gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export function spawnWorker(
  endpoints: LocalEndpoints,
  type: string,
  env: Record<string, string> = {},
): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/hold-worker.ts'], {
    env: {
      ...process.env,
      ...endpoints.environment,
      STEPWISE_TABLE: endpoints.tableName,
      STEPWISE_WORKER_QUEUE_URL: endpoints.workerQueueUrls[type] ?? '',
      STEPWISE_AGENT_REPORTS_FUNCTION: endpoints.agentReportsFunction,
      WORKER_TYPE: type,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  let buffered = '';
  let errors = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      events.push(JSON.parse(line) as Record<string, unknown>);
    }
    for (const wake of waiters) wake();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    errors += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    events,
    waitFor: (match, timeoutMs) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find(match);
          if (!found) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `worker ${child.pid}: no such event in ${timeoutMs} ms: ${JSON.stringify(events)}\n${errors}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    kill: async (signal = 'SIGKILL') => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await exited;
    },
  };
}
