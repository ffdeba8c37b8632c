// The embedded stack's HTTP API as the benchmarks call it: JSON in and out with the stack's OWNER key.
import { readFile } from 'node:fs/promises';
import type { LocalStack } from '../local/stack';

export type ApiCall = <T>(method: string, path: string, body?: unknown) => Promise<T>;

export function stackApi(stack: LocalStack): ApiCall {
  const headers = { authorization: `Bearer ${stack.credentials.apiKey}`, 'content-type': 'application/json' };
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${stack.endpoints.api}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return (await response.json()) as T;
  };
}

/** An example workflow definition (examples/workflows/<id>.json). */
export async function exampleWorkflow(id: string): Promise<{ id: string } & Record<string, unknown>> {
  return JSON.parse(await readFile(new URL(`../examples/workflows/${id}.json`, import.meta.url), 'utf8'));
}
