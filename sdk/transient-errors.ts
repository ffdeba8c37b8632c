// Which failures of a call to AWS are worth sending again: no answer at all (a refused or dropped
// connection, a timeout: the stack restarting, the network down), throttling, or a 5xx. An answer that
// refuses the call (any other 4xx, a Lambda function error) would refuse it again.
import { NETWORK_ERROR_CODES, TIMEOUT_ERROR_NAMES } from '../functions/shared/clients/transient-errors';

interface AwsErrorFields {
  readonly code?: string;
  readonly $fault?: string;
  readonly $retryable?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

export function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const fields = error as Error & AwsErrorFields;
  if (fields.$retryable || fields.$fault === 'server') return true;
  const status = fields.$metadata?.httpStatusCode ?? 0;
  if (status >= 500 || status === 429) return true;
  if (TIMEOUT_ERROR_NAMES.has(error.name) || NETWORK_ERROR_CODES.has(fields.code ?? '')) return true;
  // The SDK may wrap the socket's error.
  return error.cause !== undefined && error.cause !== error && isTransient(error.cause);
}
