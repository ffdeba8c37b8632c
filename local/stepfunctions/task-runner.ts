// Runs the Task states of one execution in place of the interpreter's own Lambda call (through its
// `taskResourceLocalHandlers` override): service integrations, task tokens and heartbeats, the Task's
// `TimeoutSeconds` as seen by the token, and the Task* history events.

import type { TaskStateDefinition } from './definition';
import { TaskError } from './errors';
import type { History } from './history';
import { type Integrations, parseResource, type TaskResource } from './integrations';
import { clearLongTimeout, setLongTimeout } from './long-timer';
import type { TaskJournal } from './task-journal';
import type { TaskTokens } from './task-tokens';

export interface TaskExecutionContext {
  readonly region: string;
  readonly history: History;
  readonly integrations: Integrations;
  readonly tokens: TaskTokens;
  /** Aborted when the execution ends or is stopped: pending tasks stop waiting. */
  readonly signal: AbortSignal;
  /**
   * Aborted when the stack begins to stop: a Task reached from then on starts nothing (it waits for
   * `signal`, and runs at the next start), while calls already under way may end and journal their answer.
   */
  readonly stopping: AbortSignal;
  /** Keeps a call under way in view until it settles, so that a stop can wait for it. */
  track<T>(call: Promise<T>): Promise<T>;
  /** The token the current Task's Parameters read from `$$.Task.Token` (one per Task attempt). */
  claimToken(): string;
  /** What the execution's Tasks answered so far, kept across a restart of the stack. */
  readonly journal: TaskJournal;
}

type Handler = (input: unknown) => Promise<never>;

/** One handler per Task state name, as the interpreter's override option expects. */
export function createTaskHandlers(
  tasks: Map<string, TaskStateDefinition>,
  execution: TaskExecutionContext,
): Record<string, Handler> {
  const handlers: Record<string, Handler> = {};
  for (const [name, state] of tasks) {
    handlers[name] = (input) => runTask(name, state, input, execution) as Promise<never>;
  }
  return handlers;
}

/** `$.a.b` on the Task's effective input, which is where the interpreter reads `TimeoutSecondsPath`. */
function readPath(input: unknown, path: string): unknown {
  let value: unknown = input;
  for (const key of path
    .replace(/^\$\.?/, '')
    .split('.')
    .filter(Boolean)) {
    value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  }
  return value;
}

function timeoutSeconds(state: TaskStateDefinition, input: unknown): number | undefined {
  if (state.TimeoutSeconds !== undefined) return state.TimeoutSeconds;
  const fromPath = state.TimeoutSecondsPath ? readPath(input, state.TimeoutSecondsPath) : undefined;
  return typeof fromPath === 'number' ? fromPath : undefined;
}

// Plain Lambda ARNs have their own history events on AWS (LambdaFunctionScheduled, ...).
function eventNames(resource: TaskResource) {
  const lambda = resource.lambdaFunctionArn !== undefined;
  const prefix = lambda ? 'LambdaFunction' : 'Task';
  const key = (phase: string) => `${lambda ? 'lambdaFunction' : 'task'}${phase}EventDetails`;
  const base = lambda ? {} : { resourceType: resource.resourceType, resource: resource.resource };
  return { prefix, key, base };
}

