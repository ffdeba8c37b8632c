// Every shipped example runs to SUCCEEDED over HTTP with its shipped example input (examples/inputs/).
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readExampleInput } from '../../bin/cli/example-input';
import { registerWorkflow, runTask } from './http-client';

const dir = new URL('../../examples/workflows/', import.meta.url);

describe('the shipped examples over HTTP', () => {
  // An example with agent steps needs a worker of its type: the worker e2e tests run those with one.
  const withoutWorkers = readdirSync(dir).filter(
    (name) => name.endsWith('.json') && !readFileSync(new URL(name, dir), 'utf8').includes('"type": "agent"'),
  );
  for (const file of withoutWorkers) {
    const id = file.replace(/\.json$/, '');
    it(`runs ${id} to SUCCEEDED with its example input`, async () => {
      const workflowId = await registerWorkflow(JSON.parse(readFileSync(new URL(file, dir), 'utf8')));
      const task = await runTask(workflowId, await readExampleInput(id));
      expect(task.status, JSON.stringify(task)).toBe('SUCCEEDED');
      expect(task.steps.length).toBeGreaterThan(0);
      for (const step of task.steps) expect(['SUCCEEDED', 'SKIPPED']).toContain(step.status);
    });
  }
});
