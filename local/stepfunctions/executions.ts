// Execution bookkeeping: starts executions on the cached interpreter with the context, task handlers and
// history they need, records their outcome, stops them, and persists the records.
import { randomUUID } from 'node:crypto';
import { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError } from 'aws-local-stepfunctions';
import { InFlight } from '../in-flight';
import { assertExecutionArn, assertValidName, executionArn, type Partition } from './arns';
import type { DefinitionCache } from './definition';
import { executionAlreadyExists, executionDoesNotExist, invalidExecutionInput } from './errors';
import type { ExecutionLog } from './execution-log';
import { History, type HistoryEvent } from './history';
import type { Integrations } from './integrations';
import type { StateMachineRecord } from './state-machines';
import type { ExecutionSnapshot, ExecutionStatus, StatusEventEmitter } from './status-events';
import { type JournalEntry, TaskJournal } from './task-journal';
import { createTaskHandlers } from './task-runner';
import type { TaskTokens } from './task-tokens';

export interface ExecutionRecord extends ExecutionSnapshot {
  status: ExecutionStatus;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  history: HistoryEvent[];
  /** What its Tasks answered so far (task-journal.ts): how it resumes after a restart. */
  tasks?: JournalEntry[];
  /**
   * It ended and its status event is not delivered yet: delivered again at the next start if the stack
   * stops first, as EventBridge delivers an event whatever happens to its consumer meanwhile.
   */
  statusEventPending?: true;
}

interface Outcome {
  status: ExecutionStatus;
  output?: string;
  error?: string;
  cause?: string;
}

interface Running {
  readonly abort: () => void;
  readonly done: Promise<void>;
}

/**
 * How an execution that was running when the stack stopped ends on the next start when it cannot resume
 * (its state machine is gone): FAILED with an error name a task, a Catch-free consumer or a person can
 * recognize, not ABORTED (which reads as a deliberate StopExecution). Every other one resumes.
 */
export const EXECUTION_LOST = {
  error: 'Local.ExecutionLost',
  cause: 'The local stack stopped while this execution ran, and its state machine no longer exists',
} as const;

/** Ended executions kept by default (AWS keeps them 90 days). */
export const DEFAULT_RETAINED_ENDED = 10_000;

export interface ExecutionsDependencies {
  readonly partition: Partition;
  readonly definitions: DefinitionCache;
  readonly integrations: Integrations;
  readonly tokens: TaskTokens;
  readonly statusEvents: StatusEventEmitter;
  readonly store?: ExecutionLog;
  /** How many ended executions are kept; the oldest-ended beyond it are dropped. @default 10,000 */
  readonly retainedEnded?: number;
  /** The state machine an execution restored RUNNING runs again on. */
  readonly findStateMachine?: (arn: string) => StateMachineRecord | undefined;
}

/** The interpreter's rejection, as DescribeExecution reports it. */
export function outcomeOfFailure(error: unknown): Outcome {
  if (error instanceof ExecutionTimeoutError) {
    return {
      status: 'TIMED_OUT',
      error: 'States.Timeout',
      cause: 'The execution exceeded its TimeoutSeconds',
    };
  }
  if (error instanceof ExecutionAbortedError) return { status: 'ABORTED' };
  const failure =
    error instanceof ExecutionError && error.cause instanceof Error ? error.cause : (error as Error);
  // A Fail state without Error/Cause: the interpreter fills in placeholders that AWS does not have.
  if (failure?.constructor?.name === 'FailStateError') {
    return {
      status: 'FAILED',
      error: failure.name === 'FailStateError' ? undefined : failure.name,
      cause: failure.message === 'Execution failed because of a Fail state' ? undefined : failure.message,
    };
  }
  return {
    status: 'FAILED',
    error: failure?.name ?? 'States.Runtime',
    cause: failure?.message ?? String(error),
  };
}

const terminalEvents: Record<Exclude<ExecutionStatus, 'RUNNING'>, [string, string]> = {
  SUCCEEDED: ['ExecutionSucceeded', 'executionSucceededEventDetails'],
  FAILED: ['ExecutionFailed', 'executionFailedEventDetails'],
  TIMED_OUT: ['ExecutionTimedOut', 'executionTimedOutEventDetails'],
  ABORTED: ['ExecutionAborted', 'executionAbortedEventDetails'],
};

function addTerminalEvent(record: ExecutionRecord): void {
  if (record.status === 'RUNNING') return;
  const [type, key] = terminalEvents[record.status];
  const details =
    record.status === 'SUCCEEDED'
      ? { output: record.output, outputDetails: { truncated: false } }
      : { error: record.error, cause: record.cause };
  new History(record.history).add(type, { [key]: details });
}

