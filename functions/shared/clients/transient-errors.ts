// The failures of a call to AWS that got no answer at all, which both our own client (aws-json.ts) and the
// worker SDK's (sdk/transient-errors.ts) send again: the names a timeout goes by, and the errno codes Node
// gives a request whose connection was refused, dropped or never made.
export const TIMEOUT_ERROR_NAMES: ReadonlySet<string> = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

export const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
