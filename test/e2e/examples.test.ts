import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { registerWorkflow, runTask } from './http-client';

const dir = new URL('../../examples/workflows/', import.meta.url);
const inputs: Record<string, unknown> = {
  basic_sequence: { text: 'hello world' },
  parallel_processing: { numbers: [1, 2, 3, 4] },
  conditional_workflow: { mode: 'thorough', items: [3, 1, 2] },
  data_pipeline: {
    records: [
      { id: 1, amount: 10 },
      { id: 2, amount: 5 },
    ],
  },
  agent_pipeline: { market: 'solar installers in Spain', count: 3 },
};

describe('the shipped examples over HTTP', () => {
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.json'))) {
    const id = file.replace(/\.json$/, '');
    it(`runs ${id} to SUCCEEDED`, async () => {
      const workflowId = await registerWorkflow(JSON.parse(readFileSync(new URL(file, dir), 'utf8')));
      const task = await runTask(workflowId, inputs[id]);
      expect(task.status, JSON.stringify(task)).toBe('SUCCEEDED');
      expect(task.steps.length).toBeGreaterThan(0);
      for (const step of task.steps) expect(['SUCCEEDED', 'SKIPPED']).toContain(step.status);
    });
  }
});
