// The API client's shape, apart from its implementation (which signs out through the session store, a
// React module): code and tests that only call a client import it from here, without React.

export type QueryValue = string | number | undefined;

export interface RequestOptions {
  readonly query?: Record<string, QueryValue>;
  readonly body?: unknown;
  readonly signal?: AbortSignal;
  /**
   * Whether a 403 means the session is no good (sign out): on for the identity check at sign-in; off
   * elsewhere, where a 403 is a route the caller's role may not use (admin listings, approvals).
   * @default false
   */
  readonly forbiddenSignsOut?: boolean;
}

export interface ApiClient {
  get<T>(path: string, options?: RequestOptions): Promise<T>;
  post<T>(path: string, options?: RequestOptions): Promise<T>;
}
