// In-memory stand-ins for the worker's ports: a queue, Step Functions' task-token API, the agentReports
// recorder and the worker's item, each keeping a log of the calls in one shared journal so a test can
// check what happened and in which order.
import type { ClaimedReport, FinishedReport } from '../../../functions/shared/workers/agent-attempts';
import type { WorkerItem } from '../../../functions/shared/workers/worker-item';
import type { AttemptReports, ClaimAnswer } from '../../../sdk/attempt-reports';
import type { QueueMessage, StepQueue } from '../../../sdk/step-queue';
import type { TaskAnswers, TokenState } from '../../../sdk/task-answers';
import type { WorkerPorts } from '../../../sdk/worker';
import type { WorkerStore } from '../../../sdk/worker-store';

export type Journal = string[];

let tokens = 0;
export const newToken = () => `AQ-token-${++tokens}`;

export function agentMessage(token: string, extra: Record<string, unknown> = {}) {
  return JSON.stringify({
    taskToken: token,
    workerType: 'research',
    task: { id: `task-${token}`, orgId: 'org-a', workflowId: 'wf', workflowVersion: 1 },
    step: { id: 'research' },
    input: { company: 'Acme' },
    ...extra,
  });
}

export class FakeQueue implements StepQueue {
  private readonly messages: QueueMessage[] = [];
  private arrived: () => void = () => undefined;
  private handles = 0;
  /** How long an empty poll waits for a message. */
  pollMs = 20;

  constructor(private readonly journal: Journal) {}

  push(body: string): void {
    this.messages.push({ body, receiptHandle: `rh-${++this.handles}` });
    this.arrived();
  }

  get pending(): number {
    return this.messages.length;
  }

  async receive(max: number, _waitSeconds: number, signal: AbortSignal): Promise<QueueMessage[]> {
    if (this.messages.length === 0) {
      // A long poll, shortened: until a message arrives, pollMs pass or the poll is aborted.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.pollMs);
        this.arrived = () => {
          clearTimeout(timer);
          resolve();
        };
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
    }
    if (signal.aborted) throw new Error('aborted');
    return this.messages.splice(0, max);
  }

  async delete(receiptHandle: string): Promise<void> {
    this.journal.push(`delete ${receiptHandle}`);
  }
}

/** What the AWS SDK throws when nothing listens at the endpoint (the stack restarting). */
export const connectionRefused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4566'), { code: 'ECONNREFUSED' });

export class FakeAnswers implements TaskAnswers {
  readonly gone = new Set<string>();
  readonly heartbeats = new Map<string, number>();
  readonly answers: { token: string; ok: boolean; output?: string; error?: string; cause?: string }[] = [];
  /** While set, every call throws it (and is journaled as `<call> refused`). */
  failure: (() => Error) | undefined;

  constructor(private readonly journal: Journal) {}

  private check(call: string, token: string): void {
    if (!this.failure) return;
    this.journal.push(`${call} ${token} refused`);
    throw this.failure();
  }

  async heartbeat(token: string): Promise<TokenState> {
    this.check('heartbeat', token);
    this.heartbeats.set(token, (this.heartbeats.get(token) ?? 0) + 1);
    this.journal.push(`heartbeat ${token}`);
    return this.gone.has(token) ? 'gone' : 'open';
  }

  async succeed(token: string, output: string): Promise<TokenState> {
    this.check('succeed', token);
    this.journal.push(`succeed ${token}`);
    if (this.gone.has(token)) return 'gone';
    this.answers.push({ token, ok: true, output });
    this.gone.add(token);
    return 'open';
  }

  async fail(token: string, error: string, cause: string): Promise<TokenState> {
    this.check('fail', token);
    this.journal.push(`fail ${token} ${error}`);
    if (this.gone.has(token)) return 'gone';
    this.answers.push({ token, ok: false, error, cause });
    this.gone.add(token);
    return 'open';
  }
}

export class FakeReports implements AttemptReports {
  readonly claims: ClaimedReport[] = [];
  readonly finishes: FinishedReport[] = [];
  /** Tokens whose task is settled: their claim answers stale. */
  readonly stale = new Set<string>();
  /** While set, claims are answered only once it resolves (a slow recorder). */
  hold: Promise<void> | undefined;
  /** While set, `finished` throws it (journaled as `finished <token> refused`). */
  failure: (() => Error) | undefined;

  constructor(private readonly journal: Journal) {}

  async claimed(report: ClaimedReport): Promise<ClaimAnswer> {
    this.journal.push(`claimed ${report.taskToken}`);
    this.claims.push(report);
    await this.hold;
    return this.stale.has(report.taskToken) ? { stale: true } : { attempt: this.claims.length };
  }

  async finished(report: FinishedReport): Promise<void> {
    if (this.failure) {
      this.journal.push(`finished ${report.taskToken} refused`);
      throw this.failure();
    }
    this.journal.push(`finished ${report.taskToken} ${report.status}`);
    this.finishes.push(report);
  }
}

export class FakeStore implements WorkerStore {
  readonly items = new Map<string, WorkerItem>();
  readonly writes: WorkerItem[] = [];
  /** While set, a registration answers only once it resolves (an unreachable table). */
  registerHold: Promise<void> | undefined;

  async register(worker: WorkerItem): Promise<boolean> {
    await this.registerHold;
    if (this.items.has(worker.workerId)) return false;
    this.items.set(worker.workerId, worker);
    this.writes.push(worker);
    return true;
  }

  async save(worker: WorkerItem): Promise<boolean> {
    const current = this.items.get(worker.workerId);
    if (!current || current.status === 'DEAD' || current.status === 'STOPPED') return false;
    this.items.set(worker.workerId, worker);
    this.writes.push(worker);
    return true;
  }

  /** What the sweeper does to a silent worker. */
  markDead(workerId: string): void {
    const current = this.items.get(workerId);
    if (current) this.items.set(workerId, { ...current, status: 'DEAD' });
  }
}

export function fakePorts() {
  const journal: Journal = [];
  const queue = new FakeQueue(journal);
  const answers = new FakeAnswers(journal);
  const reports = new FakeReports(journal);
  const store = new FakeStore();
  let hex = 0;
  const ports: WorkerPorts = {
    queue,
    answers,
    reports,
    store,
    host: 'box.example.com',
    pid: 4242,
    version: '0.1.0',
    randomHex: () => (++hex).toString(16).padStart(4, '0'),
  };
  return { journal, queue, answers, reports, store, ports };
}