export class Executions {
  private readonly records = new Map<string, ExecutionRecord>();
  private readonly running = new Map<string, Running>();
  /** Ended executions, oldest-ended first: the retention drops from the front. */
  private readonly ended = new Set<string>();
  /** The task tokens each kept ended execution handed out (`.waitForTaskToken` Tasks), by execution ARN. */
  private readonly endedTokens = new Map<string, readonly string[]>();
  private closing = false;
  /** Aborted as a stop begins: Tasks reached from then on start nothing (task-runner.ts). */
  private readonly stopping = new AbortController();
  /** Task calls under way (a Lambda invocation, a message sent), which a stop lets end. */
  private readonly calls = new InFlight();

  constructor(private readonly deps: ExecutionsDependencies) {}

  /**
   * Loads persisted records. An execution that was running resumes: it runs again from its input, its Tasks
   * answering from its journal (task-journal.ts), so it goes on where it was. One whose state machine is
   * gone ends FAILED, {@link EXECUTION_LOST}.
   */
  async restore(): Promise<void> {
    await this.deps.store?.load(this.records);
    const ended = [...this.records.values()].filter((record) => record.status !== 'RUNNING');
    ended.sort((a, b) => (a.stopDate ?? 0) - (b.stopDate ?? 0));
    for (const record of ended) {
      this.ended.add(record.executionArn);
      if (record.statusEventPending) this.emitEnd(record);
    }
    for (const record of [...this.records.values()]) {
      if (record.status !== 'RUNNING') continue;
      const stateMachine = this.deps.findStateMachine?.(record.stateMachineArn);
      if (stateMachine) {
        this.run(record, stateMachine, JSON.parse(record.input));
        continue;
      }
      Object.assign(record, { status: 'FAILED', stopDate: Date.now(), ...EXECUTION_LOST });
      addTerminalEvent(record);
      delete record.tasks;
      record.statusEventPending = true;
      this.persist(record);
      this.ended.add(record.executionArn);
      this.emitEnd(record);
    }
    this.retain();
  }

  start(stateMachine: StateMachineRecord, nameInput: unknown, inputText: unknown): ExecutionRecord {
    const name = nameInput === undefined ? randomUUID() : assertValidName(nameInput);
    const input = inputText === undefined ? '{}' : inputText;
    let parsedInput: unknown;
    try {
      if (typeof input !== 'string') throw new Error('input must be a string');
      parsedInput = JSON.parse(input);
    } catch (error) {
      throw invalidExecutionInput((error as Error).message);
    }
    const arn = executionArn(this.deps.partition, stateMachine.name, name);
    const existing = this.records.get(arn);
    if (existing) {
      // AWS: idempotent for a running Standard execution started again with the same input.
      if (existing.status === 'RUNNING' && existing.input === input) return existing;
      throw executionAlreadyExists(arn);
    }
    // Refused here, before anything is recorded, when the definition does not compile.
    this.deps.definitions.compile(stateMachine.definition);

    const record: ExecutionRecord = {
      executionArn: arn,
      stateMachineArn: stateMachine.stateMachineArn,
      name,
      status: 'RUNNING',
      startDate: Date.now(),
      input: input as string,
      history: [],
      tasks: [],
    };
    new History(record.history).add('ExecutionStarted', {
      executionStartedEventDetails: {
        input,
        inputDetails: { truncated: false },
        roleArn: stateMachine.roleArn,
      },
    });
    this.records.set(arn, record);
    this.run(record, stateMachine, parsedInput);
    this.persist(record);
    this.deps.statusEvents.emit(record);
    return record;
  }

  /** Runs (or, after a restart, resumes) an execution on the interpreter. */
  private run(record: ExecutionRecord, stateMachine: StateMachineRecord, parsedInput: unknown): void {
    const arn = record.executionArn;
    const compiled = this.deps.definitions.compile(stateMachine.definition);
    const history = new History(record.history);
    record.tasks ??= [];
    const journal = new TaskJournal(record.tasks, (entry) => this.persist(record, entry));

    // `$$.Task.Token`: minted when a Task's Parameters read it, claimed by that Task's handler, which the
    // interpreter calls synchronously right after evaluating the Parameters.
    let pendingToken: string | undefined;
    const tokens = this.deps.tokens;
    for (const token of journal.completedTokens()) tokens.retire(token);
    journal.rearmWaits((token, heartbeatSeconds) => tokens.wait(token, heartbeatSeconds));
    const context = {
      Execution: {
        Id: arn,
        Name: record.name,
        RoleArn: stateMachine.roleArn,
        StartTime: new Date(record.startDate).toISOString(),
      },
      StateMachine: { Id: stateMachine.stateMachineArn, Name: stateMachine.name },
      Task: {
        get Token() {
          pendingToken ??= tokens.mint();
          return pendingToken;
        },
      },
    };
    const stopped = new AbortController();
    const handlers = createTaskHandlers(compiled.tasks, {
      region: this.deps.partition.region,
      history,
      integrations: this.deps.integrations,
      tokens,
      signal: stopped.signal,
      stopping: this.stopping.signal,
      track: (call) => this.calls.track(call),
      claimToken: () => {
        const token = pendingToken ?? tokens.mint();
        pendingToken = undefined;
        return token;
      },
      journal,
    });
    const run = compiled.interpreter.run(parsedInput as never, {
      overrides: { taskResourceLocalHandlers: handlers as never },
      context,
    });
    const historyDone = (async () => {
      for await (const event of run.eventLogs) history.addFromInterpreter(event);
    })();
    const done = run.result
      .then(
        (output): Outcome => ({ status: 'SUCCEEDED', output: JSON.stringify(output) }),
        (error: unknown) => outcomeOfFailure(error),
      )
      .then(async (outcome) => {
        stopped.abort(); // tasks still waiting (a Parallel sibling, a token) stop waiting
        journal.releaseResumedWaits((token) => tokens.expire(token));
        await historyDone;
        this.finish(record, outcome);
      })
      .catch((error: unknown) => console.error(`[stepfunctions] bookkeeping failed for ${arn}`, error));
    this.running.set(arn, { abort: run.abort, done });
  }

