// The worker loop, over its ports (queue, Step Functions answers, attempt reports, its item) so it runs the
// same against AWS, the embedded stack, or the in-memory fakes of the unit tests.
//
// A step's life: receive its message (hidden from other workers for the claim window) -> a heartbeat to
// check Step Functions still waits on the token -> report `claimed` (attempt n; `stale` -> drop) -> delete
// the message (the task token is the lease from now on) -> in flight, on the worker item -> the handler ->
// a heartbeat (a token closed meanwhile: nothing is reported or answered) -> report `finished` ->
// SendTaskSuccess, or SendTaskFailure with the thrown error's name. Every heartbeat
// interval: SendTaskHeartbeat per in-flight token (a token Step Functions no longer waits on aborts that
// handler's signal) and the item's write, the only write that moves its lastHeartbeatAt (a type's workers
// may serve several organizations: a time that moved at each claim would tell one the others' steps).
// stop(): no more polling, in-flight work gets the grace period, what remains fails as Worker.Shutdown
// (retried elsewhere at once), the item says STOPPED.
import { setTimeout as delay } from 'node:timers/promises';
import { tokenIdOf } from '../functions/shared/workers/agent-attempts';
import {
  type InFlightStep,
  MAX_DETAILS_LENGTH,
  newWorkerId,
  runningStatus,
  type WorkerItem,
  type WorkerStatus,
} from '../functions/shared/workers/worker-item';
import { type AgentMessage, parseAgentMessage } from './agent-message';
import { type AttemptReports, isRefusal } from './attempt-reports';
import type { WorkerSettings } from './config';
import type { QueueMessage, StepQueue } from './step-queue';
import { failureOf, MAX_OUTPUT_BYTES, type TaskAnswers, type TokenState } from './task-answers';
import { isTransient } from './transient-errors';
import type { WorkerStore } from './worker-store';

export interface AgentTaskRef {
  readonly id: string;
  readonly orgId: string;
  readonly workflowId: string;
  readonly workflowVersion: number;
}

export interface AgentStepRef {
  readonly id: string;
  readonly mapIndex?: number;
}

/** What a handler is given for one attempt of an `agent` step. */
export interface AgentStepContext<I = unknown> {
  /** The step's params, resolved against the task. */
  readonly input: I;
  readonly task: AgentTaskRef;
  readonly step: AgentStepRef;
  /** 1 for the first attempt; retries (another worker, a heartbeat timeout, the step's policy) count on. */
  readonly attempt: number;
  readonly workerId: string;
  /**
   * Tells Step Functions the step is alive now (the worker also does it every heartbeat interval), with
   * optional progress details shown on the worker's in-flight step. Calls within a second share one call.
   */
  heartbeat(details?: unknown): Promise<void>;
  /** Aborted when the step no longer needs an answer: its task was cancelled or timed out, or the worker stops. */
  readonly signal: AbortSignal;
}

/** Returns the step's output (any JSON value); a thrown error fails the step with the error's `name`. */
export type AgentHandler<I = unknown, O = unknown> = (step: AgentStepContext<I>) => O | Promise<O>;

/** A handler's signal reason when Step Functions no longer waits on its step (cancelled, timed out). */
export class StepAbortedError extends Error {
  override name = 'StepAborted';
}

/** A handler's signal reason when the worker stopped before the step finished. */
export class WorkerShutdownError extends Error {
  override name = 'Worker.Shutdown';
}

export type WorkerState = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

export interface WorkerStatusView {
  readonly workerId: string | undefined;
  readonly type: string;
  readonly state: WorkerState;
  readonly status: WorkerStatus;
  readonly concurrency: number;
  readonly inFlight: number;
  /** Steps answered with success. */
  readonly processed: number;
  /** Steps answered with a failure. */
  readonly failed: number;
  /** The heartbeat of the last write of the worker item, as the sweeper sees it. */
  readonly lastHeartbeatAt: string | undefined;
}

type StepEvent = { readonly taskId: string; readonly stepId: string; readonly mapIndex?: number };

