// The `http` step action: one HTTP call with a timeout per attempt, retried with backoff on 429, 5xx,
// timeouts and network errors (honouring Retry-After), returning a JSON-friendly summary of the response
// for the next step. `fetchWithRetry` is the same loop for other actions that speak HTTP (the
// OpenAI-compatible LLM provider), so there is one implementation of "call a flaky HTTP service". Every
// call goes through the outbound-address guard (outbound/guarded-fetch.ts); a refused address fails at
// once with OutboundAddressRefused, never retried.

import {
  defaultSleep,
  isRetryableStatus,
  isTransientFetchError,
  parseRetryAfter,
  type RetryOptions,
  retryWithBackoff,
  type Sleep,
} from '../retry/retry-with-backoff';
import { MAX_RUNNABLE_STEP_TIMEOUT_SECONDS } from '../workflows/limits';
import * as z from '../zod-mini';
import {
  HttpClientError,
  HttpRequestError,
  HttpStatusError,
  HttpTimeoutError,
  isClientErrorStatus,
} from './errors';
import {
  describeUrl,
  guardedFetch,
  type OutboundPolicy,
  type OutboundRequestInit,
} from './outbound/guarded-fetch';
import { parseStepParams } from './step-params';

/** Bodies larger than this are returned as a truncated text preview (Step Functions state limit: 256 KiB). */
export const MAX_OUTPUT_BODY_BYTES = 64 * 1024;
/** Appended to a cut body, so a reader of the step output (or the next step) sees it is incomplete. */
export const TRUNCATION_MARKER = `…[truncated: body larger than ${MAX_OUTPUT_BODY_BYTES} bytes]`;
const ERROR_PREVIEW_CHARS = 300;
const DEFAULT_TIMEOUT_MS = 30_000;

/** Response headers worth passing to the next step; the rest are noise (or cookies). */
const KEPT_HEADERS = [
  'cache-control',
  'content-length',
  'content-type',
  'date',
  'etag',
  'last-modified',
  'location',
  'retry-after',
  'x-amzn-requestid',
  'x-request-id',
];

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
const StatusSchema = z.int().check(z.gte(100), z.lte(599));

/** In-step retry settings a step may override (the ASL Retry of the step is a separate, outer loop). */
export const RetryParamsSchema = z.strictObject({
  maxRetries: z.optional(z.int().check(z.gte(0), z.lte(10))),
  baseDelayMs: z.optional(z.int().check(z.gte(0), z.lte(60_000))),
  maxDelayMs: z.optional(z.int().check(z.gte(0), z.lte(300_000))),
  jitter: z.optional(z.enum(['full', 'none'])),
});

export type RetryParams = z.infer<typeof RetryParamsSchema>;

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HEADER_VALUE = /^[^\0\r\n\u0100-\uffff]*$/;

export const HttpParamsSchema = z
  .strictObject({
    method: z._default(
      z.pipe(
        z.pipe(
          z.string(),
          z.transform((method) => method.toUpperCase()),
        ),
        z.enum(METHODS),
      ),
      'GET',
    ),
    url: z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' }),
    // What fetch's Headers takes, checked here so a bad one is InvalidStepParams naming `headers` (not a
    // TypeError from fetch, which is retried): a token name, a value of Latin-1 without CR, LF or NUL.
    headers: z.optional(
      z.record(
        z.string().check(z.regex(HEADER_NAME, "must be a header name (letters, digits and !#$%&'*+-.^_`|~)")),
        z
          .string()
          .check(
            z.regex(HEADER_VALUE, 'must be a header value: no line breaks, NUL or characters past U+00FF'),
          ),
      ),
    ),
    /** An object or array is sent as JSON; a string as is. */
    body: z.optional(z.unknown()),
    query: z.optional(
      z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.array(z.string())])),
    ),
    /** Statuses that count as success. @default any 2xx */
    expectedStatus: z.optional(z.union([StatusSchema, z.array(StatusSchema).check(z.minLength(1))])),
    // At most the longest a runnable step may take (limits.ts): a longer request could never end in time.
    timeoutMs: z._default(
      z.int().check(z.gte(1), z.lte(MAX_RUNNABLE_STEP_TIMEOUT_SECONDS * 1000)),
      DEFAULT_TIMEOUT_MS,
    ),
    retry: z.optional(RetryParamsSchema),
  })
  .check(
    z.refine((params) => params.body === undefined || (params.method !== 'GET' && params.method !== 'HEAD'), {
      path: ['body'],
      message: 'is not allowed with GET or HEAD',
    }),
  );

export type HttpParams = z.input<typeof HttpParamsSchema>;

export interface HttpDeps {
  /** Hosts allowlisted by the deployment, and the resolver (tests fake it). @default none, system DNS */
  readonly outbound?: OutboundPolicy;
  readonly sleep?: Sleep;
  readonly random?: () => number;
  /** Wall clock in ms (durations, Retry-After dates). @default Date.now */
  readonly now?: () => number;
  /** Aborts the call and any retry wait, e.g. shortly before the Lambda runs out of time. */
  readonly signal?: AbortSignal;
}

export interface HttpActionResult {
  readonly status: number;
  readonly headers: Record<string, string>;
  /** Parsed JSON for a JSON response, else text; beyond 64 KiB, the first 64 KiB as text + TRUNCATION_MARKER. */
  readonly body: unknown;
  readonly bodyTruncated?: true;
  readonly attempts: number;
  readonly durationMs: number;
}

