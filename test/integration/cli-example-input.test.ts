// `stepwise tasks start <workflow> --example` run as a user runs it, against the embedded stack.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';

const endpoints = inject('endpoints');
const credentials = inject('credentials');
const run = promisify(execFile);
const root = new URL('../../', import.meta.url);

function stepwise(...args: string[]) {
  return run(
    process.execPath,
    ['--import', 'tsx', 'bin/stepwise.ts', ...args, '--url', endpoints.api, '--api-key', credentials.apiKey],
    { cwd: root },
  );
}

describe('stepwise tasks start --example', () => {
  it('starts the workflow with its shipped example input', async () => {
    const definition = readFileSync(new URL('examples/workflows/basic_sequence.json', root), 'utf8');
    const registered = await fetch(`${endpoints.api}/workflows`, {
      method: 'POST',
      headers: { authorization: `Bearer ${credentials.apiKey}`, 'content-type': 'application/json' },
      body: definition,
    });
    expect([200, 201]).toContain(registered.status);

    const { stdout } = await stepwise('tasks', 'start', 'basic_sequence', '--example');
    const task = JSON.parse(stdout) as { workflowId: string; input: unknown };
    expect(task.workflowId).toBe('basic_sequence');
    expect(task.input).toEqual(
      JSON.parse(readFileSync(new URL('examples/inputs/basic_sequence.json', root), 'utf8')),
    );
  });

  it('exits 1 with one clear line when the workflow has no example input', async () => {
    const failed = await stepwise('tasks', 'start', 'no_such_workflow', '--example').catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr).toBe(
      'error: No example input for workflow "no_such_workflow" (examples/inputs/no_such_workflow.json); examples ' +
        'with one: agent_pipeline, basic_sequence, company_research, conditional_workflow, data_pipeline, parallel_processing, ' +
        'publish_report. ' +
        'Pass --input instead.\n',
    );
  });
});
