// Requests to the API under test, as a client sends them: a bearer API key, JSON in and out. Shared by
// the integration suite (the embedded stack) and the e2e suite (any base URL).

export interface ApiReply<T = Record<string, unknown>> {
  readonly status: number;
  readonly body: T;
}

export interface RequestOptions {
  /** The key to send instead of the client's; null sends none. */
  readonly apiKey?: string | null;
  readonly headers?: Record<string, string>;
  /** A body sent as is (JSON content type), for malformed input; bytes for input that is not UTF-8. */
  readonly rawBody?: string | Uint8Array;
}

export type ApiRequest = <T = Record<string, unknown>>(
  method: string,
  path: string,
  body?: unknown,
  options?: RequestOptions,
) => Promise<ApiReply<T>>;

/** Requests to `baseUrl`, authenticated with `apiKey` unless a request says otherwise. */
export function apiClient(baseUrl: string, apiKey?: string): ApiRequest {
  return async <T>(method: string, path: string, body?: unknown, options: RequestOptions = {}) => {
    const key = options.apiKey === undefined ? apiKey : options.apiKey;
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        ...(key && { authorization: `Bearer ${key}` }),
        ...((body !== undefined || options.rawBody !== undefined) && { 'content-type': 'application/json' }),
        ...options.headers,
      },
      body: options.rawBody ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : {}) as T };
  };
}
