// Task tokens for `.waitForTaskToken` tasks: issued into `$$.Task.Token`, completed by SendTaskSuccess /
// SendTaskFailure, kept alive by SendTaskHeartbeat. The interpreter has no notion of them.
import { randomBytes } from 'node:crypto';
import { invalidToken, TaskError, taskDoesNotExist, taskTimedOut } from './errors';
import { clearLongTimeout, type LongTimer, setLongTimeout } from './long-timer';

interface WaitingTask {
  readonly resolve: (output: unknown) => void;
  readonly reject: (error: TaskError) => void;
  readonly heartbeatMs?: number;
  /** HeartbeatSeconds runs up to 99,999,999 s on AWS: past setTimeout's 24.8 days (long-timer.ts). */
  heartbeatTimer?: LongTimer;
}

// Our tokens look like this; anything else cannot have come from this endpoint.
const TOKEN_FORMAT = /^AQ[A-Za-z0-9_-]{64}$/;

export class TaskTokens {
  private readonly waiting = new Map<string, WaitingTask>();
  /** Tokens whose task is over (timed out, completed, execution ended): AWS answers TaskTimedOut. */
  private readonly finished = new Set<string>();

  mint(): string {
    return `AQ${randomBytes(48).toString('base64url')}`;
  }

  /**
   * Waits for the token's task to be completed. Register before handing the token out (sending the SQS
   * message), so a fast worker cannot answer before the task listens. Without a heartbeat within
   * `heartbeatSeconds`, the task fails with `States.HeartbeatTimeout`.
   */
  wait(token: string, heartbeatSeconds?: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const task: WaitingTask = {
        resolve,
        reject,
        heartbeatMs: heartbeatSeconds === undefined ? undefined : heartbeatSeconds * 1000,
      };
      this.waiting.set(token, task);
      this.armHeartbeat(token, task);
    });
  }

  succeed(token: unknown, output: unknown): void {
    this.take(token).resolve(output);
  }

  fail(token: unknown, error: string, cause: string): void {
    this.take(token).reject(new TaskError(error, cause));
  }

  heartbeat(token: unknown): void {
    const task = this.lookup(token);
    this.armHeartbeat(token as string, task);
  }

  /**
   * The task stopped waiting (timed out, its execution ended): later calls with the token get TaskTimedOut.
   * A token no task waited on (every Task state claims one, `.waitForTaskToken` or not) was never handed
   * out, so nothing is kept for it: a stack running for days would otherwise keep one per Task state run.
   */
  expire(token: string): void {
    const task = this.waiting.get(token);
    if (!task) return;
    clearLongTimeout(task.heartbeatTimer);
    this.waiting.delete(token);
    this.finished.add(token);
  }

  /** A token handed out before a restart whose task is over: later calls with it get TaskTimedOut. */
  retire(token: string): void {
    this.finished.add(token);
  }

  /**
   * The tokens of an execution the retention dropped: later calls with them get TaskDoesNotExist, as the
   * execution itself is gone (DescribeExecution answers ExecutionDoesNotExist), so `finished` stays bounded
   * with the executions kept.
   */
  forget(tokens: Iterable<string>): void {
    for (const token of tokens) this.finished.delete(token);
  }

  /** Tokens waited on now, and tokens kept as finished (for benchmarks and tests). */
  get size(): { readonly waiting: number; readonly finished: number } {
    return { waiting: this.waiting.size, finished: this.finished.size };
  }

  close(): void {
    for (const token of [...this.waiting.keys()]) this.expire(token);
  }

  private armHeartbeat(token: string, task: WaitingTask): void {
    if (task.heartbeatMs === undefined) return;
    clearLongTimeout(task.heartbeatTimer);
    task.heartbeatTimer = setLongTimeout(() => {
      this.expire(token);
      task.reject(
        new TaskError('States.HeartbeatTimeout', `No heartbeat received within ${task.heartbeatMs} ms`),
      );
    }, task.heartbeatMs);
  }

  private lookup(token: unknown): WaitingTask {
    if (typeof token !== 'string' || !TOKEN_FORMAT.test(token)) throw invalidToken('Invalid token');
    const task = this.waiting.get(token);
    if (task) return task;
    throw this.finished.has(token) ? taskTimedOut() : taskDoesNotExist();
  }

  private take(token: unknown): WaitingTask {
    const task = this.lookup(token);
    this.expire(token as string);
    return task;
  }
}
