import { describe, expect, inject, it } from 'vitest';

const endpoints = inject('endpoints');

describe('local API Gateway', () => {
  it('GET /health reports every component up', async () => {
    const response = await fetch(`${endpoints.api}/health`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const body = (await response.json()) as {
      status: string;
      components: Record<string, { status: string }>;
    };
    expect(body.status).toBe('up');
    for (const component of ['dynamodb', 'sqs', 'sns', 'stepfunctions', 'api']) {
      expect(body.components[component]?.status, component).toBe('up');
    }
  });

  it('answers 404 like API Gateway for a route that is not in the route table', async () => {
    const response = await fetch(`${endpoints.api}/nowhere`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ message: 'Not Found' });
  });

  it('answers 404 for a known path with a method the route table does not have', async () => {
    const response = await fetch(`${endpoints.api}/health`, { method: 'DELETE' });
    expect(response.status).toBe(404);
  });

  it('serves the OpenAPI document without credentials', async () => {
    const response = await fetch(`${endpoints.api}/openapi.json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toMatch(/^3\./);
    expect(Object.keys(document.paths)).toContain('/tasks/{id}');
  });
});
