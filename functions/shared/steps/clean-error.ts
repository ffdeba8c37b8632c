// The one shape of a step error that users see, on attempt and step records, in a continueOnError step's
// result and as a task's error and cause: `{ error: <name>, message: <text> }`, stored as `error` and
// `cause`. No stack trace, no server path, no Lambda error JSON. A step-runner error reaches Step
// Functions as Error = the error's name and Cause = the Lambda runtime's JSON
// `{"errorType","errorMessage","trace":[<stack lines>]}`; `cleanCause` turns such a Cause into its
// message, and scrubs any other text the same way.

export interface CleanError {
  /** The error name, as ASL Retry/Catch matches it (`HttpClientError`, `States.Timeout`, ...). */
  readonly error: string;
  /** What went wrong, for people: one line, no stack trace or server path. */
  readonly message: string;
}

/** Longer messages are cut: a cause is for reading, and the task record has a size budget. */
export const MAX_MESSAGE_CHARS = 2_000;

/** A V8 stack frame line (indented): `    at fn (/var/task/index.mjs:1:2)`, `    at /work/x.ts:3:4`. */
const STACK_FRAME = /^[ \t]+at .*$/gm;
/**
 * Server paths: `file:` URLs, and absolute paths starting a word (so not a URL's path) that are under a
 * system or home root or name a source file. A user's own `/orders/42` in a message stays as it is.
 */
const SERVER_PATH =
  /file:\/\/\S+|(?<=^|[\s'"(=[,])\/(?:(?:var|opt|tmp|home|usr|work|srv|root|etc|proc|Users)\/[^\s'")\],]*|(?:[\w.@+-]+\/)*[\w.@+-]+\.(?:[cm]?[jt]sx?|json|node)(?::\d+)*)/g;

/** A thrown value as `{ error, message }`. */
export function cleanError(thrown: unknown): CleanError {
  if (thrown instanceof Error) {
    return { error: thrown.name || 'Error', message: cleanMessage(thrown.message) };
  }
  return { error: 'Error', message: cleanMessage(String(thrown)) };
}

/**
 * A Step Functions Cause as the message alone: the `errorMessage` of a Lambda error JSON, or the text
 * itself (a Fail state's, a worker's SendTaskFailure cause, an already clean cause), scrubbed.
 */
export function cleanCause(cause: string | null | undefined): string | undefined {
  if (cause === null || cause === undefined || cause === '') return undefined;
  return cleanMessage(lambdaErrorMessage(cause) ?? cause);
}

/** Drops stack frames, replaces server paths with `<path>`, keeps one line of bounded length. */
export function cleanMessage(text: string): string {
  const line = text
    .replace(STACK_FRAME, '')
    .replace(SERVER_PATH, '<path>')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
  return line.length <= MAX_MESSAGE_CHARS ? line : `${line.slice(0, MAX_MESSAGE_CHARS - 1)}…`;
}

/** The message of the Lambda runtime's error JSON (also a timeout's, which has no errorType). */
function lambdaErrorMessage(cause: string): string | undefined {
  if (!cause.startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(cause) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    const { errorMessage } = parsed as { errorMessage?: unknown };
    return typeof errorMessage === 'string' ? errorMessage : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What the step runner throws for a failed attempt: the error's own name (what ASL Retry/Catch match)
 * and its clean message. The Lambda runtime sends `stack` to Step Functions as the Cause's `trace`, so
 * the stack is only the headline; the original error, stack and all, stays as `cause` for the logs.
 */
export class StepFailure extends Error {
  override name: string;
  constructor(clean: CleanError, options?: ErrorOptions) {
    super(clean.message, options);
    this.name = clean.error;
    this.stack = `${clean.error}: ${clean.message}`;
  }
}
