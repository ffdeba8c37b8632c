// Errors the built-in step actions throw. Each has a stable `name`, because that is what the step-runner
// Lambda reports to Step Functions as the error, and so what a workflow's ASL Retry/Catch
// (`ErrorEquals`) matches on. Messages are for people; never match on them. Each class is named like the
// error it throws (`class X { name = 'X' }`) so code and ASL say the same thing.

/**
 * Errors of deterministic failures: the same step with the same params fails the same way again, so the
 * compiled ASL never retries them (a `MaxAttempts: 0` retrier ahead of `States.ALL`). Documented in the
 * README ("Retries"); renaming one breaks users' Retry/Catch, so names only ever get added.
 * `OutboundAddressRefused` (the `http` outbound-address guard) and `LambdaNotAllowed` (the `lambda` step
 * allowlist) are thrown by those guards. `TaskEnded` is the step runner's (steps/run-step.ts): the task
 * already ended, so a retry would only find it ended again.
 */
export const NON_RETRYABLE_ERRORS = [
  'HttpClientError',
  'TransformError',
  'InvalidStepParams',
  'UnknownStepType',
  'OutboundAddressRefused',
  'TooManyRedirects',
  'LambdaNotAllowed',
  'LlmClientError',
  'TaskEnded',
] as const;

/** A step's params are invalid; `field` names the offending one (dotted path, e.g. `retry.maxRetries`). */
export class InvalidStepParams extends Error {
  override name = 'InvalidStepParams';
  constructor(
    readonly action: string,
    readonly field: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`Invalid ${action} step params: ${field ? `${field}: ` : ''}${message}`, options);
  }
}

/** The step's type is not one of the built-in actions the step runner has. */
export class UnknownStepType extends Error {
  override name = 'UnknownStepType';
  constructor(
    readonly type: string,
    options?: ErrorOptions,
  ) {
    super(`Unknown step type "${type}" (expected one of http, llm, transform, lambda)`, options);
  }
}

/**
 * An HTTP call ended (after any retries) with a status the step did not expect: a 5xx, 408 or 429 after
 * the in-step retries, or an unexpected 1xx-3xx. Retried by the step's policy.
 */
export class HttpStatusError extends Error {
  override name = 'HttpStatusError';
  constructor(
    readonly status: number,
    readonly url: string,
    readonly attempts: number,
    readonly bodyPreview?: string,
    options?: ErrorOptions,
  ) {
    super(
      `HTTP ${status} from ${url} after ${attempts} attempt${attempts === 1 ? '' : 's'}` +
        (bodyPreview ? `: ${bodyPreview}` : ''),
      options,
    );
  }
}

/** An HTTP call got a 4xx other than 408 and 429 that the step did not expect: never retried. */
export class HttpClientError extends HttpStatusError {
  override name = 'HttpClientError';
}

/** A 4xx other than 408 (Request Timeout) and 429 (Too Many Requests) says the request itself is wrong. */
export const isClientErrorStatus = (status: number) =>
  status >= 400 && status < 500 && status !== 408 && status !== 429;

/** Every attempt of an HTTP call timed out. */
export class HttpTimeoutError extends Error {
  override name = 'HttpTimeoutError';
  constructor(
    readonly url: string,
    readonly timeoutMs: number,
    readonly attempts: number,
    options?: ErrorOptions,
  ) {
    super(
      `No response from ${url} within ${timeoutMs} ms (${attempts} attempt${attempts === 1 ? '' : 's'})`,
      options,
    );
  }
}

/** An HTTP call could not reach the server (DNS, refused or reset connection), after any retries. */
export class HttpRequestError extends Error {
  override name = 'HttpRequestError';
  constructor(
    readonly url: string,
    readonly attempts: number,
    options?: ErrorOptions,
  ) {
    const cause = options?.cause instanceof Error ? (options.cause.cause ?? options.cause) : options?.cause;
    const detail = cause instanceof Error ? cause.message : String(cause ?? 'unknown error');
    super(
      `Request to ${url} failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${detail}`,
      options,
    );
  }
}

