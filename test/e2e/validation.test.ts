// Bad input gets a 4xx that names what is wrong, never a 5xx.
import { describe, expect, it } from 'vitest';
import { RUN, registerWorkflow, request } from './http-client';

type ErrorBody = { message: string; details?: { field?: string; rule?: string; stepId?: string }[] };

const step = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  type: 'transform',
  params: { expression: '1' },
  ...extra,
});
const workflow = (steps: unknown[], extra: Record<string, unknown> = {}) => ({
  id: `bad_${RUN}`,
  version: 1,
  name: 'bad',
  steps,
  ...extra,
});

const cases: [string, unknown, { rule: string; stepId?: string; field?: RegExp }][] = [
  ['duplicate step ids', workflow([step('a'), step('a')]), { rule: 'unique-step-ids', stepId: 'a' }],
  [
    'unknown dependency',
    workflow([step('a', { dependsOn: ['ghost'] })]),
    { rule: 'unknown-dependency', stepId: 'a' },
  ],
  ['self dependency', workflow([step('a', { dependsOn: ['a'] })]), { rule: 'self-dependency', stepId: 'a' }],
  [
    'a cycle',
    workflow([step('start'), step('a', { dependsOn: ['start', 'b'] }), step('b', { dependsOn: ['a'] })]),
    { rule: 'cycle' },
  ],
  [
    'no entry step',
    workflow([step('a', { dependsOn: ['b'] }), step('b', { dependsOn: ['a'] })]),
    { rule: 'no-entry-step' },
  ],
  [
    'a retry out of range',
    workflow([step('a', { retry: { backoffRate: 50 } })]),
    { rule: 'retry-range', stepId: 'a', field: /steps\[0\]\.retry\.backoffRate/ },
  ],
  [
    'a condition on unknown data',
    workflow([step('a'), step('b', { when: { path: '$.steps.nowhere.output', equals: 1 } })]),
    { rule: 'invalid-condition', stepId: 'b' },
  ],
  [
    'an unknown step type',
    workflow([{ id: 'a', type: 'teleport' }]),
    { rule: 'unknown-step-type', stepId: 'a', field: /steps\[0\]\.type/ },
  ],
  [
    'an input schema with an unknown format',
    workflow([step('a')], { inputSchema: { type: 'string', format: 'nope' } }),
    { rule: 'invalid-input-schema', field: /^inputSchema$/ },
  ],
  [
    'an http step whose url is not http(s)',
    workflow([{ id: 'fetch', type: 'http', params: { url: 'file:///etc/passwd' } }]),
    { rule: 'invalid-params', stepId: 'fetch', field: /^steps\[0\]\.params\.url$/ },
  ],
  [
    'an llm step without a prompt',
    workflow([{ id: 'ask', type: 'llm', params: { model: 'stepwise-local' } }]),
    { rule: 'invalid-params', stepId: 'ask', field: /^steps\[0\]\.params\.prompt$/ },
  ],
  [
    'a workflow name with a control character',
    workflow([step('a')], { name: 'nightly\u0007run' }),
    { rule: 'schema', field: /^name$/ },
  ],
  [
    'a workflow name with a bidi override (U+202E)',
    workflow([step('a')], { name: 'invoice\u202Efdp.exe' }),
    { rule: 'schema', field: /^name$/ },
  ],
  [
    'a step name with a zero-width space',
    workflow([step('a', { name: 'fetch\u200Brows' })]),
    { rule: 'schema', stepId: 'a', field: /^steps\[0\]\.name$/ },
  ],
  [
    'a step name with a line break',
    workflow([step('a', { name: 'fetch\nrows' })]),
    { rule: 'schema', stepId: 'a', field: /^steps\[0\]\.name$/ },
  ],
  [
    'a timeout out of range',
    workflow([step('a', { timeoutSeconds: 0 })]),
    { rule: 'timeout-range', stepId: 'a', field: /steps\[0\]\.timeoutSeconds/ },
  ],
];

interface OpenApiDocument {
  paths: Record<string, Record<string, { requestBody?: unknown; parameters?: { name: string }[] }>>;
}
const openApiDocument = async () =>
  (await request<OpenApiDocument>('GET', '/openapi.json', undefined, { apiKey: null })).body;

