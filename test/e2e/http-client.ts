// HTTP helpers for the e2e suite: requests with the suite's key, and polling a task to its end.
import { inject } from 'vitest';
import { apiClient } from '../support/api-request';

export const api = inject('api');
/** Workflow ids are immutable per version, so each run registers its own. */
export const RUN = Date.now().toString(36);

/** A request with the suite's key (RequestOptions.apiKey sends another, or null for none). */
export const request = apiClient(api.url, api.apiKey);

export interface TaskDetail {
  taskId: string;
  status: string;
  error?: string;
  cause?: string;
  steps: { stepId: string; mapIndex?: number; status: string; attempts: number; error?: string }[];
  attempts: {
    stepId: string;
    mapIndex?: number;
    attempt: number;
    status: string;
    startedAt: string;
    endedAt?: string;
    error?: string;
  }[];
}

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED']);

export async function waitForTask(taskId: string, timeoutMs = 60_000): Promise<TaskDetail> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await request<TaskDetail>('GET', `/tasks/${taskId}`);
    if (TERMINAL.has(body.status)) return body;
    if (Date.now() > deadline) throw new Error(`task ${taskId} still ${body.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export async function registerWorkflow(definition: Record<string, unknown>): Promise<string> {
  const id = `${definition.id}_${RUN}`;
  const { status, body } = await request('POST', '/workflows', { ...definition, id });
  if (status !== 201 && status !== 200) throw new Error(`register ${id}: ${status} ${JSON.stringify(body)}`);
  return id;
}

export async function runTask(workflowId: string, input: unknown = {}): Promise<TaskDetail> {
  const { status, body } = await request<{ taskId: string }>('POST', '/tasks', { workflowId, input });
  if (status !== 201) throw new Error(`start ${workflowId}: ${status} ${JSON.stringify(body)}`);
  return waitForTask(body.taskId);
}