/** What a worker reports as it goes, for logs and the CLI's status line. */
export type WorkerEvent =
  | { readonly kind: 'registered'; readonly workerId: string; readonly previousWorkerId?: string }
  | ({ readonly kind: 'claimed'; readonly attempt: number } & StepEvent)
  | ({
      readonly kind: 'succeeded' | 'failed';
      readonly attempt: number;
      readonly durationMs: number;
      readonly error?: string;
    } & StepEvent)
  /** A message not run: a closed token, a settled task, a refused claim, a malformed body, a stopping worker. */
  | ({ readonly kind: 'skipped'; readonly reason: string } & Partial<StepEvent>)
  /** A running step Step Functions no longer waits on: its handler's signal was aborted. */
  | ({ readonly kind: 'aborted'; readonly reason: string } & StepEvent)
  | { readonly kind: 'heartbeat'; readonly at: string; readonly inFlight: number }
  | { readonly kind: 'stopping'; readonly reason: string; readonly inFlight: number }
  | {
      readonly kind: 'stopped';
      readonly shutdownFailed: number;
      /** The worker item says STOPPED; false when that write failed (e.g. the stack was unreachable). */
      readonly recorded: boolean;
    }
  | { readonly kind: 'error'; readonly message: string; readonly error?: unknown };

export interface WorkerPorts {
  readonly queue: StepQueue;
  readonly answers: TaskAnswers;
  readonly reports: AttemptReports;
  readonly store: WorkerStore;
  readonly host: string;
  readonly pid: number;
  readonly version: string;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** 4 hex digits for a new worker id. */
  readonly randomHex: () => string;
}

interface RunningStep {
  readonly message: AgentMessage;
  readonly tokenId: string;
  readonly attempt: number;
  readonly claimedAt: string;
  readonly startedMs: number;
  readonly controller: AbortController;
  details?: string;
  /** Answered, released or failed at shutdown: whatever the handler does next is ignored. */
  settled: boolean;
  heartbeatCall?: { readonly at: number; readonly done: Promise<void> };
}

