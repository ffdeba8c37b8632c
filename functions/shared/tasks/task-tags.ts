// Task tags: a few key/value labels given at start (`tags: {"env": "prod"}`), stored on the task and
// findable with `tag=env:prod` through an index (one small tag item per pair, see task-store.ts).
// Bounded, because each pair costs an item and two index entries, and keys are restricted to the
// characters a `tag=k:v` filter can carry unambiguously (no `:`).
import { printable } from '../http/free-text';
import * as z from '../zod-mini';

export const MAX_TAGS = 10;
export const TAG_KEY_PATTERN = /^[a-z0-9_.-]{1,64}$/;
const MAX_TAG_VALUE_LENGTH = 128;

export type TaskTags = Readonly<Record<string, string>>;

const TagValueSchema = z.string().check(
  z.minLength(1),
  z.maxLength(MAX_TAG_VALUE_LENGTH),
  // Printable: values are labels lists show.
  printable(),
);

const TAG_KEY_RULE = 'tag keys are 1 to 64 of a-z 0-9 _ . -';

export const TaskTagsSchema = z
  .record(z.string().check(z.regex(TAG_KEY_PATTERN, TAG_KEY_RULE)), TagValueSchema, {
    // A record's refused key says only "Invalid key in record": say the rule.
    error: (issue) => (issue.code === 'invalid_key' ? TAG_KEY_RULE : undefined),
  })
  .check(z.refine((tags) => Object.keys(tags).length <= MAX_TAGS, `at most ${MAX_TAGS} tags`));

/** `tag=<key>:<value>` as a list filter: the key ends at the first colon. */
export const TagFilterSchema = z.pipe(
  z.string(),
  z.transform((value: string, ctx) => {
    const colon = value.indexOf(':');
    const key = value.slice(0, colon);
    const tagValue = value.slice(colon + 1);
    if (colon < 0 || !TAG_KEY_PATTERN.test(key) || !TagValueSchema.safeParse(tagValue).success) {
      ctx.issues.push({
        code: 'custom',
        input: value,
        message: `must be <key>:<value> with a key of 1 to 64 of a-z 0-9 _ . - and a value of 1 to ${MAX_TAG_VALUE_LENGTH} printable characters`,
      });
      return z.NEVER;
    }
    return { key, value: tagValue };
  }),
);

export type TagFilter = { readonly key: string; readonly value: string };