export async function runHttpAction(params: HttpParams, deps: HttpDeps = {}): Promise<HttpActionResult> {
  const p = parseStepParams('http', HttpParamsSchema, params);
  const url = new URL(p.url);
  for (const [name, value] of Object.entries(p.query ?? {})) {
    for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(name, String(item));
  }
  const headers = new Headers(p.headers);
  let body: string | undefined;
  if (typeof p.body === 'string') body = p.body;
  else if (p.body !== undefined) {
    body = JSON.stringify(p.body);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  }
  const isExpected = expectedStatusMatcher(p.expectedStatus);
  const response = await fetchWithRetry(
    {
      url: url.toString(),
      init: { method: p.method, headers, body },
      timeoutMs: p.timeoutMs,
      isExpected,
      retry: p.retry,
      maxBodyBytes: MAX_OUTPUT_BODY_BYTES,
    },
    deps,
  );
  if (!isExpected(response.status)) {
    // A 4xx the step did not expect fails the same way every time: named so the ASL does not retry it.
    const StatusError = isClientErrorStatus(response.status) ? HttpClientError : HttpStatusError;
    throw new StatusError(
      response.status,
      describeUrl(url),
      response.attempts,
      response.text.slice(0, ERROR_PREVIEW_CHARS),
    );
  }
  return {
    status: response.status,
    headers: keptHeaders(response.headers),
    body: response.truncated
      ? `${response.text}${TRUNCATION_MARKER}`
      : parseBody(response.text, response.headers.get('content-type')),
    ...(response.truncated && { bodyTruncated: true as const }),
    attempts: response.attempts,
    durationMs: response.durationMs,
  };
}

export interface FetchWithRetryRequest {
  readonly url: string;
  readonly init: Omit<OutboundRequestInit, 'signal'>;
  readonly timeoutMs: number;
  /** Statuses the caller wants as they are; such a status is never retried, even a 503. */
  readonly isExpected?: (status: number) => boolean;
  readonly retry?: RetryParams;
  /** Read at most this much of the body; the rest is discarded and `truncated` set. */
  readonly maxBodyBytes: number;
}

export interface FetchedResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly truncated: boolean;
  readonly attempts: number;
  readonly durationMs: number;
}

/**
 * Fetches with a timeout per attempt (covering the body too) and retries 429, 5xx, timeouts and network
 * errors. Returns the last response whatever its status; throws HttpTimeoutError or HttpRequestError when
 * the last attempt got no response.
 */
export async function fetchWithRetry(
  request: FetchWithRetryRequest,
  deps: HttpDeps = {},
): Promise<FetchedResponse> {
  const now = deps.now ?? Date.now;
  const isExpected = request.isExpected ?? (() => false);
  const startedAt = now();
  let attempts = 0;
  const options: RetryOptions<Omit<FetchedResponse, 'attempts' | 'durationMs'>> = {
    ...request.retry,
    sleep: deps.sleep ?? defaultSleep,
    random: deps.random,
    signal: deps.signal,
    isRetryable: (outcome) =>
      outcome.ok
        ? isRetryableStatus(outcome.value.status) && !isExpected(outcome.value.status)
        : isTransientFetchError(outcome.error),
    retryAfterMs: (outcome) =>
      outcome.ok ? parseRetryAfter(outcome.value.headers.get('retry-after'), now()) : undefined,
  };
  try {
    const { value, attempts: made } = await retryWithBackoff(async () => {
      attempts++;
      const timeout = AbortSignal.timeout(request.timeoutMs);
      const signal = deps.signal ? AbortSignal.any([timeout, deps.signal]) : timeout;
      const response = await guardedFetch(request.url, { ...request.init, signal }, deps.outbound);
      const { text, truncated } = await readLimited(response, request.maxBodyBytes);
      return { status: response.status, headers: response.headers, text, truncated };
    }, options);
    return { ...value, attempts: made, durationMs: now() - startedAt };
  } catch (error) {
    const where = describeUrl(new URL(request.url));
    if (error instanceof Error && error.name === 'TimeoutError') {
      throw new HttpTimeoutError(where, request.timeoutMs, attempts, { cause: error });
    }
    if (isTransientFetchError(error)) throw new HttpRequestError(where, attempts, { cause: error });
    throw error;
  }
}

async function readLimited(
  response: Response,
  maxBytes: number,
): Promise<{ text: string; truncated: boolean }> {
  if (!response.body) return { text: '', truncated: false };
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { text: text + decoder.decode(), truncated: false };
    const room = maxBytes - bytes;
    if (value.byteLength > room) {
      text += decoder.decode(value.subarray(0, room));
      await reader.cancel().catch(() => undefined);
      return { text, truncated: true };
    }
    bytes += value.byteLength;
    text += decoder.decode(value, { stream: true });
  }
}

function expectedStatusMatcher(expected: number | number[] | undefined): (status: number) => boolean {
  if (expected === undefined) return (status) => status >= 200 && status < 300;
  const statuses = new Set(Array.isArray(expected) ? expected : [expected]);
  return (status) => statuses.has(status);
}

function parseBody(text: string, contentType: string | null): unknown {
  if (!contentType || !/[/+]json\b/i.test(contentType) || text === '') return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function keptHeaders(headers: Headers): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const value = headers.get(name);
    if (value !== null) kept[name] = value;
  }
  return kept;
}
