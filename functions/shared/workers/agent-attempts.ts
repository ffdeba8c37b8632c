// The attempts of `agent` steps, as workers report them to the agentReports Lambda: `claimed` when a
// worker takes a step's message (attempt n starts, RUNNING, with the worker's id), `finished` when it is
// done (SUCCEEDED or FAILED), and, from the sweeper, a worker found dead (recordLostAttempt). Step
// Functions owns the retries; these records are what the timeline shows of them. An attempt is keyed by
// its task token's id (tokenIdOf), so every report is idempotent and reports may arrive in any order.
import { createHash } from 'node:crypto';
import type { WorkflowVersions } from '../registry/register-workflow';
import { closeIfTaskEnded, type LateStepStore } from '../tasks/late-steps';
import {
  type AttemptRecord,
  isTerminal,
  OPEN_STEP_STATUSES,
  type StepRecord,
  type Task,
} from '../tasks/task';
import { rowOfTask } from '../tasks/task-row';
import type { StepAttemptsChange, StepAttemptsStore, StepRef } from '../tasks/task-store';
import type { Step } from '../workflows/definition';
import * as z from '../zod-mini';

/** The id of a task token: the first 16 hex digits of its SHA-256. Stored and shown instead of the token. */
export const tokenIdOf = (taskToken: string): string =>
  createHash('sha256').update(taskToken).digest('hex').slice(0, 16);

/** The error an attempt is closed with when no result came back from its worker. */
export const WORKER_LOST = 'Worker.Lost';

const Iso = z.iso.datetime({ offset: true });
const TaskRef = z.strictObject({
  id: z.string().check(z.minLength(1), z.maxLength(128)),
  orgId: z.string().check(z.minLength(1), z.maxLength(128)),
});
const StepRefSchema = z.strictObject({
  id: z.string().check(z.minLength(1), z.maxLength(64)),
  mapIndex: z.optional(z.int().check(z.nonnegative())),
});
const reportFields = {
  workerId: z.string().check(z.minLength(1), z.maxLength(256)),
  workerType: z.string().check(z.minLength(1), z.maxLength(64)),
  taskToken: z.string().check(z.minLength(1), z.maxLength(2048)),
  task: TaskRef,
  step: StepRefSchema,
};

export const ClaimedReportSchema = z.strictObject({
  kind: z.literal('claimed'),
  ...reportFields,
  claimedAt: Iso,
});

export const FinishedReportSchema = z.strictObject({
  kind: z.literal('finished'),
  ...reportFields,
  status: z.enum(['SUCCEEDED', 'FAILED']),
  error: z.optional(z.string().check(z.maxLength(256))),
  cause: z.optional(z.string().check(z.maxLength(32_768))),
  outputSummary: z.optional(z.string().check(z.maxLength(1_000))),
  endedAt: Iso,
});

export const AgentReportSchema = z.discriminatedUnion('kind', [ClaimedReportSchema, FinishedReportSchema]);
export type ClaimedReport = z.infer<typeof ClaimedReportSchema>;
export type FinishedReport = z.infer<typeof FinishedReportSchema>;
export type AgentReport = z.infer<typeof AgentReportSchema>;

/** What the recorder answers a report it refuses: a named error, never a crash. */
export interface AgentReportError {
  readonly error: 'InvalidReport' | 'TaskNotFound' | 'NotAnAgentStep';
  readonly statusCode: 400 | 404;
  readonly message: string;
  readonly field?: string;
}

export type ClaimedResult = { readonly attempt: number } | { readonly stale: true };
export type AgentReportResult = ClaimedResult | Record<string, never> | AgentReportError;

export interface AgentAttemptsDeps {
  readonly tasks: StepAttemptsStore & LateStepStore;
  readonly workflows: Pick<WorkflowVersions, 'getVersion'>;
  readonly now?: () => Date;
}

/** Parses and records one report; bad payloads and unknown tasks or steps come back as an AgentReportError. */
export async function handleAgentReport(
  payload: unknown,
  deps: AgentAttemptsDeps,
): Promise<AgentReportResult> {
  const parsed = AgentReportSchema.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || undefined;
    return {
      error: 'InvalidReport',
      statusCode: 400,
      message: `Invalid agent report${field ? ` (${field})` : ''}: ${issue?.message ?? 'malformed'}`,
      ...(field && { field }),
    };
  }
  const report = parsed.data;
  return report.kind === 'claimed' ? recordClaimed(report, deps) : recordFinished(report, deps);
}