async function runTask(
  name: string,
  state: TaskStateDefinition,
  input: unknown,
  execution: TaskExecutionContext,
) {
  // Claimed before any await: the next Task to evaluate `$$.Task.Token` must get a fresh one.
  const minted = execution.claimToken();
  const { entry, recorded } = execution.journal.next(name, input, minted);
  // Run before the stack restarted: answer as then, or wait again for the token it was waiting for.
  if (recorded && entry.outcome) {
    await new Promise((resolve) => setImmediate(resolve));
    if ('error' in entry.outcome) throw new TaskError(entry.outcome.error, entry.outcome.cause);
    return entry.outcome.output;
  }
  const resumedWait = recorded && entry.token !== undefined;
  const token = resumedWait && entry.token ? entry.token : minted;
  const resource = parseResource(state.Resource);
  const timeout = timeoutSeconds(state, input);
  // The interpreter's events reach the history through an async generator; yield once so its
  // TaskStateEntered is recorded before this task's own events.
  await new Promise((resolve) => setImmediate(resolve));
  // The stack is stopping: what starts now would be cut off and run again at the next start. Waits for the
  // stop instead; the next start runs it (the execution replays up to here from its journal).
  if (execution.stopping.aborted && !execution.signal.aborted) {
    await new Promise((resolve) => execution.signal.addEventListener('abort', resolve, { once: true }));
  }
  if (execution.signal.aborted) throw new TaskError('States.Aborted', 'Execution stopped', false);
  if (!resource) {
    throw new TaskError('States.Runtime', `Resource ${state.Resource} is not supported locally`, false);
  }

  const { history } = execution;
  const { prefix, key, base } = eventNames(resource);
  history.add(`${prefix}Scheduled`, {
    [key('Scheduled')]: resource.lambdaFunctionArn
      ? { resource: resource.lambdaFunctionArn, input: JSON.stringify(input), timeoutInSeconds: timeout }
      : {
          ...base,
          region: execution.region,
          parameters: JSON.stringify(input),
          timeoutInSeconds: timeout,
          heartbeatInSeconds: state.HeartbeatSeconds,
        },
  });
  history.add(`${prefix}Started`, resource.lambdaFunctionArn ? {} : { [key('Started')]: base });

  const work = async () => {
    if (!resource.waitForTaskToken) return execution.integrations.call(resource, input);
    // The message went out before the restart: the worker holding the token answers this wait.
    const resumed = resumedWait ? execution.journal.takeResumedWait(entry) : undefined;
    if (resumed) return resumed;
    const completion = execution.tokens.wait(token, entry.heartbeatSeconds ?? state.HeartbeatSeconds);
    completion.catch(() => {}); // observed below; avoids an unhandled rejection while the call runs
    if (resumedWait) return completion;
    execution.journal.waiting(entry, token, state.HeartbeatSeconds);
    const submitted = await execution.track(execution.integrations.call(resource, input));
    history.add('TaskSubmitted', {
      taskSubmittedEventDetails: { ...base, output: JSON.stringify(submitted) },
    });
    return completion;
  };

  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = () => {
      if (settled) return false;
      settled = true;
      clearLongTimeout(deadline);
      execution.signal.removeEventListener('abort', onAbort);
      execution.tokens.expire(token);
      return true;
    };
    const onAbort = () => {
      if (settle()) reject(new TaskError('States.Aborted', 'Execution stopped', false));
    };
    execution.signal.addEventListener('abort', onAbort, { once: true });
    // The interpreter enforces TimeoutSeconds itself (States.Timeout); this timer only records the timeout
    // and retires the task's token, so a late SendTaskSuccess gets TaskTimedOut as on AWS. The interpreter's
    // own timer wins the race; rejecting a moment later just releases this promise.
    const deadline =
      timeout === undefined
        ? undefined
        : setLongTimeout(() => {
            if (!settle()) return;
            history.add(`${prefix}TimedOut`, {
              [key('TimedOut')]: {
                ...base,
                error: 'States.Timeout',
                cause: `Task timed out after ${timeout} s`,
              },
            });
            execution.journal.done(entry, { error: 'States.Timeout', cause: 'Task timed out' });
            setTimeout(() => reject(new TaskError('States.Timeout', 'Task timed out')), 100).unref();
          }, timeout * 1000);

    const answered = work().then(
      (output) => {
        if (!settle()) return;
        history.add(`${prefix}Succeeded`, {
          [key('Succeeded')]: { ...base, output: JSON.stringify(output ?? null) },
        });
        execution.journal.done(entry, { output: output ?? null });
        resolve(output);
      },
      (error: unknown) => {
        const failure =
          error instanceof TaskError
            ? error
            : new TaskError('States.TaskFailed', String((error as Error)?.message ?? error));
        if (!settle()) return;
        const phase = failure.name === 'States.HeartbeatTimeout' ? 'TimedOut' : 'Failed';
        history.add(`${prefix}${phase}`, {
          [key(phase)]: { ...base, error: failure.name, cause: failure.message },
        });
        // Not an answer to keep: the execution stopping (States.Aborted) or ending on it (States.Runtime).
        if (failure.isRetryable)
          execution.journal.done(entry, { error: failure.name, cause: failure.message });
        reject(failure);
      },
    );
    // A call that answers at once (not a wait on its token) is in view until its answer is journaled.
    if (!resource.waitForTaskToken) void execution.track(answered);
  });
}
