// A client's text as an error message shows it (an unknown field's name, a step id that failed its own
// check): cut to a length a message can carry, its control, format and lone surrogate characters escaped,
// so a 200,000-character key or a bidi override never comes back, or reaches a log, as it was sent.
import type * as z from '../zod-mini';

const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}]/gu;

export function shownText(text: string, max = 64): string {
  const cut = text.length > max ? `${text.slice(0, max)}… (${text.length} characters)` : text;
  return cut.replace(UNPRINTABLE, (char) => `\\u${(char.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`);
}

/**
 * A schema issue as an error names it: the field (its path, an unknown key named in it, shown; undefined
 * for the value itself) and what is wrong (an unknown key is "unknown field": zod's message repeats it).
 */
export function shownIssue(issue: z.core.$ZodIssue): { field: string | undefined; message: string } {
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys.join(', ')] : issue.path;
  return {
    field: path.length > 0 ? shownText(path.map(String).join('.'), 200) : undefined,
    message: issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message,
  };
}