const SUMMARY_CHARS = 1_000;
/** The longest pause between two tries of a step's answer (shorter when the heartbeat interval is). */
const ANSWER_RETRY_MAX_MS = 8_000;
/** Tries of a step's `finished` report that fails while Step Functions answers, before the answer goes alone. */
const REPORT_TRIES = 5;
const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);
/** `work`, or a rejection with the signal's reason as soon as it aborts (a store may not heed the signal). */
function abandonable<T>(work: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return work;
  return new Promise((resolve, reject) => {
    const abandon = () => reject(signal.reason);
    if (signal.aborted) abandon();
    signal.addEventListener('abort', abandon, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', abandon));
  });
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
const stepOf = (message: AgentMessage): StepEvent => ({
  taskId: message.task.id,
  stepId: message.step.id,
  ...(message.step.mapIndex !== undefined && { mapIndex: message.step.mapIndex }),
});

type Outcome = { ok: true; output: string } | { ok: false; error: string; cause: string };

/** The step's output as the JSON text SendTaskSuccess takes, or the failure it is when it cannot be one. */
function outputOf(value: unknown): Outcome {
  let text: string | undefined;
  try {
    text = JSON.stringify(value ?? null);
  } catch (error) {
    return {
      ok: false,
      error: 'Worker.InvalidOutput',
      cause: `The step's output is not JSON: ${messageOf(error)}`,
    };
  }
  text ??= 'null';
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_OUTPUT_BYTES) {
    return {
      ok: false,
      error: 'Worker.OutputTooLarge',
      cause: `The step's output is ${bytes} bytes of JSON; Step Functions takes at most ${MAX_OUTPUT_BYTES}`,
    };
  }
  return { ok: true, output: text };
}

export class WorkerRuntime<I = unknown, O = unknown> {
  private state: WorkerState = 'new';
  private workerId: string | undefined;
  private startedAt = '';
  private lastHeartbeatAt: string | undefined;
  /** When the latest heartbeat (or registration) began: what every write of the item says. */
  private beatAt = '';
  /** Bumped by every write of the item: the sweeper's DEAD marking is conditional on it (worker-item.ts). */
  private revision = 0;
  private readonly active = new Map<string, RunningStep>();
  /** Tokens between the claim's check and its report: heartbeated too, as the report may be slow. */
  private readonly claimingTokens = new Set<string>();
  private claiming = 0;
  private processed = 0;
  private failed = 0;
  private busyMs = 0;
  private readonly byOrg = new Map<string, { processed: number; failed: number; busyMs: number }>();
  private stoppedAt: string | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private polling: Promise<void> = Promise.resolve();
  private readonly pollAbort = new AbortController();
  private wake: () => void = () => undefined;
  private readonly work = new Set<Promise<void>>();
  private saveLoop: Promise<void> | undefined;
  private dirty = false;
  /** The last write of the worker item did not land (it threw, or the item was no longer this worker's). */
  private lastWriteFailed = false;
  private stopping: Promise<void> | undefined;
  /** stopNow() was called: the grace period, once the stop gets to it, ends at once. */
  private graceCut = false;
  private endGrace: () => void = () => undefined;
  private resolveStopped: () => void = () => undefined;
  /**
   * The registration of start(). A stop asked for meanwhile abandons it (its write may hang on an
   * unreachable table): nothing was claimed yet, and an item it did write is left for the sweeper to
   * mark DEAD, as a worker killed there would be.
   */
  private registration: Promise<void> = Promise.resolve();
  private readonly registrationAbort = new AbortController();
  private readonly stopped = new Promise<void>((resolve) => {
    this.resolveStopped = resolve;
  });
  private readonly now: () => Date;

  constructor(
    private readonly settings: WorkerSettings,
    private readonly handler: AgentHandler<I, O>,
    private readonly ports: WorkerPorts,
    private readonly onEvent: (event: WorkerEvent) => void = () => undefined,
  ) {
    this.now = ports.now ?? (() => new Date());
  }

  /** Registers the worker and runs it; resolves once it has stopped (stop(), or a signal). */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`This worker was already started (${this.state})`);
    this.state = 'starting';
    this.startedAt = this.now().toISOString();
    this.registration = this.register(this.registrationAbort.signal);
    try {
      await this.registration;
    } catch (error) {
      this.state = 'stopped';
      this.resolveStopped();
      if (this.registrationAbort.signal.aborted) return;
      throw error;
    }
    this.state = 'running';
    this.scheduleHeartbeat();
    this.polling = this.pollLoop();
    await Promise.all([this.polling, this.stopped]);
  }

  status(): WorkerStatusView {
    return {
      workerId: this.workerId,
      type: this.settings.type,
      state: this.state,
      status: this.itemStatus(),
      concurrency: this.settings.concurrency,
      inFlight: this.inFlight().length,
      processed: this.processed,
      failed: this.failed,
      lastHeartbeatAt: this.lastHeartbeatAt,
    };
  }

  /**
   * Stops polling, gives in-flight steps the grace period, then fails what remains as Worker.Shutdown and
   * marks the worker STOPPED. Calling it again returns the same stop.
   */
  stop(reason = 'stop() was called'): Promise<void> {
    if (this.state === 'new') {
      this.state = 'stopped';
      this.resolveStopped();
      return Promise.resolve();
    }
    this.stopping ??= this.drainAndStop(reason);
    return this.stopping;
  }

  /** Ends the grace period now: what is still in flight fails as Worker.Shutdown at once. */
  stopNow(reason = 'stopped without grace'): Promise<void> {
    // Set first: a stop that begins here reaches its grace period only after an await, when endGrace
    // would still be the no-op it is before then.
    this.graceCut = true;
    const stopping = this.stop(reason);
    this.endGrace();
    return stopping;
  }

  private async drainAndStop(reason: string): Promise<void> {
    if (this.state === 'starting')
      this.registrationAbort.abort(new Error(`Stopped while registering: ${reason}`));
    await this.startedOrFailed();
    if (this.state === 'stopped') return;
    this.state = 'stopping';
    this.emit({ kind: 'stopping', reason, inFlight: this.inFlight().length });
    this.wake();
    const grace = new Promise<void>((resolve) => {
      if (this.graceCut) {
        resolve();
        return;
      }
      const timer = setTimeout(resolve, this.settings.gracePeriodSeconds * 1000);
      this.endGrace = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    // The poll in progress is left to return (a receive cut off can swallow a message for the claim window;
    // what it brings is declined), and is aborted only when the grace period ends first.
    await Promise.race([this.polling.then(() => this.drained()), grace]);
    this.endGrace();
    this.pollAbort.abort();
    const remaining = this.inFlight();
    await Promise.all(remaining.map((step) => this.failAtShutdown(step, reason)));
    clearTimeout(this.heartbeatTimer);
    this.state = 'stopped';
    this.stoppedAt = this.now().toISOString();
    await this.save();
    this.emit({ kind: 'stopped', shutdownFailed: remaining.length, recorded: !this.lastWriteFailed });
    this.resolveStopped();
  }

  private emit(event: WorkerEvent): void {
    try {
      this.onEvent(event);
    } catch {
      // A listener's failure is not the worker's.
    }
  }

  private async startedOrFailed(): Promise<void> {
    // start() awaited the registration first, so its state change is made before this resumes.
    await this.registration.catch(() => undefined);
  }

  /** Resolves when nothing is claimed or running any more. */
  private async drained(): Promise<void> {
    while (this.work.size > 0) await Promise.allSettled([...this.work]);
  }

  /** The figures of one organization's steps, which the worker routes show that organization. */
  private workFor(orgId: string) {
    let work = this.byOrg.get(orgId);
    if (!work) {
      work = { processed: 0, failed: 0, busyMs: 0 };
      this.byOrg.set(orgId, work);
    }
    return work;
  }

  private inFlight(): RunningStep[] {
    return [...this.active.values()].filter((step) => !step.settled);
  }

  private isStopped(): boolean {
    return this.state === 'stopped';
  }

  private itemStatus(): WorkerStatus {
    if (this.state === 'stopped') return 'STOPPED';
    return runningStatus(this.inFlight().length, this.settings.concurrency);
  }

  private item(): WorkerItem {
    const inFlight: InFlightStep[] = this.inFlight().map((step) => ({
      taskToken: step.message.taskToken,
      tokenId: step.tokenId,
      taskId: step.message.task.id,
      orgId: step.message.task.orgId,
      stepId: step.message.step.id,
      ...(step.message.step.mapIndex !== undefined && { mapIndex: step.message.step.mapIndex }),
      claimedAt: step.claimedAt,
      ...(step.details !== undefined && { details: step.details }),
    }));
    return {
      workerId: this.workerId ?? '',
      type: this.settings.type,
      host: this.ports.host,
      pid: this.ports.pid,
      version: this.ports.version,
      concurrency: this.settings.concurrency,
      status: this.itemStatus(),
      inFlight: this.state === 'stopped' ? [] : inFlight,
      startedAt: this.startedAt,
      lastHeartbeatAt: this.beatAt,
      processed: this.processed,
      failed: this.failed,
      busyMs: this.busyMs,
      byOrg: Object.fromEntries(this.byOrg),
      ...(this.stoppedAt !== undefined && { stoppedAt: this.stoppedAt }),
      revision: this.revision,
    };
  }

  /** A fresh worker id and item; ids are random, so a taken one is just drawn again. */
  private async register(signal?: AbortSignal): Promise<void> {
    const previousWorkerId = this.workerId;
    for (let tries = 0; tries < 5; tries += 1) {
      signal?.throwIfAborted();
      this.workerId = newWorkerId(this.ports.host, this.ports.pid, this.ports.randomHex());
      this.beatAt = this.now().toISOString();
      this.revision += 1;
      const item = this.item();
      if (await abandonable(this.ports.store.register(item, signal), signal)) {
        this.lastHeartbeatAt = item.lastHeartbeatAt;
        this.emit({
          kind: 'registered',
          workerId: this.workerId,
          ...(previousWorkerId !== undefined && { previousWorkerId }),
        });
        return;
      }
    }
    throw new Error(`Could not register worker: ids of ${this.ports.host}-${this.ports.pid} kept colliding`);
  }

  /** Writes the item now, or after the write in progress; resolves when the latest state is written. */
  private save(): Promise<void> {
    this.dirty = true;
    this.saveLoop ??= (async () => {
      try {
        while (this.dirty) {
          this.dirty = false;
          await this.writeItem();
        }
      } finally {
        this.saveLoop = undefined;
      }
    })();
    return this.saveLoop;
  }

  private async writeItem(): Promise<void> {
    this.revision += 1;
    const item = this.item();
    this.lastWriteFailed = true;
    try {
      if (await this.ports.store.save(item)) {
        this.lastHeartbeatAt = item.lastHeartbeatAt;
        this.lastWriteFailed = false;
        return;
      }
      if (this.state === 'stopped') return;
      // The sweeper marked this worker DEAD (it was silent too long): its tokens were failed as Worker.Lost,
      // so the next heartbeats find them gone. It carries on under a new id.
      this.emit({ kind: 'error', message: `Worker ${item.workerId} was marked DEAD; registering afresh` });
      await this.register();
    } catch (error) {
      this.emit({ kind: 'error', message: 'Could not write the worker item', error });
    }
  }

  private scheduleHeartbeat(): void {
    this.heartbeatTimer = setTimeout(() => this.beat(), this.settings.heartbeatIntervalSeconds * 1000);
  }

  /** At a fixed rate: slow calls (a loaded endpoint) must not stretch the interval past HeartbeatSeconds. */
  private beat(): void {
    if (this.isStopped()) return;
    this.scheduleHeartbeat();
    void this.heartbeatAll();
  }

  private async heartbeatAll(): Promise<void> {
    // Taken before the steps' heartbeats, whose time depends on how many steps (of any org) are in flight,
    // and written only with the heartbeat's own write.
    const at = this.now().toISOString();
    const claiming = [...this.claimingTokens].map((token) =>
      this.ports.answers.heartbeat(token).catch(() => undefined),
    );
    await Promise.all([...this.inFlight().map((step) => this.heartbeatStep(step)), ...claiming]);
    if (this.isStopped()) return;
    this.beatAt = at;
    await this.save();
    this.emit({ kind: 'heartbeat', at: this.lastHeartbeatAt ?? '', inFlight: this.inFlight().length });
  }

  private async heartbeatStep(step: RunningStep): Promise<void> {
    let state: TokenState;
    try {
      state = await this.ports.answers.heartbeat(step.message.taskToken);
    } catch (error) {
      this.emit({
        kind: 'error',
        message: `SendTaskHeartbeat failed for task ${step.message.task.id}`,
        error,
      });
      return;
    }
    if (state === 'gone')
      this.release(step, 'Step Functions no longer waits on the step (cancelled, timed out or retried)');
  }

  /** The handler's own heartbeat(details): one SendTaskHeartbeat per second at most. */
  private stepHeartbeat(step: RunningStep, details: unknown): Promise<void> {
    if (details !== undefined) {
      step.details = clip(
        typeof details === 'string' ? details : (JSON.stringify(details) ?? ''),
        MAX_DETAILS_LENGTH,
      );
    }
    if (step.settled) return Promise.resolve();
    const nowMs = Date.now();
    if (step.heartbeatCall && nowMs - step.heartbeatCall.at < 1_000) return step.heartbeatCall.done;
    const done = this.heartbeatStep(step);
    step.heartbeatCall = { at: nowMs, done };
    return done;
  }

  /** A running step Step Functions no longer waits on: abort its handler and let the slot go. */
  private release(step: RunningStep, reason: string): void {
    if (step.settled) return;
    step.settled = true;
    step.controller.abort(new StepAbortedError(reason));
    this.active.delete(step.tokenId);
    this.emit({ kind: 'aborted', reason, ...stepOf(step.message) });
    void this.save();
    this.wake();
  }

  private async pollLoop(): Promise<void> {
    let failures = 0;
    while (this.state === 'running') {
      const free = this.settings.concurrency - this.inFlight().length - this.claiming;
      if (free <= 0) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        continue;
      }
      let messages: QueueMessage[];
      try {
        messages = await this.ports.queue.receive(free, this.settings.pollWaitSeconds, this.pollAbort.signal);
        failures = 0;
      } catch (error) {
        if (this.pollAbort.signal.aborted) return;
        failures += 1;
        this.emit({ kind: 'error', message: 'Receiving from the queue failed', error });
        await delay(Math.min(10_000, 500 * 2 ** failures), undefined, {
          signal: this.pollAbort.signal,
        }).catch(() => undefined);
        continue;
      }
      for (const message of messages)
        this.track(this.state === 'running' ? this.claimAndRun(message) : this.decline(message));
    }
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) =>
      this.emit({ kind: 'error', message: 'A step failed in the worker itself', error }),
    );
    this.work.add(tracked);
    void tracked.finally(() => {
      this.work.delete(tracked);
      this.wake();
    });
  }

  /** A message received as the worker began to stop: claimed and failed as Worker.Shutdown, so it runs elsewhere now. */
  private async decline(queued: QueueMessage): Promise<void> {
    const parsed = parseAgentMessage(queued.body);
    await this.ports.queue.delete(queued.receiptHandle);
    const token = parsed.ok ? parsed.message.taskToken : parsed.taskToken;
    if (token) {
      await this.ports.answers.fail(
        token,
        'Worker.Shutdown',
        `Worker ${this.workerId} was stopping when it received the step`,
      );
    }
    this.emit({
      kind: 'skipped',
      reason: 'the worker is stopping',
      ...(parsed.ok && stepOf(parsed.message)),
    });
  }

  private async claimAndRun(queued: QueueMessage): Promise<void> {
    this.claiming += 1;
    let step: RunningStep | undefined;
    try {
      step = await this.claim(queued);
    } finally {
      this.claiming -= 1;
    }
    if (step) await this.run(step);
  }

  /**
   * Checks the token, records the claim, and only then deletes the message: a worker that dies before its
   * claim is recorded leaves the message to reappear after the claim window, not a step nobody holds until
   * HeartbeatSeconds runs out.
   */
  private async claim(queued: QueueMessage): Promise<RunningStep | undefined> {
    const parsed = parseAgentMessage(queued.body);
    if (!parsed.ok) {
      await this.remove(queued);
      this.emit({ kind: 'skipped', reason: parsed.reason });
      if (parsed.taskToken)
        await this.ports.answers.fail(parsed.taskToken, 'Worker.InvalidMessage', parsed.reason);
      return undefined;
    }
    const { message } = parsed;
    const ref = stepOf(message);
    if (this.claimingTokens.has(message.taskToken) || this.active.has(tokenIdOf(message.taskToken))) {
      // This worker's own claim outlasted the claim window and the message came back to it: the copy goes.
      await this.remove(queued);
      this.emit({ kind: 'skipped', reason: 'this worker already holds the step', ...ref });
      return undefined;
    }
    this.claimingTokens.add(message.taskToken);
    try {
      // A message received again after a crash, or whose step was retried meanwhile, carries a closed token:
      // no attempt is recorded for it. The check is a heartbeat: on a copy whose first worker died after
      // recording its claim (the recorder then answers stale), it keeps that step waiting one claim window
      // longer before HeartbeatSeconds hands it on.
      const token = await this.ports.answers.heartbeat(message.taskToken).catch((error: unknown) => {
        this.emit({ kind: 'error', message: `SendTaskHeartbeat failed for task ${message.task.id}`, error });
        return 'open' as const;
      });
      if (token === 'gone') {
        this.emit({ kind: 'skipped', reason: 'Step Functions no longer waits on the step', ...ref });
        return undefined;
      }
      return await this.report(message);
    } finally {
      this.claimingTokens.delete(message.taskToken);
      // Claimed, refused or handed back: the message has been dealt with either way.
      await this.remove(queued);
    }
  }

  /** Deletes a message dealt with. One left behind comes back after the claim window and is dropped then. */
  private async remove(queued: QueueMessage): Promise<void> {
    try {
      await this.ports.queue.delete(queued.receiptHandle);
    } catch (error) {
      this.emit({ kind: 'error', message: 'Could not delete a message it dealt with', error });
    }
  }

  /** Reports the claim: the step's attempt number, or nothing to run. */
  private async report(message: AgentMessage): Promise<RunningStep | undefined> {
    const ref = stepOf(message);
    const workerId = this.workerId ?? '';
    const claimedAt = this.now().toISOString();
    const report = {
      workerId,
      workerType: this.settings.type,
      taskToken: message.taskToken,
      task: { id: message.task.id, orgId: message.task.orgId },
      step: message.step,
    };
    let answer: Awaited<ReturnType<AttemptReports['claimed']>>;
    try {
      answer = await this.ports.reports.claimed({ kind: 'claimed', ...report, claimedAt });
    } catch (error) {
      // Without its attempt recorded the step would run unseen: hand it back, retried at once elsewhere.
      this.emit({ kind: 'error', message: `Could not report the claim of task ${message.task.id}`, error });
      await this.ports.answers.fail(
        message.taskToken,
        'Worker.Lost',
        `Worker ${workerId} could not record its claim: ${messageOf(error)}`,
      );
      return undefined;
    }
    if (isRefusal(answer)) {
      this.emit({ kind: 'skipped', reason: `claim refused: ${answer.message}`, ...ref });
      await this.ports.answers.fail(
        message.taskToken,
        'Worker.ClaimRefused',
        `${answer.error}: ${answer.message}`,
      );
      return undefined;
    }
    if ('stale' in answer) {
      this.emit({
        kind: 'skipped',
        reason: 'the task has settled or another worker claimed the step',
        ...ref,
      });
      return undefined;
    }
    const step: RunningStep = {
      message,
      tokenId: tokenIdOf(message.taskToken),
      attempt: answer.attempt,
      claimedAt,
      startedMs: this.now().getTime(),
      controller: new AbortController(),
      settled: false,
    };
    this.active.set(step.tokenId, step);
    this.emit({ kind: 'claimed', attempt: step.attempt, ...ref });
    void this.save();
    return step;
  }

  private async run(step: RunningStep): Promise<void> {
    const { message } = step;
    // A claim that completed only after the stop ended (its report was slow): not run, handed back.
    if (this.isStopped()) {
      await this.failAtShutdown(step, 'the worker had stopped when its claim completed');
      return;
    }
    let outcome: Outcome;
    try {
      const output = await this.handler({
        input: (message.input ?? {}) as I,
        task: message.task,
        step: message.step,
        attempt: step.attempt,
        workerId: this.workerId ?? '',
        signal: step.controller.signal,
        heartbeat: (details?: unknown) => this.stepHeartbeat(step, details),
      });
      outcome = outputOf(output);
    } catch (thrown) {
      outcome = { ok: false, ...failureOf(thrown) };
    }
    // Released (Step Functions stopped waiting) or failed at shutdown while the handler ran.
    if (step.settled) return;
    step.settled = true;
    await this.finish(step, outcome);
  }

  private async finish(step: RunningStep, outcome: Outcome): Promise<void> {
    const { message } = step;
    const endedAt = this.now();
    const durationMs = Math.max(0, endedAt.getTime() - step.startedMs);
    const state = await this.answer(step, outcome, endedAt);
    this.active.delete(step.tokenId);
    this.busyMs += durationMs;
    const org = this.workFor(message.task.orgId);
    org.busyMs += durationMs;
    if (state === 'open') {
      if (outcome.ok) this.processed += 1;
      else this.failed += 1;
      org[outcome.ok ? 'processed' : 'failed'] += 1;
      this.emit({
        kind: outcome.ok ? 'succeeded' : 'failed',
        attempt: step.attempt,
        durationMs,
        ...(!outcome.ok && { error: outcome.error }),
        ...stepOf(message),
      });
    } else if (state === 'gone' || state === 'unconfirmed') {
      this.emit({
        kind: 'aborted',
        reason:
          state === 'gone'
            ? 'Step Functions no longer waited on the step when it finished'
            : 'Step Functions waits on the step no more: the answer sent before the connection failed may have reached it',
        ...stepOf(message),
      });
    }
    void this.save();
  }

  /**
   * Reports the step's end, then answers Step Functions; a token already closed is neither. A worker that
   * was frozen (SIGSTOP, a paused VM) past HeartbeatSeconds finds its handler done after the step was
   * retried: its report would record the end in an attempt Step Functions gave up on (a success in a step
   * it retried, even one that failed for good). One heartbeat first tells it; it then records nothing.
   * What cannot reach the stack (restarting, the network down: isTransient) is sent again, a heartbeat
   * ahead of each try, so Step Functions keeps waiting on this attempt rather than retrying it elsewhere
   * meanwhile; a token that closed meanwhile ends it, as does the worker's stop after its grace period.
   */
  private async answer(
    step: RunningStep,
    outcome: Outcome,
    endedAt: Date,
  ): Promise<TokenState | 'unanswered' | 'unconfirmed'> {
    const { message } = step;
    let reported = false;
    let reportFailures = 0;
    let answerSent = false;
    for (let failures = 0; ; failures += 1) {
      try {
        // Closed after an answer whose reply was lost: that answer may be what closed it.
        if ((await this.checkToken(message.taskToken)) === 'gone') return answerSent ? 'unconfirmed' : 'gone';
        if (!reported) {
          try {
            await this.reportFinished(message, outcome, endedAt);
          } catch (error) {
            // Step Functions answers but the recorder does not: after a few tries the answer goes without
            // the record (the task's settle closes the attempt), rather than wait on it.
            reportFailures += 1;
            if (reportFailures < REPORT_TRIES) throw error;
            this.emit({
              kind: 'error',
              message: `Could not report the end of task ${message.task.id}'s step`,
              error,
            });
          }
          reported = true;
        }
        answerSent = true;
        return outcome.ok
          ? await this.ports.answers.succeed(message.taskToken, outcome.output)
          : await this.ports.answers.fail(message.taskToken, outcome.error, outcome.cause);
      } catch (error) {
        const again = isTransient(error) && !this.pollAbort.signal.aborted;
        // Said once, not at every try while the stack is down.
        if (!again || failures === 0) {
          this.emit({
            kind: 'error',
            message: again
              ? `Could not reach the stack to end task ${message.task.id}'s step; trying again until it answers`
              : `Could not answer Step Functions for task ${message.task.id}`,
            error,
          });
        }
        // Unanswered, the step times out on HeartbeatSeconds and is retried.
        if (!again) return 'unanswered';
        const pause = Math.min(
          ANSWER_RETRY_MAX_MS,
          500 * 2 ** failures,
          this.settings.heartbeatIntervalSeconds * 1000,
        );
        const stopped = await delay(pause, false, { signal: this.pollAbort.signal }).catch(() => true);
        if (stopped) return 'unanswered';
      }
    }
  }

  /**
   * A heartbeat: whether Step Functions still waits on the token. A transient failure is thrown, to try
   * again; any other proceeds as open, leaving the recorder and Step Functions to judge the answer.
   */
  private async checkToken(taskToken: string): Promise<TokenState> {
    try {
      return await this.ports.answers.heartbeat(taskToken);
    } catch (error) {
      if (isTransient(error)) throw error;
      return 'open';
    }
  }

  /** The `finished` report; one the recorder refuses is said and not sent again: the answer still goes. */
  private async reportFinished(message: AgentMessage, outcome: Outcome, endedAt: Date): Promise<void> {
    try {
      await this.ports.reports.finished({
        kind: 'finished',
        workerId: this.workerId ?? '',
        workerType: this.settings.type,
        taskToken: message.taskToken,
        task: { id: message.task.id, orgId: message.task.orgId },
        step: message.step,
        endedAt: endedAt.toISOString(),
        ...(outcome.ok
          ? { status: 'SUCCEEDED', outputSummary: clip(outcome.output, SUMMARY_CHARS) }
          : { status: 'FAILED', error: outcome.error, cause: outcome.cause }),
      });
    } catch (error) {
      if (isTransient(error)) throw error;
      // Step Functions' answer matters more than the record: it still goes.
      this.emit({
        kind: 'error',
        message: `Could not report the end of task ${message.task.id}'s step`,
        error,
      });
    }
  }

  /** A step still running when the grace period ends: its handler is aborted, the step retried elsewhere. */
  private async failAtShutdown(step: RunningStep, reason: string): Promise<void> {
    if (step.settled) return;
    step.settled = true;
    const cause = `Worker ${this.workerId} stopped (${reason}) before the step finished, after a grace period of ${this.settings.gracePeriodSeconds} s`;
    step.controller.abort(new WorkerShutdownError(cause));
    await this.finish(step, { ok: false, error: 'Worker.Shutdown', cause });
  }
}
