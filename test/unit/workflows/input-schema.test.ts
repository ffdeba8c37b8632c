import { describe, expect, it } from 'vitest';
import {
  compileInputSchema,
  InvalidInputSchemaError,
} from '../../../functions/shared/workflows/input-schema';

const failure = (schema: Record<string, unknown>) => {
  try {
    compileInputSchema(schema);
  } catch (error) {
    if (error instanceof InvalidInputSchemaError) return { field: error.field, message: error.message };
    throw error;
  }
  return undefined;
};

describe('compileInputSchema', () => {
  it.each([
    ['an invalid pattern', { pattern: '(' }],
    ['a dangling local $ref', { $ref: '#/nope' }],
    ['a remote $ref (nothing is fetched)', { $ref: 'https://example.com/schema.json' }],
    ['an unknown type', { type: 'banana' }],
  ])('refuses %s, naming inputSchema', (_name, schema) => {
    expect(failure(schema)).toMatchObject({ field: 'inputSchema' });
  });

  it('refuses a draft other than 2020-12, naming inputSchema.$schema', () => {
    expect(failure({ $schema: 'http://json-schema.org/draft-07/schema#' })).toMatchObject({
      field: 'inputSchema.$schema',
    });
    expect(
      failure({ $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object' }),
    ).toBeUndefined();
  });

  it('compiles two schemas with the same $id independently (no registry shared across orgs)', () => {
    const first = compileInputSchema({ $id: 'https://x/s', type: 'object', required: ['a'] });
    const second = compileInputSchema({ $id: 'https://x/s', type: 'object', required: ['b'] });
    expect(first({ a: 1 })).toBe(true);
    expect(second({ a: 1 })).toBe(false);
  });

  it('validates formats as at task start (ajv-formats)', () => {
    const validate = compileInputSchema({ type: 'string', format: 'email' });
    expect(validate('someone@example.com')).toBe(true);
    expect(validate('nope')).toBe(false);
  });
});
