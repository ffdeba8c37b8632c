// Free text a person writes and others read (an approval's comment, a workflow's description): line
// breaks and tabs are fine, and so is any other character a text may hold (emoji, their joiners), but not
// control characters, nor the bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069),
// which make a text read otherwise than it is stored, in the console, a terminal, an alert.
import * as z from '../zod-mini';

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
