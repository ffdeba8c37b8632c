import { describe, expect, it } from 'vitest';
import { parseWith } from '../../../functions/shared/api/parse-input';
import { shownText } from '../../../functions/shared/http/shown-text';
import { validateWorkflow } from '../../../functions/shared/workflows/validate-workflow';
import * as z from '../../../functions/shared/zod-mini';

describe("a client's text in an error message", () => {
  it('is cut to a length a message carries, saying how long it was', () => {
    expect(shownText('short')).toBe('short');
    expect(shownText('k'.repeat(200_000))).toBe(`${'k'.repeat(64)}… (200000 characters)`);
  });

  it('has its control, format and lone surrogate characters escaped', () => {
    expect(shownText('a\u0000b\u202Ec\uD800')).toBe('a\\u0000b\\u202ec\\ud800');
  });

  it('is so shown for an unknown body key and in a workflow definition', () => {
    const key = `x${'y'.repeat(200_000)}\u202E`;
    let message = '';
    try {
      parseWith(z.strictObject({ a: z.optional(z.string()) }), { [key]: 1 }, 'body');
    } catch (error) {
      message = `${(error as Error).message} ${JSON.stringify(error)}`;
    }
    expect(message).toContain('Invalid body');
    expect(message.length).toBeLessThan(2_000);
    const shown = (raw: unknown) => {
      const checked = validateWorkflow(raw);
      return checked.ok ? '' : JSON.stringify(checked.errors);
    };
    const step = (extra: object) => ({ id: 'a', type: 'transform', params: { expression: '1' }, ...extra });
    const wf = (extra: object) => ({ id: 'w', version: 1, name: 'w', steps: [step(extra)] });
    for (const raw of [
      wf({ when: { path: '$.input.x', equals: 1, [key]: 1 } }),
      wf({ params: { expression: '1', [key]: 1, [`${key}.$`]: '$.input' } }),
      wf({ params: { expression: `$match(t, /(a)\\1${key}/)` } }),
    ]) {
      const errors = shown(raw);
      expect(errors).not.toBe('');
      expect(errors.length).toBeLessThan(2_000);
      expect(errors).not.toContain('\u202E');
    }
    const result = validateWorkflow({
      id: 'w',
      version: 1,
      name: 'w',
      steps: [{ id: key, type: 'transform' }],
    });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(JSON.stringify(result.errors).length).toBeLessThan(2_000);
      expect(JSON.stringify(result.errors)).not.toContain('\u202E');
    }
  });
});
