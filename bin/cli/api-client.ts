// A small client of the stepwise HTTP API for the CLI. Where the API is and which key to use come from
// flags, then STEPWISE_URL / STEPWISE_API_KEY, then the embedded stack's dev-credentials.json.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

export interface Connection {
  readonly url: string;
  readonly apiKey: string;
}

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly body: { error?: string; message?: string; details?: unknown[] },
  ) {
    super(body.message ?? `HTTP ${status}`);
  }
}

export async function resolveConnection(flags: { url?: string; apiKey?: string }): Promise<Connection> {
  let url = flags.url ?? process.env.STEPWISE_URL;
  let apiKey = flags.apiKey ?? process.env.STEPWISE_API_KEY;
  if (!url || !apiKey) {
    const dataDir = process.env.STEPWISE_DATA_DIR || resolve(import.meta.dirname, '../../.stepwise');
    const file = resolve(dataDir, 'dev-credentials.json');
    try {
      const credentials = JSON.parse(await readFile(file, 'utf8')) as { url: string; apiKey: string };
      url ??= credentials.url;
      apiKey ??= credentials.apiKey;
    } catch {
      throw new Error(
        `No API URL and key: pass --url and --api-key, set STEPWISE_URL and STEPWISE_API_KEY, or run \`npm start\` (which writes ${file}; a stack started with STEPWISE_DATA_DIR writes it there: set the same here)`,
      );
    }
  }
  return { url: url.replace(/\/$/, ''), apiKey };
}

export async function call<T>(
  connection: Connection,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${connection.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${connection.apiKey}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const parsed = text ? (JSON.parse(text) as unknown) : {};
  if (!response.ok) throw new ApiError(response.status, parsed as ApiError['body']);
  return { status: response.status, body: parsed as T };
}

/** `path?k=v&...` with the defined values only, encoded. */
export function withQuery(path: string, query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}
