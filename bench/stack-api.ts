// The embedded stack's HTTP API as the benchmarks call it: JSON in and out with the stack's OWNER key.
import { readFile } from 'node:fs/promises';

/** What a client needs of a stack: its endpoints and a key (a LocalStack has them). */
export interface StackAccess {
  readonly endpoints: { readonly api: string; readonly live: string };
  readonly credentials: { readonly apiKey: string };
}

export type ApiCall = <T>(method: string, path: string, body?: unknown) => Promise<T>;

export function stackApi(stack: StackAccess): ApiCall {
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
