import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { workflowJsonSchema } from '../../../functions/shared/workflows/definition-docs';
import { WORKFLOW_SCHEMA_FILE } from '../../../functions/shared/workflows/write-schema';

describe('docs/workflow.schema.json', () => {
  const published = JSON.parse(readFileSync(WORKFLOW_SCHEMA_FILE, 'utf8'));

  it('is the JSON Schema generated from the zod schema (regenerate: npx tsx functions/shared/workflows/write-schema.ts)', () => {
    expect(published).toEqual(workflowJsonSchema());
  });

  it('is a valid JSON Schema that accepts the shipped examples', () => {
    const ajv = new Ajv2020({ strict: false });
    const validate = ajv.compile(published);
    const example = JSON.parse(
      readFileSync(new URL('../../../examples/workflows/agent_pipeline.json', import.meta.url), 'utf8'),
    );
    expect(validate(example), ajv.errorsText(validate.errors)).toBe(true);
    expect(validate({ id: 'x', version: 1, name: 'x', steps: [{ id: 'a', type: 'teleport' }] })).toBe(false);
  });
});
