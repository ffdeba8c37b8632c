// Retries a call to a flaky service with capped exponential backoff, the one retry loop every step action
// shares. Backoff follows the AWS Architecture Blog's "full jitter" (delay = random(0, min(cap,
// base * 2^retry))), which spreads out clients that failed together; `jitter: 'none'` gives the plain
// 1 s, 2 s, 4 s sequence of the project defaults. A Retry-After the service sends is a floor (still capped
// by maxDelayMs), since retrying sooner than asked only earns another 429.
import { setTimeout as delay } from 'node:timers/promises';

/** What one attempt produced: a value (which may still be retryable, e.g. an HTTP 503) or a thrown error. */
export type AttemptOutcome<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: unknown };

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface RetryOptions<T> {
  /** Retries after the first attempt. @default 3 */
  readonly maxRetries?: number;
  /** Delay before the first retry, doubled for each further retry. @default 1000 */
  readonly baseDelayMs?: number;
  /** Cap on any single delay, Retry-After included. @default 60000 */
  readonly maxDelayMs?: number;
  /** `full`: random(0, backoff); `none`: exactly the backoff. @default 'full' */
  readonly jitter?: 'full' | 'none';
  /** Whether an outcome is worth another attempt. @default every thrown error, no returned value */
  readonly isRetryable?: (outcome: AttemptOutcome<T>) => boolean;
  /** How long the service asked us to wait (e.g. from a Retry-After header), if it did. */
  readonly retryAfterMs?: (outcome: AttemptOutcome<T>) => number | undefined;
  /** Called before each wait, e.g. to log the retry. */
  readonly onRetry?: (retry: {
    readonly attempt: number;
    readonly delayMs: number;
    outcome: AttemptOutcome<T>;
  }) => void;
  /** @default a real timer, cancelled by `signal` */
  readonly sleep?: Sleep;
  /** A number in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** Stops further attempts (and the current wait): the reason is thrown. */
  readonly signal?: AbortSignal;
}

export interface RetryResult<T> {
  /** The last attempt's value: a success, or a retryable value once the retries ran out. */
  readonly value: T;
  /** Attempts made, the first included. */
  readonly attempts: number;
}

export const RETRY_DEFAULTS = {
  maxRetries: 3,
  baseDelayMs: 1_000,
  maxDelayMs: 60_000,
  jitter: 'full',
} as const;

export const defaultSleep: Sleep = (ms, signal) => delay(ms, undefined, { signal });

/**
 * Calls `fn` (given the 1-based attempt number) until it succeeds, the outcome is not retryable or the
 * retries run out. A thrown error that ends the loop is rethrown as is; a returned value is returned
 * with the attempt count, so the caller decides what an exhausted retryable value (a 503) means.
 */
export async function retryWithBackoff<T>(
  fn: (attempt: number) => Promise<T>,
  options: RetryOptions<T> = {},
): Promise<RetryResult<T>> {
  const maxRetries = options.maxRetries ?? RETRY_DEFAULTS.maxRetries;
  const isRetryable = options.isRetryable ?? ((outcome) => !outcome.ok);
  const sleep = options.sleep ?? defaultSleep;
  const { signal } = options;
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    let outcome: AttemptOutcome<T>;
    try {
      outcome = { ok: true, value: await fn(attempt) };
    } catch (error) {
      outcome = { ok: false, error };
    }
    if (attempt > maxRetries || !isRetryable(outcome) || signal?.aborted) {
      if (outcome.ok) return { value: outcome.value, attempts: attempt };
      throw outcome.error;
    }
    const delayMs = backoffDelayMs(attempt - 1, options, options.retryAfterMs?.(outcome));
    options.onRetry?.({ attempt, delayMs, outcome });
    await sleep(delayMs, signal);
  }
}

/** The wait before retry number `retryIndex + 1` (0-based: the first retry waits about baseDelayMs). */
export function backoffDelayMs(
  retryIndex: number,
  options: Pick<RetryOptions<unknown>, 'baseDelayMs' | 'maxDelayMs' | 'jitter' | 'random'> = {},
  retryAfterMs?: number,
): number {
  const base = options.baseDelayMs ?? RETRY_DEFAULTS.baseDelayMs;
  const cap = options.maxDelayMs ?? RETRY_DEFAULTS.maxDelayMs;
  const ceiling = Math.min(cap, base * 2 ** retryIndex);
  const backoff =
    (options.jitter ?? RETRY_DEFAULTS.jitter) === 'full'
      ? Math.floor((options.random ?? Math.random)() * ceiling)
      : ceiling;
  return retryAfterMs === undefined ? backoff : Math.min(cap, Math.max(backoff, retryAfterMs));
}

/**
 * Parses an HTTP Retry-After value, delay-seconds or an HTTP-date (RFC 9110 §10.2.3), into milliseconds
 * from `nowMs`. Anything unparseable is ignored rather than trusted; a date in the past means 0.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.ceil(Number(text) * 1000);
  // Every HTTP-date form starts with a day name; Date.parse alone would accept "-1" as a year.
  const at = /^[A-Za-z]{3}/.test(text) ? Date.parse(text) : Number.NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** 408 Request Timeout, 429 Too Many Requests and every 5xx: the statuses a retry can fix. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * A fetch failure worth retrying: our own timeout (AbortSignal.timeout rejects with a `TimeoutError`) or
 * a network error (undici rejects with `TypeError: fetch failed`). A deliberate abort is not.
 */
export function isTransientFetchError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return error.name === 'TimeoutError' || (error.name === 'TypeError' && error.message === 'fetch failed');
}
