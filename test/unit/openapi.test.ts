import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ALERT_KINDS } from '../../functions/shared/alerts/alert';
import { ROUTES } from '../../functions/shared/resources';
import { STEP_STATUSES, TASK_STATUSES } from '../../functions/shared/tasks/task';

interface Operation {
  security?: unknown[];
  requestBody?: unknown;
  responses: Record<string, { $ref?: string; content?: Record<string, { schema?: { $ref?: string } }> }>;
}

const document = JSON.parse(readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8')) as {
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, SchemaNode>;
    responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
  };
};

interface SchemaNode {
  required?: string[];
  enum?: string[];
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  allOf?: SchemaNode[];
  $ref?: string;
  uniqueItems?: boolean;
}

/** The schema a response points to, following a shared response's $ref. */
function errorSchemaOf(response: Operation['responses'][string]): string | undefined {
  const resolved = response.$ref
    ? document.components.responses[response.$ref.replace('#/components/responses/', '')]
    : response;
  return resolved?.content?.['application/json']?.schema?.$ref;
}

describe('OpenAPI document', () => {
  it("is what the console's types are generated from (console/src/api/openapi.d.ts: npm run api-types)", async () => {
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const run = spawn('npm', ['run', '--silent', 'api-types', '--', '--check'], {
        cwd: fileURLToPath(new URL('../..', import.meta.url)),
      });
      let output = '';
      run.stdout.on('data', (chunk) => (output += chunk));
      run.stderr.on('data', (chunk) => (output += chunk));
      run.on('close', (code) => resolve({ code, output }));
    });
    expect(code, output).toBe(0);
  }, 60_000);

  it('describes exactly the routes of the route table', () => {
    const documented = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(ROUTES.map((route) => `${route.method} ${route.path}`).sort());
  });

  it('marks public routes, and only those, as needing no security', () => {
    for (const route of ROUTES) {
      const operation = document.paths[route.path]?.[route.method.toLowerCase()];
      expect(operation?.security?.length === 0, `${route.method} ${route.path}`).toBe(
        route.access === 'public',
      );
    }
  });

  it('documents the error responses of every authenticated route in the shared error shape', () => {
    expect(document.components.schemas.Error?.required).toEqual(['error', 'message']);
    for (const route of ROUTES.filter((r) => r.access !== 'public')) {
      const name = `${route.method} ${route.path}`;
      const operation = document.paths[route.path]?.[route.method.toLowerCase()];
      const expected = ['400', '401', '403'];
      if (route.path.includes('{id}')) expected.push('404');
      if (operation?.requestBody) expected.push('413', '415');
      if (name === 'POST /tasks') expected.push('404', '422');
      if (name === 'POST /workflows' || name === 'POST /tasks/{id}/cancel') expected.push('409');
      for (const status of expected) {
        const response = operation?.responses[status];
        expect(response, `${name} ${status}`).toBeDefined();
        if (response) expect(errorSchemaOf(response), `${name} ${status}`).toBe('#/components/schemas/Error');
      }
    }
  });

  it('documents the kinds and severities a channel takes as the API checks them: known kinds, no repeats', () => {
    const { schemas } = document.components;
    expect(schemas.AlertKind?.enum).toEqual([...ALERT_KINDS]);
    for (const name of ['AlertChannel', 'AlertChannelInput']) {
      const { kinds, severities } = schemas[name]?.properties ?? {};
      expect(kinds?.items?.$ref, name).toBe('#/components/schemas/AlertKind');
      expect(kinds?.uniqueItems, name).toBe(true);
      expect(severities?.uniqueItems, name).toBe(true);
    }
  });

  it('lists every status a task, a step and an attempt can have', () => {
    const { schemas } = document.components;
    expect(schemas.Task?.properties?.status?.enum).toEqual([...TASK_STATUSES]);
    const detail = schemas.TaskDetail?.allOf?.[1]?.properties;
    expect(detail?.steps?.items?.properties?.status?.enum).toEqual([...STEP_STATUSES]);
    expect(detail?.attempts?.items?.properties?.status?.enum).toEqual(
      STEP_STATUSES.filter((status) => status !== 'RETRYING' && status !== 'SKIPPED'),
    );
  });
});
