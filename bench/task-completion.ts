// How the throughput bench learns that a task ended: pushed over the live updates WebSocket (topic
// `tasks` of the key's org), so it costs the stack nothing per task beyond the fan-out it does anyway,
// and a task is seen the moment its settled event is posted.
import WebSocket from 'ws';
import type { TaskStatus } from '../functions/shared/tasks/task';
import type { StackAccess } from './stack-api';

// TERMINAL_STATUSES of tasks/task.ts, not imported: that module loads Powertools before the stack sets it up.
const ENDED: ReadonlySet<string> = new Set<TaskStatus>(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED']);

export const COMPLETION = 'push (live updates WebSocket, topic tasks)';

export interface TaskCompletion {
  /** Resolves once the task has ended. */
  ended(taskId: string): Promise<void>;
  close(): Promise<void>;
}

interface LiveMessage {
  type: string;
  event?: { kind: string; taskId?: string; status?: TaskStatus };
}

export async function pushedCompletion(stack: StackAccess): Promise<TaskCompletion> {
  const credential = Buffer.from(stack.credentials.apiKey).toString('base64url');
  const socket = new WebSocket(stack.endpoints.live, ['stepwise.v1', `bearer.${credential}`]);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  // Ended before anyone waited (a task can settle before its POST's answer is read), or waited for.
  const endedIds = new Set<string>();
  const waiting = new Map<string, () => void>();
  let subscribed: () => void = () => undefined;
  socket.on('message', (data) => {
    const message = JSON.parse(data.toString()) as LiveMessage;
    if (message.type === 'subscribed') subscribed();
    const event = message.event;
    if (event?.kind !== 'task' || !event.taskId || !ENDED.has(event.status ?? '')) return;
    const wake = waiting.get(event.taskId);
    if (wake) wake();
    else endedIds.add(event.taskId);
  });
  await new Promise<void>((resolve) => {
    subscribed = resolve;
    socket.send(JSON.stringify({ action: 'subscribe', topic: 'tasks' }));
  });
  return {
    ended: (taskId) =>
      new Promise((resolve) => {
        if (endedIds.delete(taskId)) return resolve();
        waiting.set(taskId, () => {
          waiting.delete(taskId);
          resolve();
        });
      }),
    close: () =>
      new Promise((resolve) => {
        if (socket.readyState === WebSocket.CLOSED) return resolve();
        socket.once('close', () => resolve());
        socket.close();
      }),
  };
}
