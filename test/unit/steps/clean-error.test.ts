import { describe, expect, it } from 'vitest';
import { HttpClientError } from '../../../functions/shared/actions/errors';
import {
  cleanCause,
  cleanError,
  MAX_MESSAGE_CHARS,
  StepFailure,
} from '../../../functions/shared/steps/clean-error';

/** The Cause Step Functions records for an error thrown by a Node.js Lambda function. */
const lambdaCause = (error: Error) =>
  JSON.stringify({ errorType: error.name, errorMessage: error.message, trace: error.stack?.split('\n') });

const STACK_FRAME = /\n\s+at |\bat .*:\d+:\d+/;

describe('cleanCause', () => {
  it("turns the Lambda runtime's error JSON into its message, without trace or paths", () => {
    const thrown = new HttpClientError(404, 'https://api.example.com/orders/42', 1, 'not found');
    const raw = lambdaCause(thrown);
    expect(raw).toMatch(STACK_FRAME);
    const cause = cleanCause(raw);
    expect(cause).toBe('HTTP 404 from https://api.example.com/orders/42 after 1 attempt: not found');
  });

  it("keeps a Lambda timeout's message (its JSON has no errorType)", () => {
    expect(
      cleanCause('{"errorMessage":"2026-01-01T00:00:00.000Z 1a2b Task timed out after 3.00 seconds"}'),
    ).toBe('2026-01-01T00:00:00.000Z 1a2b Task timed out after 3.00 seconds');
  });

  it('keeps a plain cause, and gives nothing for none', () => {
    expect(cleanCause('Card declined by the bank')).toBe('Card declined by the bank');
    expect(cleanCause('{"not":"a lambda error"}')).toBe('{"not":"a lambda error"}');
    expect(cleanCause('')).toBeUndefined();
    expect(cleanCause(null)).toBeUndefined();
    expect(cleanCause(undefined)).toBeUndefined();
  });

  it('drops stack frames and replaces server paths in any text', () => {
    const cause = cleanCause(
      "Error: Cannot find module 'x'\nRequire stack:\n- /var/task/index.mjs\n    at load (file:///var/task/index.mjs:1:2)\n    at /work/app/node_modules/a/b.js:3:4",
    );
    expect(cause).toBe("Error: Cannot find module 'x' Require stack: - <path>");
    expect(cleanCause("ENOENT: no such file or directory, open '/home/app/data.json'")).toBe(
      "ENOENT: no such file or directory, open '<path>'",
    );
    expect(cleanCause('failed in /srv/app/dist/handler.js:10:5 while saving')).toBe(
      'failed in <path> while saving',
    );
  });

  it("leaves a user's own paths and URLs alone", () => {
    const text = 'no order at /orders/42 (see https://shop.example.com/v1/orders/42)';
    expect(cleanCause(text)).toBe(text);
  });

  it('keeps a message that merely starts with "at"', () => {
    expect(cleanCause('at least one item is required')).toBe('at least one item is required');
  });

  it(`cuts a message to ${MAX_MESSAGE_CHARS} characters`, () => {
    const cause = cleanCause('x'.repeat(MAX_MESSAGE_CHARS * 2)) ?? '';
    expect(cause).toHaveLength(MAX_MESSAGE_CHARS);
    expect(cause.endsWith('…')).toBe(true);
  });
});

describe('cleanError and StepFailure', () => {
  it('gives the name and the clean message of a thrown value', () => {
    expect(cleanError(new TypeError('boom at /work/app/x.ts:1:2'))).toEqual({
      error: 'TypeError',
      message: 'boom at <path>',
    });
    expect(cleanError('a string')).toEqual({ error: 'Error', message: 'a string' });
  });

  it('throws under the original name, with a stack that is only its headline and the original as cause', () => {
    const original = new HttpClientError(404, 'https://api.example.com/x', 1);
    const failure = new StepFailure(cleanError(original), { cause: original });
    expect(failure.name).toBe('HttpClientError');
    expect(failure.message).toBe('HTTP 404 from https://api.example.com/x after 1 attempt');
    expect(failure.stack).toBe('HttpClientError: HTTP 404 from https://api.example.com/x after 1 attempt');
    expect(failure.cause).toBe(original);
    // What the Lambda runtime makes of it carries no stack frame.
    expect(lambdaCause(failure)).not.toMatch(STACK_FRAME);
  });
});
