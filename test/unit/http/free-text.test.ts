import { describe, expect, it } from 'vitest';
import { DecisionRequestSchema } from '../../../functions/shared/approvals/decide-approval';
import { FREE_TEXT_RULE } from '../../../functions/shared/http/free-text';
import { IdempotencyKeySchema } from '../../../functions/shared/tasks/task-service';
import { validateWorkflow } from '../../../functions/shared/workflows/validate-workflow';
import * as z from '../../../functions/shared/zod-mini';

const comment = (text: string) => z.safeParse(DecisionRequestSchema, { decision: 'reject', comment: text });
const described = (description: string) =>
  validateWorkflow({
    id: 'w',
    version: 1,
    name: 'W',
    description,
    steps: [{ id: 'a', type: 'transform', params: { expression: '1' } }],
  });

describe('free text (an approval comment, a workflow description)', () => {
  it('takes line breaks, tabs, emoji and their joiners', () => {
    const text = 'Looks good\n\t- ship it 👨‍👩‍👧 ✔️';
    expect(comment(text).success).toBe(true);
    expect(described(text).ok).toBe(true);
    expect(described('').ok).toBe(true);
  });

  it('refuses control characters and bidi overrides, which make it read otherwise than stored', () => {
    for (const text of ['\u202Eabc', 'a\u2066b', 'nul\u0000', 'bell\u0007']) {
      expect(comment(text).error?.issues[0]?.message, JSON.stringify(text)).toBe(FREE_TEXT_RULE);
      expect(described(text).ok, JSON.stringify(text)).toBe(false);
    }
  });
});

describe('an idempotency key', () => {
  it('is printable: no control or format characters', () => {
    expect(z.safeParse(IdempotencyKeySchema, 'order-42:retry').success).toBe(true);
    for (const key of ['\u202Eabc', 'a\u200Bb', 'tab\there', 'line\u2028break', 'para\u2029graph']) {
      expect(z.safeParse(IdempotencyKeySchema, key).success, JSON.stringify(key)).toBe(false);
    }
  });
});