describe('workflow validation over HTTP', () => {
  for (const [name, definition, expected] of cases) {
    it(`rejects ${name} with 400 naming the rule`, async () => {
      const { status, body } = await request<{
        error: string;
        message: string;
        details: Record<string, string>[];
      }>('POST', '/workflows', definition);
      expect(status).toBe(400);
      expect(body.error).toBe('ValidationError');
      const detail = body.details.find((d) => d.rule === expected.rule);
      expect(detail, JSON.stringify(body.details)).toBeDefined();
      if (expected.stepId) expect(detail?.stepId).toBe(expected.stepId);
      if (expected.field) expect(detail?.field).toMatch(expected.field);
      if (expected.stepId) expect(detail?.message).toContain(`'${expected.stepId}'`);
      else expect(detail?.message).toMatch(/\S/);
    });
  }
});

describe('request validation over HTTP', () => {
  it('rejects task input that does not match the workflow schema, naming the field', async () => {
    const workflowId = await registerWorkflow({
      id: 'typed',
      version: 1,
      name: 'typed',
      inputSchema: { type: 'object', properties: { count: { type: 'integer' } }, required: ['count'] },
      steps: [step('only')],
    });
    const { status, body } = await request<{ details: { field: string }[] }>('POST', '/tasks', {
      workflowId,
      input: { count: 'three' },
    });
    expect(status).toBe(400);
    expect(body.details[0]?.field).toBe('input.count');
  });

  it('answers 400 to malformed JSON', async () => {
    const { status, body } = await request('POST', '/tasks', undefined, { rawBody: '{"workflowId": ' });
    expect(status).toBe(400);
    expect(body.message).toMatch(/Malformed JSON/);
  });

  it('answers 415 to a body that is not JSON', async () => {
    const { status } = await request('POST', '/tasks', undefined, {
      rawBody: 'workflowId=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(status).toBe(415);
  });

  it('refuses, on every route that takes a body, bytes that are not UTF-8 (400) and another charset (415), naming which', async () => {
    const document = await openApiDocument();
    const routes = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.entries(operations)
        .filter(([, operation]) => operation.requestBody)
        .map(([method]) => [method.toUpperCase(), path.replace(/\{[^}]+\}/g, 'missing')] as const),
    );
    expect(routes.length).toBeGreaterThanOrEqual(6);
    // "é" in Latin-1: one byte 0xE9, which UTF-8 never has alone; read as UTF-8 it would become U+FFFD.
    const latin1 = Uint8Array.from([...Buffer.from('{"name":"caf'), 0xe9, ...Buffer.from('"}')]);
    for (const [method, path] of routes) {
      const invalid = await request<ErrorBody>(method, path, undefined, { rawBody: latin1 });
      expect([method, path, invalid.status, invalid.body.details?.[0]]).toEqual([
        method,
        path,
        400,
        expect.objectContaining({ field: 'body', rule: 'utf-8' }),
      ]);
      const charset = await request<ErrorBody>(method, path, undefined, {
        rawBody: latin1,
        headers: { 'content-type': 'application/json; charset=latin1' },
      });
      expect([method, path, charset.status, charset.body.details?.[0]]).toEqual([
        method,
        path,
        415,
        expect.objectContaining({ field: 'Content-Type', rule: 'charset' }),
      ]);
    }
  });

  it('bounds from and to on every route that takes them (400 naming the field), so no response has an extended-year date', async () => {
    const workflowId = await registerWorkflow(workflow([step('a')], { id: 'ranged' }));
    const paths = Object.entries((await openApiDocument()).paths)
      .filter(([, operations]) => operations.get?.parameters?.some((parameter) => parameter.name === 'from'))
      .map(
        ([path]) => path.replace('{id}', workflowId) + (path === '/admin/metrics' ? '?groupBy=org&' : '?'),
      );
    expect(paths).toHaveLength(5);
    const outOfRange = [
      ['to', '9999-12-31T23:59:59Z'],
      ['to', '9998-12-31T23:00:00-01:00'],
      ['from', '1969-12-31T23:59:59Z'],
      ['from', '0000-01-01T00:00:00Z'],
    ];
    for (const path of paths) {
      for (const [field, value] of outOfRange) {
        const reply = await request<ErrorBody>('GET', `${path}${field}=${encodeURIComponent(value ?? '')}`);
        expect([path, value, reply.status, reply.body.details?.[0]]).toEqual([
          path,
          value,
          400,
          expect.objectContaining({
            field,
            message: expect.stringContaining('1970-01-01T00:00:00Z to 9998-12-31T23:59:59Z'),
          }),
        ]);
      }
    }
    // The last instant accepted: its daily bucket ends on the first instant of 9999, still four digits.
    const latest = await request<{ from: string; to: string }>(
      'GET',
      `/workflows/${workflowId}/metrics?granularity=day&from=9998-12-31T00:00:00Z&to=9998-12-31T23:59:59.999Z`,
    );
    expect([latest.status, latest.body.from, latest.body.to]).toEqual([
      200,
      '9998-12-31T00:00:00.000Z',
      '9999-01-01T00:00:00.000Z',
    ]);
  });

  it('refuses an Idempotency-Key header and a body idempotencyKey that differ, naming both; equal ones start one task', async () => {
    const workflowId = await registerWorkflow(workflow([step('a')], { id: 'keyed' }));
    const start = (header: string, idempotencyKey: string) =>
      request<ErrorBody & { taskId?: string }>(
        'POST',
        '/tasks',
        { workflowId, idempotencyKey },
        {
          headers: { 'idempotency-key': header },
        },
      );
    const conflict = await start(`B1-${RUN}`, `A1-${RUN}`);
    expect(conflict.status).toBe(400);
    expect(conflict.body.details?.map((detail) => detail.field)).toEqual([
      'Idempotency-Key',
      'idempotencyKey',
    ]);
    const first = await start(`same-${RUN}`, `same-${RUN}`);
    expect(first.status).toBe(201);
    const again = await request<{ taskId: string }>(
      'POST',
      '/tasks',
      { workflowId },
      {
        headers: { 'idempotency-key': `same-${RUN}` },
      },
    );
    expect([again.status, again.body.taskId]).toEqual([200, first.body.taskId]);
    // The header sent twice arrives joined with a comma: not a third key, which would start a new task.
    const twice = await request<ErrorBody>(
      'POST',
      '/tasks',
      { workflowId },
      { headers: { 'idempotency-key': `same-${RUN}, same-${RUN}` } },
    );
    expect([twice.status, twice.body.details?.map((detail) => detail.field)]).toEqual([
      400,
      ['Idempotency-Key'],
    ]);
  });

  it('refuses an unknown query parameter on the write routes, naming it, and writes nothing', async () => {
    const workflowId = await registerWorkflow(workflow([step('a')], { id: 'queried' }));
    const writes: [string, string, unknown][] = [
      ['POST', '/tasks', { workflowId, idempotencyKey: `queried-${RUN}` }],
      ['POST', '/workflows', workflow([step('a')], { id: `never_registered_${RUN}` })],
      ['POST', '/api-keys', { name: `queried ${RUN}`, role: 'MEMBER' }],
      ['PUT', '/admin/alert-rules', { rules: {} }],
    ];
    for (const [method, path, body] of writes) {
      const reply = await request<ErrorBody>(method, `${path}?surprise=1`, body);
      expect([method, path, reply.status, reply.body.details?.[0]?.field]).toEqual([
        method,
        path,
        400,
        'surprise',
      ]);
    }
    // Not one of them happened: the task's key and the workflow id are still free.
    expect((await request('POST', '/tasks', { workflowId, idempotencyKey: `queried-${RUN}` })).status).toBe(
      201,
    );
    expect((await request('GET', `/workflows/never_registered_${RUN}`)).status).toBe(404);
    // The rules' level is in the body: a ?org= that reads as the target is refused, not ignored.
    const aimed = await request<ErrorBody>('PUT', '/admin/alert-rules?org=default', { rules: {} });
    expect([aimed.status, aimed.body.details?.[0]?.field]).toEqual([400, 'org']);
  });

  it('refuses stuckAfterMinutes without status=STUCK, naming it, on both task lists', async () => {
    for (const path of ['/tasks', '/admin/tasks']) {
      for (const query of ['stuckAfterMinutes=30', 'status=RUNNING&stuckAfterMinutes=30']) {
        const reply = await request<ErrorBody>('GET', `${path}?${query}`);
        expect([path, query, reply.status, reply.body.details]).toEqual([
          path,
          query,
          400,
          [
            expect.objectContaining({
              field: 'stuckAfterMinutes',
              message: expect.stringContaining('status=STUCK'),
            }),
          ],
        ]);
      }
      expect((await request('GET', `${path}?status=STUCK&stuckAfterMinutes=30`)).status).toBe(200);
    }
  });

  it('refuses an empty cursor on every listing that takes one, naming cursor', async () => {
    const paths = Object.entries((await openApiDocument()).paths)
      .filter(([, operations]) =>
        operations.get?.parameters?.some((parameter) => parameter.name === 'cursor'),
      )
      .map(([path]) => path)
      // A listing under a path id (an alert's deliveries) answers 404 for an id it does not know first.
      .filter((path) => !path.includes('{'));
    expect(paths.length).toBeGreaterThanOrEqual(6);
    for (const path of paths) {
      const reply = await request<ErrorBody>('GET', `${path}?cursor=`);
      expect([path, reply.status, reply.body.details?.[0]?.field]).toEqual([path, 400, 'cursor']);
    }
  });

  it('refuses a blank API key name and stores a name trimmed', async () => {
    for (const name of ['', ' ', ' \t ']) {
      const reply = await request<ErrorBody>('POST', '/api-keys', { name, role: 'MEMBER' });
      expect([JSON.stringify(name), reply.status, reply.body.details?.[0]]).toEqual([
        JSON.stringify(name),
        400,
        expect.objectContaining({ field: 'name', message: 'name: must not be blank' }),
      ]);
    }
    const created = await request<{ keyId: string; name: string }>('POST', '/api-keys', {
      name: `  ci ${RUN}  `,
      role: 'MEMBER',
    });
    expect([created.status, created.body.name]).toEqual([201, `ci ${RUN}`]);
    expect((await request('DELETE', `/api-keys/${created.body.keyId}`)).status).toBe(200);
  });

  it('answers 413 to a body over 256 KB', async () => {
    const { status } = await request('POST', '/tasks', {
      workflowId: 'x',
      input: { blob: 'x'.repeat(300_000) },
    });
    expect(status).toBe(413);
  });

  it('answers 400 naming unknown fields, and 404 for an unknown workflow or task', async () => {
    const unknownField = await request<{ details: { field?: string }[] }>('POST', '/tasks', {
      workflowId: 'x',
      surprise: true,
    });
    expect(unknownField.status).toBe(400);
    expect((await request('POST', '/tasks', { workflowId: `missing_${RUN}` })).status).toBe(404);
    expect((await request('GET', '/tasks/no-such-task')).status).toBe(404);
    expect((await request('GET', '/tasks?status=NOPE')).status).toBe(400);
    expect((await request('GET', '/tasks?cursor=%%%')).status).toBe(400);
  });

  it('answers 400 naming a query parameter on a route that takes none', async () => {
    for (const path of ['/tasks/t-1', '/tasks/t-1/events', '/tasks/t-1/timeline', '/workflows/w-1']) {
      const refused = await request<{ details: { field?: string }[] }>('GET', `${path}?surprise=1`);
      expect(refused.status, path).toBe(400);
      expect(refused.body.details, path).toEqual([expect.objectContaining({ field: 'surprise' })]);
    }
  });

  it('answers 400 naming agentId for control or bidi characters, in a start and in a list filter', async () => {
    for (const agentId of ['a\u0000b', 'evil\u202eexe', '\u200b']) {
      const started = await request<{ details: { field?: string }[] }>('POST', '/tasks', {
        workflowId: 'x',
        agentId,
      });
      expect(started.status, JSON.stringify(agentId)).toBe(400);
      expect(started.body.details.map((detail) => detail.field)).toContain('agentId');
      const listed = await request('GET', `/tasks?agentId=${encodeURIComponent(agentId)}`);
      expect(listed.status, JSON.stringify(agentId)).toBe(400);
    }
  });
});
