import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../functions/shared/http/errors';
import { InputValidator } from '../../../functions/shared/tasks/input-validator';

describe('InputValidator', () => {
  it('answers 400 naming input, not a stack overflow, when a reference loop is reached only through the input', () => {
    // Registration's probe (null, {}, [], '', 0) never enters `a`, so this schema registers.
    const schema = { type: 'object', properties: { a: { $anchor: 'h', $ref: '#h' } } };
    const validator = new InputValidator();
    expect(validator.validate('wf#1', schema, {})).toEqual([]);
    const error = (() => {
      try {
        return validator.validate('wf#1', schema, { a: 1 });
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ details: [{ field: 'input', rule: 'invalid-input-schema' }] });
  });

  it('names each field that does not conform, a missing one by its own name, once', () => {
    const schema = {
      type: 'object',
      required: ['name'],
      properties: {
        count: { type: 'integer' },
        tags: { type: 'array', items: { type: 'string' } },
        'a/b': { $ref: '#/$defs/short' },
      },
      $defs: { short: { type: 'string', maxLength: 2 } },
    };
    const problems = new InputValidator().validate('wf#2', schema, {
      count: 'three',
      tags: ['x', 1],
      'a/b': 'long',
    });
    expect(problems.map((problem) => problem.field).sort()).toEqual([
      'input.a/b',
      'input.count',
      'input.name',
      'input.tags.1',
    ]);
    expect(problems.find((problem) => problem.field === 'input.name')?.message).toBe(
      'input.name is required',
    );
    expect(problems.find((problem) => problem.field === 'input.count')?.message).toMatch(
      /^input\.count: .*integer/,
    );
    expect(new InputValidator().validate('wf#2', schema, { name: 'n', count: 3 })).toEqual([]);
  });
});
