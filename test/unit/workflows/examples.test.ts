import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileExamples } from '../../../functions/shared/workflows/write-example-asl';
import { validateAsl } from './asl-helpers';

describe('example workflows', () => {
  const examples = compileExamples();

  it('ships the five examples', () => {
    expect(examples.map((e) => e.id)).toEqual([
      'agent_pipeline',
      'basic_sequence',
      'conditional_workflow',
      'data_pipeline',
      'parallel_processing',
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