interface Located {
  readonly task: Task;
  readonly ref: StepRef;
}

/**
 * The task and step a report names, checked: the task exists in that org, and its workflow version has an
 * agent step `step.id` of `workerType` (with a mapIndex exactly when the step sits in a map).
 */
async function locate(report: AgentReport, deps: AgentAttemptsDeps): Promise<Located | AgentReportError> {
  const task = await deps.tasks.getAnyOrg(report.task.id);
  if (!task || task.orgId !== report.task.orgId) {
    return {
      error: 'TaskNotFound',
      statusCode: 404,
      field: 'task.id',
      message: `Task ${report.task.id} does not exist in organization ${report.task.orgId}`,
    };
  }
  const version = await deps.workflows.getVersion(task.orgId, task.workflowId, task.workflowVersion);
  const found = version && findStep(version.definition.steps, report.step.id, false);
  const notAgent = (why: string): AgentReportError => ({
    error: 'NotAnAgentStep',
    statusCode: 400,
    field: 'step.id',
    message: `Step ${report.step.id} of task ${task.taskId} ${why}`,
  });
  if (!found) return notAgent(`is not a step of workflow ${task.workflowId} v${task.workflowVersion}`);
  if (found.step.type !== 'agent') return notAgent(`is a ${found.step.type} step, not an agent step`);
  if (found.step.workerType !== report.workerType) {
    return notAgent(`runs on worker type ${found.step.workerType}, not ${report.workerType}`);
  }
  if (found.inMap !== (report.step.mapIndex !== undefined)) {
    return notAgent(
      found.inMap
        ? 'runs inside a map: step.mapIndex is required'
        : 'is not inside a map: step.mapIndex must be absent',
    );
  }
  return {
    task,
    ref: {
      taskId: task.taskId,
      orgId: task.orgId,
      workflowId: task.workflowId,
      stepId: report.step.id,
      stepType: 'agent',
      ...(report.step.mapIndex !== undefined && { mapIndex: report.step.mapIndex }),
      // The open-step entries (RETRYING/STUCK views) carry the task's row, as the step runner's do.
      taskRow: rowOfTask(task),
    },
  };
}

function findStep(
  steps: readonly Step[],
  id: string,
  inMap: boolean,
): { step: Step; inMap: boolean } | undefined {
  for (const step of steps) {
    if (step.id === id) return { step, inMap };
    if (step.type === 'map') {
      const inner = findStep(step.steps, id, true);
      if (inner) return inner;
    }
  }
  return undefined;
}

const isError = (value: Located | AgentReportError): value is AgentReportError => 'error' in value;

const durationBetween = (from: string, to: string) => Math.max(0, Date.parse(to) - Date.parse(from));

/** An earlier attempt still RUNNING when a later one starts: its worker never answered. */
function closedAsLost(attempt: AttemptRecord, at: string, why: string): AttemptRecord {
  return {
    ...attempt,
    status: 'ABORTED',
    endedAt: at,
    durationMs: durationBetween(attempt.startedAt, at),
    error: WORKER_LOST,
    cause: `No result came back from worker ${attempt.worker ?? '(unknown)'}: ${why}`,
  };
}

// Step Functions retried the step under a new token: the worker went silent past HeartbeatSeconds, was
// lost, or, live, ran past the step's timeoutSeconds; the claim cannot tell which.
const LOST_BY_NEXT_CLAIM =
  'Step Functions stopped waiting for it (a heartbeat timeout, a lost worker, or the step timeout); the step was handed to another worker';

/**
 * An earlier attempt reported SUCCEEDED when the step runs again under a new token: its worker reported
 * `finished` but its SendTaskSuccess never reached Step Functions (killed between the two), so the step
 * timed out and was retried. It did not complete the step: the step's one success is the new attempt's.
 */
function successNeverDelivered(attempt: AttemptRecord): AttemptRecord {
  return {
    ...attempt,
    status: 'ABORTED',
    error: WORKER_LOST,
    cause: `Worker ${attempt.worker ?? '(unknown)'} reported success but its result never reached Step Functions; the step was handed to another worker`,
  };
}

/** The history as a new token's attempt starts: what was left open or undelivered is closed as lost. */
function closedBeforeNewAttempt(history: readonly AttemptRecord[], at: string): AttemptRecord[] {
  return history.map((old) => {
    if (old.status === 'RUNNING') return closedAsLost(old, at, LOST_BY_NEXT_CLAIM);
    if (old.status === 'SUCCEEDED') return successNeverDelivered(old);
    return old;
  });
}

