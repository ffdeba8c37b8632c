// Errors a client can cause, each with its HTTP status, mapped to a response in one place. Anything
// else is our fault: a 500 with no detail, logged with its stack.
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

export interface ErrorDetail {
  readonly field?: string;
  readonly stepId?: string;
  readonly rule?: string;
  readonly message: string;
}

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: readonly ErrorDetail[],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = code;
  }
}

export class BadRequestError extends HttpError {
  constructor(message: string, details?: readonly ErrorDetail[], options?: ErrorOptions) {
    super(400, 'BadRequest', message, details, options);
  }
}

export class ValidationError extends HttpError {
  constructor(message: string, details: readonly ErrorDetail[]) {
    super(400, 'ValidationError', message, details);
  }
}

/** 401: no usable credential. The response carries `WWW-Authenticate: Bearer` (RFC 6750). */
export class UnauthorizedError extends HttpError {
  constructor(reason = 'missing or invalid credentials') {
    super(401, 'Unauthorized', `Authorization: ${reason}`, [
      { field: 'Authorization', rule: 'credentials', message: reason },
    ]);
  }
}

/** 403: authenticated, but the role is too low; names the role needed when known. */
export class ForbiddenError extends HttpError {
  constructor(reason: string, requiredRole?: string) {
    super(403, 'Forbidden', reason, [
      { rule: 'role', message: requiredRole ? `needs the ${requiredRole} role` : reason },
    ]);
  }
}

export class NotFoundError extends HttpError {
  constructor(message: string) {
    super(404, 'NotFound', message);
  }
}

export class ConflictError extends HttpError {
  constructor(message: string, details?: readonly ErrorDetail[]) {
    super(409, 'Conflict', message, details);
  }
}

export class PayloadTooLargeError extends HttpError {
  constructor(limitBytes: number) {
    super(413, 'PayloadTooLarge', `Request body exceeds ${limitBytes} bytes`);
  }
}

/** A well-formed request that cannot be done as asked, e.g. an idempotency key reused for another request. */
export class UnprocessableError extends HttpError {
  constructor(message: string, details: readonly ErrorDetail[], code = 'Unprocessable') {
    super(422, code, message, details);
  }
}

/** A field that fits the request body limit but makes Step Functions' execution input too large. */
export class ExecutionInputTooLargeError extends HttpError {
  constructor(field: string, limitBytes: number) {
    const message = `${field} makes an execution input over ${limitBytes} bytes`;
    super(413, 'PayloadTooLarge', message, [{ field, message }]);
  }
}

export class UnsupportedMediaTypeError extends HttpError {
  constructor(message: string, details?: readonly ErrorDetail[]) {
    super(415, 'UnsupportedMediaType', message, details);
  }
}

export function jsonResponse(statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  };
}

export function errorResponse(
  error: unknown,
  logUnexpected: (error: unknown) => void,
): APIGatewayProxyStructuredResultV2 {
  if (error instanceof HttpError) {
    const response = jsonResponse(error.statusCode, {
      error: error.code,
      message: error.message,
      ...(error.details && { details: error.details }),
    });
    if (error.statusCode === 401) response.headers = { ...response.headers, 'www-authenticate': 'Bearer' };
    return response;
  }
  logUnexpected(error);
  return jsonResponse(500, { error: 'InternalError', message: 'Internal server error' });
}
