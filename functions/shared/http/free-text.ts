// Text a client sends that others read or that is compared as sent:
// - free text a person writes (an approval's comment, a workflow's description): line breaks and tabs are
//   fine, and so is any other character a text may hold (emoji, their joiners), but not control
//   characters, nor the bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), which make
//   a text read otherwise than it is stored, in the console, a terminal, an alert;
// - a label or key (an agent id, a tag value, an API key's name, an idempotency key): printable, no
//   control or format characters at all, nor the line and paragraph separators (U+2028, U+2029), which
//   break a label's line in a log, a terminal, an alert.
import * as z from '../zod-mini';

const PRINTABLE = /^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+$/u;

/**
 * The check of a label or key: no control or format characters nor line separators (Unicode Cc, Cf, Zl, Zp,
 * such as U+0007, U+202E or U+2028).
 */
export const printable = () => z.regex(PRINTABLE, 'has control, formatting or line separator characters');

const REFUSED = /[^\P{Cc}\t\n\r]|[\u202A-\u202E\u2066-\u2069]/u;

export const FREE_TEXT_RULE =
  'has control characters or bidi overrides (line breaks and tabs are fine; U+202A-U+202E and U+2066-U+2069 are not)';

/** Free text of `min` to `max` characters. */
export const freeText = (max: number, min = 1) =>
  z.string().check(
    ...(min > 0 ? [z.minLength(min)] : []),
    z.maxLength(max),
    z.refine((text) => !REFUSED.test(text), FREE_TEXT_RULE),
  );