/**
 * Attempt n RUNNING for the claiming worker; an earlier attempt still open is closed as lost. A token
 * already claimed by another worker, or a settled task, answers `stale`.
 */
export async function recordClaimed(
  report: ClaimedReport,
  deps: AgentAttemptsDeps,
): Promise<AgentReportResult> {
  const located = await locate(report, deps);
  if (isError(located)) return located;
  if (isTerminal(located.task.status)) return { stale: true };
  const tokenId = tokenIdOf(report.taskToken);
  const now = deps.now ?? (() => new Date());
  const at = now().toISOString();
  let repeated: number | undefined;
  const written = await deps.tasks.rewriteStepAttempts(located.ref, (current) => {
    const history = current?.history ?? [];
    const same = history.find((entry) => entry.tokenId === tokenId);
    if (same) {
      // A repeated claim (the worker retried its report): the attempt it already has. Another worker's claim
      // of the same token (it received the message again after the claim window) is stale: the step is
      // held, by a worker that runs it or, if that one died, until HeartbeatSeconds hands it on.
      if (same.worker === report.workerId) repeated = same.attempt;
      return undefined;
    }
    const attempt = (current?.attempts ?? 0) + 1;
    const entry: AttemptRecord = {
      attempt,
      status: 'RUNNING',
      startedAt: report.claimedAt,
      worker: report.workerId,
      tokenId,
    };
    return {
      history: [...closedBeforeNewAttempt(history, report.claimedAt), entry],
      attempts: attempt,
      status: 'RUNNING',
      at,
      open: { status: 'RUNNING', since: report.claimedAt },
    };
  });
  if (written) {
    // The task may have ended between its read above and this write: the step is closed again, not run.
    if (await closeIfTaskEnded(deps.tasks, located.ref, now)) return { stale: true };
    return { attempt: written.attempts };
  }
  if (repeated !== undefined) {
    const task = await deps.tasks.getAnyOrg(report.task.id);
    if (task && !isTerminal(task.status)) return { attempt: repeated };
  }
  // The step was closed with its task meanwhile (or concurrent reports kept winning the write, which
  // rewriteStepAttempts retries): nothing to run; Step Functions retries the step if it is still open.
  return { stale: true };
}

/** Whether an attempt is the reporting worker's (an attempt recorded without a worker is anyone's). */
const claimedBy = (attempt: AttemptRecord, workerId: string) =>
  attempt.worker === undefined || attempt.worker === workerId;

/**
 * Closes the attempt of the report's token (creating it if its claim was never recorded). A report its
 * step must not take answers `stale` and changes nothing, as a stale claim does: its task has ended (the
 * end closed what was open; the report would reopen the step, or add a success, inside the ended task),
 * another worker claimed the token, or the token is new to a step that can no longer run again.
 */
export async function recordFinished(
  report: FinishedReport,
  deps: AgentAttemptsDeps,
): Promise<AgentReportResult> {
  const located = await locate(report, deps);
  if (isError(located)) return located;
  if (isTerminal(located.task.status)) return { stale: true };
  const tokenId = tokenIdOf(report.taskToken);
  const now = deps.now ?? (() => new Date());
  const at = now().toISOString();
  const succeeded = report.status === 'SUCCEEDED';
  let stale = false;
  const written = await deps.tasks.rewriteStepAttempts(located.ref, (current) => {
    stale = false;
    let history = [...(current?.history ?? [])];
    let index = history.findIndex((entry) => entry.tokenId === tokenId);
    let attempts = current?.attempts ?? 0;
    const claimed = history[index];
    if (claimed && !claimedBy(claimed, report.workerId)) {
      stale = true;
      return undefined;
    }
    if (index < 0) {
      // A new token comes only while the step may run again: open, or SUCCEEDED by a success that may
      // never have reached Step Functions. A step that failed for good or was skipped has no new token.
      if (current && !OPEN_STEP_STATUSES.includes(current.status) && current.status !== 'SUCCEEDED') {
        stale = true;
        return undefined;
      }
      // Its claim was never recorded: the attempt starts and ends here, after any attempt still open.
      history = closedBeforeNewAttempt(history, report.endedAt);
      attempts += 1;
      history.push({
        attempt: attempts,
        status: 'RUNNING',
        startedAt: report.endedAt,
        worker: report.workerId,
        tokenId,
      });
      index = history.length - 1;
    }
    const open = history[index];
    // Closed already (lost, failed for good, or this very report repeated): leave it as it was closed.
    if (open?.status !== 'RUNNING') return undefined;
    history[index] = {
      ...open,
      status: report.status,
      endedAt: report.endedAt,
      durationMs: durationBetween(open.startedAt, report.endedAt),
      ...(report.error !== undefined && { error: report.error }),
      ...(report.cause !== undefined && { cause: report.cause }),
      ...(report.outputSummary !== undefined && { outputSummary: report.outputSummary }),
    };
    const latest = open.attempt === attempts;
    if (!latest) {
      // A late report of an earlier attempt: the step stays as its latest attempt has it.
      return {
        history,
        attempts,
        status: current?.status ?? 'RUNNING',
        at,
        ...openIndexOf(current),
        ...(current?.endedAt && { endedAt: current.endedAt }),
      };
    }
    return succeeded
      ? { history, attempts, status: 'SUCCEEDED', at, endedAt: report.endedAt }
      : {
          history,
          attempts,
          status: 'RETRYING',
          at,
          error: report.error,
          cause: report.cause,
          open: { status: 'RETRYING', since: report.endedAt },
        };
  });
  if (stale) return { stale: true };
  // The task may have ended between its read above and this write: its step is closed with it.
  if (written && (await closeIfTaskEnded(deps.tasks, located.ref, now))) return { stale: true };
  return {};
}

