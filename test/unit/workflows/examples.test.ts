import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exampleInputIds, NoExampleInput, readExampleInput } from '../../../bin/cli/example-input';
import { InputValidator } from '../../../functions/shared/tasks/input-validator';
import { validateWorkflow } from '../../../functions/shared/workflows/validate-workflow';
import { compileExamples, EXAMPLES_DIR } from '../../../functions/shared/workflows/write-example-asl';
import { validateAsl } from './asl-helpers';

describe('example workflows', () => {
  const examples = compileExamples();

  it('ships the seven examples', () => {
    expect(examples.map((e) => e.id)).toEqual([
      'agent_pipeline',
      'basic_sequence',
      'company_research',
      'conditional_workflow',
      'data_pipeline',
      'parallel_processing',
      'publish_report',
    ]);
  });

  for (const example of examples) {
    it(`${example.id} validates and compiles to valid ASL`, () => {
      const result = validateAsl(example.asl, { checkPaths: true, checkArn: true });
      expect(result.isValid, result.errorsText()).toBe(true);
    });

    it(`statemachines/${example.id}.asl.json is up to date (npx tsx functions/shared/workflows/write-example-asl.ts)`, () => {
      expect(JSON.parse(readFileSync(example.file, 'utf8'))).toEqual(example.asl);
    });
  }
});

describe('example inputs', () => {
  const examples = compileExamples();

  it('ship one per example workflow and no other', async () => {
    expect(await exampleInputIds()).toEqual(examples.map((e) => e.id));
  });

  for (const { id } of examples) {
    it(`examples/inputs/${id}.json is valid against the workflow's inputSchema`, async () => {
      const result = validateWorkflow(JSON.parse(readFileSync(join(EXAMPLES_DIR, `${id}.json`), 'utf8')));
      if (!result.ok) throw new Error(`${id} does not validate`);
      expect(result.definition.inputSchema).toBeDefined();
      const input = await readExampleInput(id);
      expect(new InputValidator().validate(id, result.definition.inputSchema, input)).toEqual([]);
    });
  }

  it('the validator used here rejects an input that breaks a schema, so the check above can fail', async () => {
    const result = validateWorkflow(
      JSON.parse(readFileSync(join(EXAMPLES_DIR, 'basic_sequence.json'), 'utf8')),
    );
    if (!result.ok) throw new Error('basic_sequence does not validate');
    expect(new InputValidator().validate('b', result.definition.inputSchema, { text: '' })).toEqual([
      expect.objectContaining({ field: 'input.text' }),
    ]);
  });

  it('names the examples that have an input when a workflow has none', async () => {
    const error = await readExampleInput('my_workflow').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoExampleInput);
    expect((error as Error).message).toBe(
      'No example input for workflow "my_workflow" (examples/inputs/my_workflow.json); examples with one: ' +
        'agent_pipeline, basic_sequence, company_research, conditional_workflow, data_pipeline, parallel_processing, publish_report. Pass --input instead.',
    );
  });

  it('never reads a path outside the inputs folder', async () => {
    await expect(readExampleInput('../workflows/basic_sequence')).rejects.toBeInstanceOf(NoExampleInput);
  });

  it('reports an example input that is not JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stepwise-inputs-'));
    try {
      writeFileSync(join(dir, 'broken.json'), '{ nope');
      await expect(readExampleInput('broken', dir)).rejects.toThrow(
        /^examples\/inputs\/broken.json is not JSON: /,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
