// Every shipped example runs to SUCCEEDED over HTTP with its shipped example input (examples/inputs/); an
// example with approval steps has each approval approved by the suite's key as it comes up.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readExampleInput } from '../../bin/cli/example-input';
import { registerWorkflow, request, type TaskDetail } from './http-client';

const dir = new URL('../../examples/workflows/', import.meta.url);
const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED']);

/** Starts a task and waits for its end, approving every approval it waits on meanwhile. */
async function runApproving(workflowId: string, input: unknown): Promise<TaskDetail> {
  const started = await request<{ taskId: string }>('POST', '/tasks', { workflowId, input });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  const { taskId } = started.body;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { body: task } = await request<TaskDetail>('GET', `/tasks/${taskId}`);
    if (TERMINAL.has(task.status)) return task;
    if (Date.now() > deadline) throw new Error(`task ${taskId} still ${task.status}`);
    const { body: pending } = await request<{ items: { stepId: string; mapIndex?: number }[] }>(
      'GET',
      `/tasks/${taskId}/approvals?status=PENDING`,
    );
    for (const { stepId, mapIndex } of pending.items) {
      const query = mapIndex === undefined ? '' : `?mapIndex=${mapIndex}`;
      const decided = await request('POST', `/tasks/${taskId}/approvals/${stepId}${query}`, {
        decision: 'approve',
        comment: 'approved by the e2e suite',
      });
      expect(decided.status, JSON.stringify(decided.body)).toBe(200);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('the shipped examples over HTTP', () => {
  // An example with agent steps needs a worker of its type: the worker e2e tests run those with one.
  const withoutWorkers = readdirSync(dir).filter(
    (name) => name.endsWith('.json') && !readFileSync(new URL(name, dir), 'utf8').includes('"type": "agent"'),
  );
  for (const file of withoutWorkers) {
    const id = file.replace(/\.json$/, '');
    it(`runs ${id} to SUCCEEDED with its example input`, async () => {
      const workflowId = await registerWorkflow(JSON.parse(readFileSync(new URL(file, dir), 'utf8')));
      const task = await runApproving(workflowId, await readExampleInput(id));
      expect(task.status, JSON.stringify(task)).toBe('SUCCEEDED');
      expect(task.steps.length).toBeGreaterThan(0);
      for (const step of task.steps) expect(['SUCCEEDED', 'SKIPPED']).toContain(step.status);
    });
  }

  it('publishes the report with who approved it', async () => {
    const workflowId = await registerWorkflow(
      JSON.parse(readFileSync(new URL('publish_report.json', dir), 'utf8')),
    );
    const task = await runApproving(workflowId, await readExampleInput('publish_report'));
    const { body } = await request<{ output: { publish: { output: Record<string, unknown> } } }>(
      'GET',
      `/tasks/${task.taskId}`,
    );
    expect(body.output.publish.output).toMatchObject({
      report: expect.stringMatching(/^Summary: Write the report Q3 2026/),
      approvedBy: expect.any(String),
      comment: 'approved by the e2e suite',
    });
  });
});
