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

  it('refuses a schema whose references loop without reading deeper into the input, naming inputSchema', () => {
    for (const schema of [
      { $ref: '#' },
      { allOf: [{ $ref: '#' }] },
      { $defs: { a: { $ref: '#/$defs/a' } }, $ref: '#/$defs/a' },
    ]) {
      expect(() => compileInputSchema(schema), JSON.stringify(schema)).toThrow(
        expect.objectContaining({ field: 'inputSchema', message: expect.stringMatching(/refers to itself/) }),
      );
    }
    // Recursion through the input is bounded by the input and fine.
    const tree = compileInputSchema({ type: 'object', properties: { child: { $ref: '#' } } });
    expect(tree({ child: { child: {} } })).toBe(true);
  });

  it('refuses $dynamicRef and $dynamicAnchor (not implemented by the validator), naming inputSchema', () => {
    expect(failure({ $dynamicRef: '#meta' })).toMatchObject({
      field: 'inputSchema',
      message: expect.stringContaining('$dynamicRef at #, which is not supported'),
    });
    expect(failure({ properties: { a: { $dynamicAnchor: 'x' } } })).toMatchObject({
      message: expect.stringContaining('$dynamicAnchor at #/properties/a'),
    });
  });

  it.each([
    ['a negative minLength', { minLength: -1 }, '#/minLength'],
    ['a multipleOf of 0', { multipleOf: 0 }, '#/multipleOf'],
    ['required that is not a list of names', { required: 'a' }, '#/required'],
    ['a subschema that is not a schema', { properties: { a: 3 } }, '#/properties/a'],
    ['an empty anyOf', { anyOf: [] }, '#/anyOf'],
    [
      'a dangling $ref deep in the schema',
      { properties: { a: { items: { $ref: '#/$defs/x' } } } },
      '#/properties/a/items',
    ],
  ])('refuses %s, naming inputSchema and where', (_name, schema, where) => {
    expect(failure(schema)).toMatchObject({ field: 'inputSchema', message: expect.stringContaining(where) });
  });

  it('leaves the schema it was given as it was (the validator marks its own copy)', () => {
    const schema = { $defs: { a: { type: 'string' } }, properties: { x: { $ref: '#/$defs/a' } } };
    const before = JSON.stringify(schema);
    compileInputSchema(schema)({ x: 1 });
    expect(JSON.stringify(schema)).toBe(before);
    expect(Object.getOwnPropertyNames(schema.properties.x)).toEqual(['$ref']);
  });

  it('reads multipleOf with decimals as decimal arithmetic, not binary floating point', () => {
    const validate = compileInputSchema({ type: 'number', multipleOf: 0.1 });
    expect([0.3, 0.7, 4.2, 1].map((n) => validate(n))).toEqual([true, true, true, true]);
    expect(validate(0.35)).toBe(false);
    expect(compileInputSchema({ multipleOf: 0.01 })(4.18)).toBe(true);
  });

  it('validates formats as at task start', () => {
    const validate = compileInputSchema({ type: 'string', format: 'email' });
    expect(validate('someone@example.com')).toBe(true);
    expect(validate('nope')).toBe(false);
  });

  it('refuses an unknown format, naming inputSchema and the format, wherever it is', () => {
    expect(failure({ format: 'nope' })).toMatchObject({
      field: 'inputSchema',
      message: expect.stringMatching(/unknown format "nope".*known formats: .*email/),
    });
    expect(failure({ type: 'object', properties: { a: { $defs: {}, format: 'emial' } } })).toMatchObject({
      field: 'inputSchema',
      message: expect.stringContaining('"emial" at #/properties/a'),
    });
  });

  it('ignores unknown keywords other than format (JSON Schema reads them as annotations)', () => {
    const validate = compileInputSchema({
      type: 'object',
      'x-ui': { widget: 'textarea' },
      properties: { format: { type: 'string', description: 'a property named format' } },
    });
    expect(validate({ format: 'anything' })).toBe(true);
    expect(validate({ format: 1 })).toBe(false);
  });

  it('compiles patternProperties next to properties without running the patterns on a backtracking engine', () => {
    const name = `${'a'.repeat(40)}!`;
    const validate = compileInputSchema({
      type: 'object',
      properties: { [name]: { type: 'string' }, aa: { type: 'string' } },
      patternProperties: { '^(a+)+$': { minLength: 2 } },
    });
    expect(validate({ [name]: 'x', aa: 'xy' })).toBe(true);
    expect(validate({ aa: 'x' })).toBe(false);
  });

  it('runs a catastrophic-backtracking pattern in linear time (a backtracking engine would take hours here)', () => {
    const validate = compileInputSchema({ type: 'string', pattern: '^(a+)+$' });
    expect(validate(`${'a'.repeat(60)}!`)).toBe(false);
    expect(validate('aaaa')).toBe(true);
    const keys = compileInputSchema({ type: 'object', patternProperties: { '^(x+)+$': { type: 'number' } } });
    expect(keys({ [`${'x'.repeat(60)}!`]: 'any' })).toBe(true);
    expect(keys({ xxx: 'not a number' })).toBe(false);
  });

  it('refuses a pattern that cannot run in linear time (a backreference), naming inputSchema', () => {
    expect(failure({ type: 'string', pattern: '^(a+)\\1$' })).toMatchObject({
      field: 'inputSchema',
      message: expect.stringMatching(/linear time/),
    });
  });

  it('refuses a count past 16, which the linear engine cannot run, saying so; one of 16 runs', () => {
    for (const pattern of ['^[a-z]{2,64}$', '^a{17}$', '^.{1,200}$', '^(a{0,4}){0,8}$']) {
      expect(failure({ type: 'string', pattern }), pattern).toMatchObject({
        field: 'inputSchema',
        message: expect.stringMatching(/counted repetitions past 16/),
      });
    }
    const upTo16 = compileInputSchema({ type: 'string', pattern: '^[a-z]{0,16}-\\d{16}$' });
    expect(upTo16(`abc-${'1'.repeat(16)}`)).toBe(true);
    expect(upTo16(`abc-${'1'.repeat(15)}`)).toBe(false);
  });
});