  describe(arn: unknown): ExecutionRecord {
    const record = this.records.get(assertExecutionArn(arn));
    if (!record) throw executionDoesNotExist(String(arn));
    return record;
  }

  /** Newest first, as AWS lists them. */
  list(stateMachineArn: string, statusFilter?: unknown): ExecutionRecord[] {
    return [...this.records.values()]
      .filter(
        (r) =>
          r.stateMachineArn === stateMachineArn && (statusFilter === undefined || r.status === statusFilter),
      )
      .sort((a, b) => b.startDate - a.startDate);
  }

  /** StopExecution: the status is ABORTED at once; the history's end follows when the interpreter stops. */
  stop(arn: unknown, error: unknown, cause: unknown): ExecutionRecord {
    const record = this.describe(arn);
    const running = this.running.get(record.executionArn);
    if (record.status !== 'RUNNING' || !running) return record;
    Object.assign(record, {
      status: 'ABORTED',
      stopDate: Date.now(),
      error: typeof error === 'string' ? error : undefined,
      cause: typeof cause === 'string' ? cause : undefined,
    });
    running.abort();
    return record;
  }

  /**
   * Stops every execution without recording an outcome: persisted records stay RUNNING, so the next start
   * resumes them, as it must after a crash too. Task calls under way (a step runner invocation, a message
   * sent) get up to `graceMs` to end, their answers journaled so the next start does not make them again,
   * and no Task starts meanwhile; one still running then is cut off and runs again at the next start.
   */
  async close(graceMs = 0): Promise<void> {
    this.closing = true;
    this.stopping.abort();
    if (this.calls.size > 0 && graceMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        // A call that ends may let its execution reach the next one before it is held: wait until none is left.
        this.calls.drained(),
        new Promise((resolve) => {
          timer = setTimeout(resolve, graceMs);
        }),
      ]);
      clearTimeout(timer);
    }
    const running = [...this.running.values()];
    for (const execution of running) execution.abort();
    await Promise.all(running.map((execution) => execution.done));
    await this.deps.store?.flush();
  }

  /** Resolves once every record change so far is on disk. */
  flush(): Promise<void> {
    return this.deps.store?.flush() ?? Promise.resolve();
  }

  /** Records kept, running and ended, for benchmarks. */
  get size(): number {
    return this.records.size;
  }

  private finish(record: ExecutionRecord, outcome: Outcome): void {
    this.running.delete(record.executionArn);
    if (this.closing) return;
    if (record.status === 'RUNNING') Object.assign(record, outcome, { stopDate: Date.now() });
    addTerminalEvent(record);
    // The tokens it handed out answer TaskTimedOut while it is kept, and are forgotten with it (retain).
    const handedOut = record.tasks?.flatMap((entry) => (entry.token ? [entry.token] : [])) ?? [];
    if (handedOut.length > 0) this.endedTokens.set(record.executionArn, handedOut);
    // An ended execution never resumes: its journal would only weigh on the log.
    delete record.tasks;
    record.statusEventPending = true;
    this.persist(record);
    this.ended.add(record.executionArn);
    this.retain();
    this.emitEnd(record);
  }

  /** Emits an ended execution's status event; once delivered, its record no longer waits for it. */
  private emitEnd(record: ExecutionRecord): void {
    this.deps.statusEvents.emit(record, () => {
      // Once closing, the log takes no more writes: the event is delivered again at the next start.
      if (this.closing || this.records.get(record.executionArn) !== record) return;
      delete record.statusEventPending;
      this.persist(record);
    });
  }

  /** Drops the oldest-ended executions beyond the retention. */
  private retain(): void {
    const limit = this.deps.retainedEnded ?? DEFAULT_RETAINED_ENDED;
    for (const arn of this.ended) {
      if (this.ended.size <= limit) break;
      this.ended.delete(arn);
      this.records.delete(arn);
      const handedOut = this.endedTokens.get(arn);
      if (handedOut) {
        this.deps.tokens.forget(handedOut);
        this.endedTokens.delete(arn);
      }
      this.deps.store?.remove(arn);
    }
  }

  private persist(record: ExecutionRecord, entry?: JournalEntry): void {
    this.deps.store?.changed(record, entry);
  }
}
