import { describe, expect, it } from 'vitest';
import { TagFilterSchema, TaskTagsSchema } from '../../../functions/shared/tasks/task-tags';
import * as z from '../../../functions/shared/zod-mini';

describe('task tags', () => {
  it('take up to 10 printable pairs with keys of a-z 0-9 _ . -', () => {
    expect(z.safeParse(TaskTagsSchema, { env: 'prod', 'team.a-1_b': 'x y' }).success).toBe(true);
    const tooMany = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v']));
    expect(z.safeParse(TaskTagsSchema, tooMany).error?.issues[0]?.message).toBe('at most 10 tags');
    expect(z.safeParse(TaskTagsSchema, { env: '\u202Eprod' }).error?.issues[0]?.message).toBe(
      'has control, formatting or line separator characters',
    );
  });

  it('refuse a key by its rule, naming the key, not "Invalid key in record"', () => {
    const issue = z.safeParse(TaskTagsSchema, { Env: 'prod' }).error?.issues[0];
    expect(issue).toMatchObject({ path: ['Env'], message: 'tag keys are 1 to 64 of a-z 0-9 _ . -' });
  });

  it('read a tag=<key>:<value> filter, the key ending at the first colon', () => {
    expect(z.parse(TagFilterSchema, 'url:http://x')).toEqual({ key: 'url', value: 'http://x' });
    expect(z.safeParse(TagFilterSchema, 'novalue').success).toBe(false);
  });
});