/**
 * An outbound call (an `http` step, or a redirect an LLM endpoint answered with) was about to connect to
 * an address the deployment does not allow: loopback, private, link-local (cloud metadata), unique-local,
 * multicast or reserved. Never retried: the same URL resolves to the same kind of address.
 */
export class OutboundAddressRefused extends Error {
  override name = 'OutboundAddressRefused';
  constructor(
    readonly host: string,
    readonly address: string,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(
      `Refused to connect to ${host}${address === host ? '' : ` (${address})`}: ${reason}; ` +
        "the host is not in the deployment's outbound allowlist (OUTBOUND_ALLOWED_HOSTS)",
      options,
    );
  }
}

/** An outbound call was redirected more times than allowed. */
export class TooManyRedirects extends Error {
  override name = 'TooManyRedirects';
  constructor(
    readonly url: string,
    readonly maxRedirects: number,
    options?: ErrorOptions,
  ) {
    super(`${url} redirected more than ${maxRedirects} times`, options);
  }
}

/**
 * An LLM provider refused or failed a chat request (after the retries of the provider or its SDK client).
 * `status` is the HTTP status when there was one; `code` the provider's error type, e.g. Bedrock's
 * `ThrottlingException` or OpenAI's `rate_limit_exceeded`. Retried by the step's policy; a refused request
 * is the LlmClientError subclass, never retried.
 */
export class LlmProviderError extends Error {
  override name = 'LlmProviderError';
  constructor(
    readonly provider: string,
    message: string,
    readonly details: { readonly status?: number; readonly code?: string; readonly attempts?: number } = {},
    options?: ErrorOptions,
  ) {
    super(`${provider}: ${message}`, options);
  }
}

/**
 * An LLM provider refused the request itself: a 4xx other than 408 and 429 from an OpenAI-compatible
 * endpoint (bad API key, unknown model, bad request), or Bedrock's ValidationException,
 * AccessDeniedException or ResourceNotFoundException. Never retried: the same request fails the same way.
 */
export class LlmClientError extends LlmProviderError {
  override name = 'LlmClientError';
}

/** A JSONata expression failed to compile or evaluate. `position` is the character offset, when known. */
export class TransformError extends Error {
  override name = 'TransformError';
  constructor(
    message: string,
    readonly details: { readonly code?: string; readonly position?: number; readonly token?: string } = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * The user's Lambda function returned an error. The error's `name` is the function's own `errorType`
 * (e.g. `ValidationError`), as Step Functions' own Lambda integration reports it, so Retry/Catch written
 * for the function keeps working; without one (a crash or timeout) it is `Lambda.Unknown`.
 */
export class LambdaFunctionError extends Error {
  override name: string;
  constructor(
    readonly functionArn: string,
    readonly errorType: string | undefined,
    message: string,
    readonly trace?: readonly string[],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = errorType || 'Lambda.Unknown';
  }
}

/**
 * A `lambda` step named a function the deployment does not allow for the task's organization
 * (LAMBDA_FUNCTIONS). Deterministic: retrying cannot change the answer.
 */
export class LambdaNotAllowed extends Error {
  override name = 'LambdaNotAllowed';
  constructor(
    readonly functionArn: string,
    readonly orgId: string,
    options?: ErrorOptions,
  ) {
    super(`Function ${functionArn} is not allowed for organization ${orgId}`, options);
  }
}

/** The LLM API key could not be read from its Secrets Manager secret (LLM_API_KEY_SECRET_ARN). */
export class LlmApiKeyUnavailable extends Error {
  override name = 'LlmApiKeyUnavailable';
  constructor(
    readonly secretId: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(`Could not read the LLM API key from ${secretId}: ${reason}`, options);
  }
}
