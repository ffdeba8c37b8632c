// The load the throughput and write benches put on a stack: basic_sequence tasks started over its HTTP API,
// their ends pushed over its WebSocket, `concurrency` at a time. It runs in a process of its own, apart from
// the stack it drives, as a team's application would: the stack process's CPU then counts the stack alone
// (its API, handlers and emulators), and the client's own CPU is measured here and printed apart (it was
// a tenth of the figure while both shared a process). The stack process starts it and asks for runs over
// the IPC channel (a request, an answer with its id).
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type ApiCall, stackApi } from './stack-api';
import { pushedCompletion, type TaskCompletion } from './task-completion';

const ENTRY = fileURLToPath(new URL('./run-one.ts', import.meta.url));

/** What the client needs of the stack it drives. */
export interface LoadTarget {
  readonly endpoints: { readonly api: string; readonly live: string };
  readonly credentials: { readonly apiKey: string };
  readonly workflowId: string;
}

/** One run of tasks, as the client saw it. */
export interface LoadRun {
  readonly taskIds: string[];
  /** From the first create to the last end. */
  readonly seconds: number;
  /** The client process's user + system CPU during the run, in ms. */
  readonly clientCpuMs: number;
}

type Request =
  | { readonly type: 'run'; readonly concurrency: number; readonly count: number }
  | { readonly type: 'stop' };

/** The stack process's handle on its load client. */
export class LoadClientProcess {
  private nextId = 0;
  private readonly answers = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void }
  >();

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (message: { id: number; answer?: unknown; error?: string }) => {
      const waiting = this.answers.get(message.id);
      this.answers.delete(message.id);
      if (message.error !== undefined) waiting?.reject(new Error(`the load client failed: ${message.error}`));
      else waiting?.resolve(message.answer);
    });
    // A client that dies fails what was asked of it, rather than leaving the bench waiting.
    child.on('exit', (code) => {
      for (const { reject } of this.answers.values()) reject(new Error(`the load client exited (${code})`));
      this.answers.clear();
    });
  }

  /** Starts a client on `target` and waits until it is subscribed to the org's task events. */
  static start(target: LoadTarget): Promise<LoadClientProcess> {
    const child = spawn(process.execPath, [...process.execArgv, ENTRY, 'task-throughput-client'], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.send(target);
    return new Promise((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`the load client exited (${code}) before it was ready`)));
      child.once('message', () => {
        child.removeAllListeners('exit');
        resolve(new LoadClientProcess(child));
      });
    });
  }

  /** Runs `count` tasks, `concurrency` at a time. */
  run(concurrency: number, count: number): Promise<LoadRun> {
    return this.ask({ type: 'run', concurrency, count }) as Promise<LoadRun>;
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    await this.ask({ type: 'stop' });
    await exited;
  }

  private ask(request: Request): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.answers.set(id, { resolve, reject });
      this.child.send({ id, request });
    });
  }
}

/** `task-throughput-client`: told its target first, then runs what it is asked until told to stop. */
export async function runLoadClient(): Promise<void> {
  const target = await new Promise<LoadTarget>((resolve) => process.once('message', resolve));
  const client = new LoadClient(stackApi(target), await pushedCompletion(target), target.workflowId);
  const send = (message: unknown) => process.send?.(message);
  // The stack process gone (killed, crashed), nothing is left to drive: go too.
  process.on('disconnect', () => process.exit(0));
  process.on('message', async ({ id, request }: { id: number; request: Request }) => {
    try {
      if (request.type === 'stop') {
        await client.close();
        send({ id, answer: undefined });
        process.disconnect();
        return;
      }
      send({ id, answer: await client.run(request.concurrency, request.count) });
    } catch (error) {
      send({ id, error: error instanceof Error ? error.message : String(error) });
    }
  });
  send('ready');
}

class LoadClient {
  constructor(
    private readonly call: ApiCall,
    private readonly completion: TaskCompletion,
    private readonly workflowId: string,
  ) {}

  async run(concurrency: number, count: number): Promise<LoadRun> {
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const taskIds: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count) {
          next++;
          taskIds.push(await this.runOne());
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    return { taskIds, seconds, clientCpuMs: (cpu.user + cpu.system) / 1000 };
  }

  private async runOne(): Promise<string> {
    const { taskId } = await this.call<{ taskId: string }>('POST', '/tasks', {
      workflowId: this.workflowId,
      input: { text: 'benchmark input text' },
    });
    await this.completion.ended(taskId);
    return taskId;
  }

  close(): Promise<void> {
    return this.completion.close();
  }
}
