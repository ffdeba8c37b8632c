// `stepwise tasks start|get|watch`.
import { readFile } from 'node:fs/promises';
import { OPEN_STEP_STATUSES, TERMINAL_STATUSES } from '../../functions/shared/tasks/task';
import { type Connection, call } from './api-client';
import { readExampleInput } from './example-input';
import { liveUrlOf, type WatchedEvent, watchLive } from './live-watch';

export interface TaskView {
  taskId: string;
  status: string;
  workflowId: string;
  error?: string;
  cause?: string;
  steps?: { stepId: string; mapIndex?: number; status: string; attempts: number; error?: string }[];
}

const TERMINAL = new Set<string>(TERMINAL_STATUSES);

export async function parseInput(raw: string | undefined): Promise<unknown> {
  if (raw === undefined) return {};
  const text = raw.startsWith('@') ? await readFile(raw.slice(1), 'utf8') : raw;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`--input is not JSON: ${(error as Error).message}`);
  }
}

export async function startTaskCommand(
  connection: Connection,
  workflowId: string,
  options: {
    input?: string;
    example?: boolean;
    version?: string;
    idempotencyKey?: string;
    agentId?: string;
    tags?: Record<string, string>;
    /** Follow the task until it ends, as `tasks watch` does, instead of printing it as JSON. */
    watch?: boolean;
    /** How it is followed (watchTaskCommand's options). */
    follow?: Parameters<typeof watchTaskCommand>[2];
  },
): Promise<number> {
  if (options.example && options.input !== undefined) {
    throw new Error('Pass either --input or --example, not both');
  }
  const body = {
    workflowId,
    input: options.example ? await readExampleInput(workflowId) : await parseInput(options.input),
    ...(options.version && { version: Number(options.version) }),
    ...(options.idempotencyKey && { idempotencyKey: options.idempotencyKey }),
    ...(options.agentId && { agentId: options.agentId }),
    ...(options.tags && { tags: options.tags }),
  };
  const { body: task } = await call<TaskView>(connection, 'POST', '/tasks', body);
  if (!options.watch) {
    process.stdout.write(`${JSON.stringify(task, null, 2)}\n`);
    return 0;
  }
  // The id first, on a line of its own, for the commands that take it (get, timeline, cancel).
  process.stdout.write(`started task ${task.taskId}\n`);
  return watchTaskCommand(connection, task.taskId, options.follow ?? {});
}

/** Prints the task (`admin`: through GET /admin/tasks/{id}, which adds its event log). */
export async function getTaskCommand(
  connection: Connection,
  taskId: string,
  { admin = false }: { admin?: boolean } = {},
): Promise<void> {
  const path = `${admin ? '/admin' : ''}/tasks/${encodeURIComponent(taskId)}`;
  const { body } = await call<TaskView>(connection, 'GET', path);
  process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
}

function render(task: TaskView): string {
  const lines = [`task ${task.taskId} (${task.workflowId}): ${task.status}`];
  for (const step of task.steps ?? []) {
    const name = step.mapIndex === undefined ? step.stepId : `${step.stepId}[${step.mapIndex}]`;
    const error = step.error ? `  ${step.error}` : '';
    lines.push(`  ${name.padEnd(32)} ${step.status.padEnd(10)} attempts ${step.attempts}${error}`);
  }
  if (task.error) lines.push(`  error: ${task.error}${task.cause ? ` (${task.cause})` : ''}`);
  return lines.join('\n');
}

const STEP_OPEN = new Set<string>(OPEN_STEP_STATUSES);

/**
 * Whether the task as read already shows a live event: the task in the event's status; the event's step
 * at a later attempt, or at the event's attempt past its start, in the event's status, or ended (an
 * attempt goes RUNNING, then RETRYING or an end).
 */
export function shows(task: TaskView, event: WatchedEvent): boolean {
  if (event.kind === 'task') return task.status === event.status;
  const step = task.steps?.find((s) => s.stepId === event.stepId && s.mapIndex === event.mapIndex);
  if (!step) return false;
  if (event.attempt === undefined) return step.status === event.status;
  if (step.attempts !== event.attempt) return step.attempts > event.attempt;
  return event.status === 'RUNNING' || step.status === event.status || !STEP_OPEN.has(step.status);
}

/**
 * Prints the task, then each task and step event as the WebSocket API pushes it, until the task ends;
 * polls instead when the socket cannot be used. Exits non-zero unless the task SUCCEEDED.
 */
export async function watchTaskCommand(
  connection: Connection,
  taskId: string,
  options: { liveUrl?: string; poll?: boolean; intervalMs?: number } = {},
): Promise<number> {
  const read = () => call<TaskView>(connection, 'GET', `/tasks/${encodeURIComponent(taskId)}`);
  if (!options.poll) {
    // A task that had ended when the watch read it was printed whole then: not again at the end.
    let endedBeforeWatch = false;
    const ended = await watchLive(connection, taskId, liveUrlOf(connection, options.liveUrl), {
      snapshot: async () => {
        const { body } = await read();
        endedBeforeWatch = TERMINAL.has(body.status);
        return { status: body.status, view: render(body), shows: (event) => shows(body, event) };
      },
      print: (line) => process.stdout.write(`${line}\n`),
    });
    if (ended !== 'unavailable') {
      if (!endedBeforeWatch) {
        const { body } = await read();
        process.stdout.write(`\n${render(body)}\n`);
      }
      return ended === 'SUCCEEDED' ? 0 : 1;
    }
    // The socket refuses a task that does not exist: the read says so (its 404 is all that is printed).
    await read();
    process.stderr.write('live updates unavailable: polling\n');
  }
  return pollTask(connection, taskId, options.intervalMs ?? 1_000);
}

/** Shows step status every interval until the task ends; exits non-zero unless it SUCCEEDED. */
async function pollTask(connection: Connection, taskId: string, intervalMs: number): Promise<number> {
  let previous = '';
  for (;;) {
    const { body } = await call<TaskView>(connection, 'GET', `/tasks/${encodeURIComponent(taskId)}`);
    const view = render(body);
    if (view !== previous) {
      process.stdout.write(`${view}\n\n`);
      previous = view;
    }
    if (TERMINAL.has(body.status)) return body.status === 'SUCCEEDED' ? 0 : 1;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
