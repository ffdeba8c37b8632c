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
});
