// The one way the console talks to the HTTP API: fetch with the session's bearer credential, JSON in and
// out, the API's error shape turned into ApiError. A 401 (the credential is no good) ends the session,
// which sends the user back to sign-in; so does a 403 where the caller asks (see forbiddenSignsOut).
import { signOut } from '../auth/session';
import type { ApiClient, QueryValue, RequestOptions } from './client-types';

export type { ApiClient, QueryValue, RequestOptions } from './client-types';

export interface ErrorDetail {
  readonly field?: string;
  readonly rule?: string;
  readonly message: string;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
    readonly details: readonly ErrorDetail[] = [],
  ) {
    super(message);
  }
}

export function queryString(query: Record<string, QueryValue> | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') params.set(name, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

export function createApiClient(apiUrl: string, credential: () => string | undefined): ApiClient {
  async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = credential();
    if (token) headers.authorization = `Bearer ${token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${apiUrl}${path}${queryString(options.query)}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
    const text = await response.text();
    const payload = text ? safeJson(text) : undefined;
    if (response.ok) return payload as T;
    const error = errorOf(response.status, payload);
    if (response.status === 401 || (response.status === 403 && options.forbiddenSignsOut === true))
      signOut(error.message);
    throw error;
  }
  return {
    get: (path, options) => request('GET', path, options),
    post: (path, options) => request('POST', path, options),
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function errorOf(status: number, payload: unknown): ApiError {
  if (typeof payload === 'object' && payload !== null) {
    const { message, details } = payload as { message?: unknown; details?: unknown };
    return new ApiError(
      status,
      typeof message === 'string' ? message : `HTTP ${status}`,
      Array.isArray(details) ? (details as ErrorDetail[]) : [],
    );
  }
  return new ApiError(status, typeof payload === 'string' && payload ? payload : `HTTP ${status}`);
}