/** Keeps a step in the open-step index it is in. */
function openIndexOf(step: StepRecord | undefined): Pick<StepAttemptsChange, 'open'> {
  if (!step || (step.status !== 'RUNNING' && step.status !== 'RETRYING')) return {};
  const latest = step.history[step.attempts - 1];
  const since = step.status === 'RUNNING' ? latest?.startedAt : (latest?.endedAt ?? step.updatedAt);
  return since ? { open: { status: step.status, since } } : {};
}

export interface LostAttempt {
  /** The task token, or its id (tokenIdOf). */
  readonly taskToken?: string;
  readonly tokenId?: string;
  readonly workerId: string;
  readonly task: { readonly id: string; readonly orgId: string };
  readonly step: { readonly id: string; readonly mapIndex?: number };
  readonly at: string;
  /** Why the worker is considered lost (e.g. `no heartbeat for 300 s`). */
  readonly reason: string;
}

/**
 * Closes the attempt of a worker found dead (the sweeper, which also fails its token with Worker.Lost):
 * ABORTED with error Worker.Lost, its step RETRYING until Step Functions retries it. False when there is
 * no such open attempt (it finished, was closed, or its task is gone).
 */
export async function recordLostAttempt(
  lost: LostAttempt,
  deps: Pick<AgentAttemptsDeps, 'tasks' | 'now'>,
): Promise<boolean> {
  const tokenId = lost.tokenId ?? (lost.taskToken ? tokenIdOf(lost.taskToken) : undefined);
  if (!tokenId) throw new TypeError('recordLostAttempt needs taskToken or tokenId');
  const task = await deps.tasks.getAnyOrg(lost.task.id);
  if (!task || task.orgId !== lost.task.orgId || isTerminal(task.status)) return false;
  const at = (deps.now ?? (() => new Date()))().toISOString();
  const ref: StepRef = {
    taskId: task.taskId,
    orgId: task.orgId,
    workflowId: task.workflowId,
    stepId: lost.step.id,
    stepType: 'agent',
    ...(lost.step.mapIndex !== undefined && { mapIndex: lost.step.mapIndex }),
    taskRow: rowOfTask(task),
  };
  const written = await deps.tasks.rewriteStepAttempts(ref, (current) => {
    if (!current) return undefined;
    const index = current.history.findIndex((entry) => entry.tokenId === tokenId);
    const open = current.history[index];
    if (open?.status !== 'RUNNING') return undefined;
    const history = [...current.history];
    const closed = closedAsLost({ ...open, worker: open.worker ?? lost.workerId }, lost.at, lost.reason);
    history[index] = closed;
    const latest = open.attempt === current.attempts;
    return latest
      ? {
          history,
          attempts: current.attempts,
          status: 'RETRYING',
          at,
          error: WORKER_LOST,
          cause: closed.cause,
          open: { status: 'RETRYING', since: lost.at },
        }
      : {
          history,
          attempts: current.attempts,
          status: current.status,
          at,
          ...openIndexOf(current),
          ...(current.endedAt && { endedAt: current.endedAt }),
        };
  });
  return written !== undefined;
}
