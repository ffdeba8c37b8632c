// The Task outcomes of one execution, persisted with its record, so an execution survives a restart of the
// local stack as it survives anything on AWS. The interpreter keeps its state in memory only, so a
// restarted stack runs a RUNNING execution again from its input; each Task state then answers from the
// journal what it answered before (no step runs twice, no message is sent again), and a Task that was
// waiting for its task token waits again for the same token, so the worker holding it can still
// heartbeat and complete it. Tasks are told apart by state name, effective input (its task token left
// out) and occurrence (a retry is the next occurrence of the same state and input).
import { createHash } from 'node:crypto';

export type JournalOutcome =
  | { readonly output: unknown }
  | { readonly error: string; readonly cause: string };

export interface JournalEntry {
  readonly key: string;
  /** A `.waitForTaskToken` task's token and heartbeat, recorded once its request went out. */
  token?: string;
  heartbeatSeconds?: number;
  outcome?: JournalOutcome;
}

export class TaskJournal {
  private readonly byKey = new Map<string, JournalEntry>();
  private readonly occurrences = new Map<string, number>();
  /** Waits re-armed at resume, by entry key, until the replay reaches their Task. */
  private readonly resumed = new Map<string, Promise<unknown>>();

  constructor(
    private readonly entries: JournalEntry[],
    private readonly changed: (entry: JournalEntry) => void,
  ) {
    for (const entry of entries) this.byKey.set(entry.key, entry);
  }

  /** Tokens the execution already completed (a late call with one gets TaskTimedOut, as on AWS). */
  completedTokens(): string[] {
    return this.entries.flatMap((entry) => (entry.token && entry.outcome ? [entry.token] : []));
  }

  /**
   * At resume, listens again on every token the execution was waiting for, before the replay reaches its
   * Task (which may take the retry intervals replayed before it): a worker heartbeating or completing its
   * token in the meantime is answered as if the stack had never stopped.
   */
  rearmWaits(wait: (token: string, heartbeatSeconds: number | undefined) => Promise<unknown>): void {
    for (const entry of this.entries) {
      if (!entry.token || entry.outcome) continue;
      const waiting = wait(entry.token, entry.heartbeatSeconds);
      waiting.catch(() => {}); // observed by the replayed Task
      this.resumed.set(entry.key, waiting);
    }
  }

  /** The execution ended before the replay reached these waits: their tokens are closed. */
  releaseResumedWaits(expire: (token: string) => void): void {
    for (const key of this.resumed.keys()) {
      const token = this.byKey.get(key)?.token;
      if (token) expire(token);
    }
    this.resumed.clear();
  }

  /** The re-armed wait of an entry, once: the replayed Task takes it over. */
  takeResumedWait(entry: JournalEntry): Promise<unknown> | undefined {
    const waiting = this.resumed.get(entry.key);
    this.resumed.delete(entry.key);
    return waiting;
  }

  /** The entry of this occurrence of the Task: the one recorded before the restart, or a new one. */
  next(stateName: string, input: unknown, token: string): { entry: JournalEntry; recorded: boolean } {
    const text = (JSON.stringify(input) ?? '').split(token).join('<task token>');
    const base = `${stateName}#${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
    const occurrence = (this.occurrences.get(base) ?? 0) + 1;
    this.occurrences.set(base, occurrence);
    const key = `${base}#${occurrence}`;
    const recorded = this.byKey.get(key);
    if (recorded) return { entry: recorded, recorded: true };
    const entry: JournalEntry = { key };
    this.entries.push(entry);
    this.byKey.set(key, entry);
    return { entry, recorded: false };
  }

  waiting(entry: JournalEntry, token: string, heartbeatSeconds: number | undefined): void {
    entry.token = token;
    if (heartbeatSeconds !== undefined) entry.heartbeatSeconds = heartbeatSeconds;
    this.changed(entry);
  }

  done(entry: JournalEntry, outcome: JournalOutcome): void {
    entry.outcome = outcome;
    this.changed(entry);
  }
}
