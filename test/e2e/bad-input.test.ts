// A generated corpus of bad requests over every route of the served OpenAPI document: malformed JSON,
// wrong types for every body field and query parameter, huge and deeply nested values, unicode and NUL,
// unknown fields, forged and foreign cursors, bad dates, long ids and headers, bad percent-encoding,
// broken input schemas and JSONata, bad credentials. No response may be a 5xx; every 4xx is in the
// product's error shape and names a field or a rule; the stack is healthy afterwards.
import { beforeAll, describe, expect, it } from 'vitest';
import { sendRawTarget } from '../support/raw-target';
import { api, RUN, request } from './http-client';

interface BadRequest {
  readonly name: string;
  readonly method: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  /** Raw body; sent as application/json unless headers say otherwise. */
  readonly body?: string;
  /** Credential to send; undefined: the suite's OWNER key. */
  readonly authorization?: string | null;
}

interface Outcome {
  readonly request: BadRequest;
  readonly status: number;
  readonly text: string;
}

interface OpenApiOperation {
  parameters?: { name: string; in: string }[];
  requestBody?: { content: Record<string, { schema: { $ref?: string } }> };
  security?: unknown[];
}
interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }> };
}

const nested = (depth: number, leaf: unknown = 1): unknown => {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
};
const nestedArray = (depth: number): unknown => {
  let value: unknown = [];
  for (let i = 0; i < depth; i++) value = [value];
  return value;
};

const UNICODE = '𝔘ñí©ødé \u202e\u0301 漢字 🙂';
const WRONG_VALUES: unknown[] = [
  null,
  true,
  0,
  -1,
  1.5,
  1e308,
  'str',
  '',
  [],
  {},
  'x'.repeat(20_000),
  `nul\u0000byte`,
  UNICODE,
  nested(40),
  nestedArray(1000),
  JSON.parse('{"__proto__": {"polluted": true}}'),
];
const MALFORMED_BODIES = [
  '{',
  '{"workflowId": ',
  'nul',
  '[1,]',
  "{'a': 1}",
  '\u0000',
  '{"a":1}}',
  'true',
  '"a string"',
  '[]',
  'null',
  '12',
  '\ufeff{}',
  `{"a":"${'\\u'}zzzz"}`,
  '[['.repeat(5000),
];
const BAD_PATH_IDS = [
  'x'.repeat(3000),
  'x'.repeat(129),
  '%zz',
  '%E0%A4%A',
  '%00',
  'a%00b',
  encodeURIComponent(UNICODE),
  encodeURIComponent('../../etc/passwd'),
  '%2F%2F',
  encodeURIComponent(' '),
  encodeURIComponent(`"'<>\`$\{}`),
  'null',
  '-1',
  encodeURIComponent('\u0007bell'),
];
const BAD_QUERY_VALUES = [
  '',
  'x'.repeat(3000),
  '%zz',
  '-1',
  '0',
  '101',
  '1.5',
  'NaN',
  'null',
  'true',
  '[]',
  '{}',
  encodeURIComponent(UNICODE),
  'a%00b',
  '2026-13-01T00:00:00Z',
  '2026-02-30T00:00:00Z',
  'yesterday',
  '9999-12-31T23:59:59Z',
  '0000-01-01T00:00:00Z',
  'e30',
];
const BAD_CREDENTIALS: (string | null)[] = [
  null,
  '',
  'Bearer',
  'Bearer ',
  `Bearer ${'x'.repeat(8000)}`,
  'Basic dXNlcjpwYXNz',
  `Bearer sw_${'A'.repeat(43)}`,
  'Bearer sw_short',
  'Bearer a.b.c',
  'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
];

let document: OpenApiDocument;
const fixtures = {
  workflowId: '',
  taskId: '',
  tasksCursor: '',
  workflowsCursor: '',
  otherOrgTasksCursor: '',
};

async function send(item: BadRequest): Promise<Outcome> {
  const credential = item.authorization === undefined ? `Bearer ${api.apiKey}` : item.authorization;
  const response = await fetch(`${api.url}${item.path}`, {
    method: item.method,
    headers: {
      ...(credential !== null && { authorization: credential }),
      ...(item.body !== undefined && { 'content-type': 'application/json' }),
      ...item.headers,
    },
    body: item.body,
  });
  return { request: item, status: response.status, text: await response.text() };
}

async function runAll(items: BadRequest[], concurrency = 8): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let index = next++; index < items.length; index = next++) {
        const item = items[index];
        if (item) outcomes.push(await send(item));
      }
    }),
  );
  return outcomes;
}

/** Why an outcome breaks the rules, or undefined. */
function problemWith({ status, text }: Outcome): string | undefined {
  if (status >= 500) return `answered ${status}`;
  if (status < 400) return undefined;
  let body: { error?: unknown; message?: unknown; details?: { field?: string; rule?: string }[] };
  try {
    body = JSON.parse(text);
  } catch {
    return `a ${status} that is not JSON`;
  }
  if (typeof body.error !== 'string' || typeof body.message !== 'string')
    return `a ${status} without error/message`;
  const namesField = body.details?.some((detail) => detail.field || detail.rule);
  // 404, 409, 413 and 415 are about the resource or the body as a whole, and say which in their message.
  const namesInMessage =
    (status === 404 && /not found/.test(body.message)) ||
    (status === 409 && /already/.test(body.message)) ||
    (status === 413 && /Request body|input/.test(body.message)) ||
    (status === 415 && /Content-Type/.test(body.message));
  return namesField || namesInMessage ? undefined : `a ${status} naming no field or rule`;
}

const pathOf = (template: string) =>
  template
    .replace('{id}', template.startsWith('/workflows') ? fixtures.workflowId : fixtures.taskId)
    .replace('{stepId}', 'review');

function validBody(path: string): Record<string, unknown> {
  if (path === '/workflows') {
    return {
      id: `corpus_${RUN}`,
      version: 1,
      name: 'corpus',
      steps: [{ id: 'only', type: 'transform', params: { expression: '1' } }],
    };
  }
  return { workflowId: fixtures.workflowId, input: {} };
}

const workflowWith = (changes: Record<string, unknown>, n: number) => ({
  ...validBody('/workflows'),
  id: `corpus_bad_${n}_${RUN}`,
  ...changes,
});

function corpus(): BadRequest[] {
  const items: BadRequest[] = [];
  for (const [template, operations] of Object.entries(document.paths)) {
    for (const [lower, operation] of Object.entries(operations)) {
      const method = lower.toUpperCase();
      const route = `${method} ${template}`;
      const isPublic = operation.security?.length === 0;
      const path = pathOf(template);
      const add = (name: string, item: Omit<BadRequest, 'name' | 'method'>) =>
        items.push({ name: `${route}: ${name}`, method, ...item });

      if (!isPublic) {
        for (const credential of BAD_CREDENTIALS) {
          add(`credential ${String(credential).slice(0, 30)}`, { path, authorization: credential });
        }
      }
      add('a 10 KB unknown header', { path, headers: { 'x-surprise': 'h'.repeat(10_000) } });

      if (template.includes('{id}')) {
        for (const id of BAD_PATH_IDS) add(`id ${id.slice(0, 30)}`, { path: template.replace('{id}', id) });
      }

      const queryParameters = (operation.parameters ?? []).filter((p) => p.in === 'query');
      for (const { name } of queryParameters) {
        for (const value of BAD_QUERY_VALUES) {
          add(`?${name}=${value.slice(0, 30)}`, { path: `${path}?${name}=${value}` });
        }
        add(`?${name} twice`, { path: `${path}?${name}=1&${name}=2` });
      }
      if (queryParameters.length > 0) {
        add('an unknown query parameter', { path: `${path}?surprise=1` });
        add('a __proto__ query parameter', { path: `${path}?__proto__=x` });
        const names = queryParameters.map((p) => p.name);
        const cursors: [string, string][] = [
          ['a /tasks cursor', fixtures.tasksCursor],
          ['a /workflows cursor', fixtures.workflowsCursor],
          ["another org's cursor", fixtures.otherOrgTasksCursor],
          ['an altered cursor', `${fixtures.tasksCursor.slice(0, -3)}AAA`],
          ['a cursor without signature', fixtures.tasksCursor.split('.')[0] ?? ''],
          ['a forged DynamoDB key', Buffer.from('{"pk":"TASK#x","sk":"TASK"}').toString('base64url')],
        ];
        for (const [name, cursor] of cursors) {
          if (cursor) add(name, { path: `${path}?cursor=${encodeURIComponent(cursor)}` });
        }
        if (names.includes('workflowId')) {
          add('a /tasks cursor of another filter', {
            path: `${path}?workflowId=other&cursor=${encodeURIComponent(fixtures.tasksCursor)}`,
          });
        }
        if (names.includes('from') && names.includes('to')) {
          add('from later than to', { path: `${path}?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z` });
          add('from with an offset later than to', {
            path: `${path}?from=2026-01-01T10:00:00%2B01:00&to=2026-01-01T08:00:00Z`,
          });
        }
      }

      const schemaRef = operation.requestBody?.content['application/json']?.schema.$ref;
      if (!schemaRef) continue;
      const schema = document.components.schemas[schemaRef.replace('#/components/schemas/', '')];
      const base = validBody(template);
      for (const raw of MALFORMED_BODIES) add(`malformed body ${raw.slice(0, 20)}`, { path, body: raw });
      add('no body', { path, body: '' });
      add('no content type', { path, body: JSON.stringify(base), headers: { 'content-type': '' } });
      for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonx']) {
        add(`content type ${contentType}`, {
          path,
          body: JSON.stringify(base),
          headers: { 'content-type': contentType },
        });
      }
      add('a body over 256 KB', {
        path,
        body: JSON.stringify({ ...base, description: 'x'.repeat(300_000) }),
      });
      add('a body nested 1000 deep', { path, body: JSON.stringify(nested(1000)) });
      add('a body nested 33 deep', { path, body: JSON.stringify({ ...base, deep: nested(33) }) });
      for (const field of Object.keys(schema?.properties ?? {})) {
        WRONG_VALUES.forEach((value, i) => {
          add(`${field} = wrong value #${i}`, { path, body: JSON.stringify({ ...base, [field]: value }) });
        });
      }
      for (const field of schema?.required ?? []) {
        const { [field]: _dropped, ...rest } = base;
        add(`without ${field}`, { path, body: JSON.stringify(rest) });
      }
      for (const key of ['surprise', '', '\u0000', 'constructor', UNICODE]) {
        add(`unknown field ${JSON.stringify(key)}`, { path, body: JSON.stringify({ ...base, [key]: 1 }) });
      }

      if (route === 'POST /workflows') {
        const schemas: unknown[] = [
          { pattern: '(' },
          { $ref: '#/nope' },
          { $ref: 'https://example.com/schema.json' },
          { $schema: 'http://json-schema.org/draft-07/schema#' },
          { $schema: 'nonsense' },
          { type: 'banana' },
          { properties: { a: { $ref: '#/$defs/missing' } } },
          { format: 'no-such-format' },
          nested(1000, {}),
        ];
        schemas.forEach((inputSchema, i) => {
          add(`inputSchema #${i}`, { path, body: JSON.stringify(workflowWith({ inputSchema }, i)) });
        });
        const expressions = [
          '$foo(',
          '(((',
          '1 +',
          '"unterminated',
          '$$$',
          '}',
          'function($x) {',
          '$.[',
          '~>',
        ];
        expressions.forEach((expression, i) => {
          const steps = [{ id: 'only', type: 'transform', params: { expression } }];
          add(`JSONata ${expression}`, { path, body: JSON.stringify(workflowWith({ steps }, 100 + i)) });
        });
        const deepSteps: unknown[][] = [
          [{ id: 'only', type: 'transform', params: { expression: '1', deep: nested(1000) } }],
          [
            {
              id: 'm',
              type: 'map',
              items: '$.input.xs',
              steps: [{ id: 'in', type: 'transform', params: nested(1000) }],
            },
          ],
          [{ id: 'only', type: 'transform', params: { expression: 'x'.repeat(70_000) } }],
          [{ id: 'only', type: 'transform', when: nested(500, { path: '$.input.a', equals: 1 }) }],
          Array.from({ length: 2000 }, (_, i) => ({ id: `s${i}`, type: 'wait', seconds: 1 })),
        ];
        // Params Step Functions itself refuses (its intrinsic grammar): a 400 naming the param, not a 500.
        const refusedParams = [
          "States.Format('{}', $.input.a",
          'States.Nope(1)',
          'States.MathAdd(1e300, 1e300)',
        ];
        refusedParams.forEach((value, i) => {
          const steps = [{ id: 'only', type: 'transform', params: { expression: '1', 'x.$': value } }];
          add(`param x.$ ${value}`, { path, body: JSON.stringify(workflowWith({ steps }, 300 + i)) });
        });
        deepSteps.forEach((steps, i) => {
          add(`steps #${i}`, { path, body: JSON.stringify(workflowWith({ steps }, 200 + i)) });
        });
      }
      if (route === 'POST /tasks') {
        for (const input of [nested(3000), nestedArray(3000), nested(32), { big: 'x'.repeat(250_000) }]) {
          add('a deep or large input', { path, body: JSON.stringify({ ...base, input }) });
        }
        for (const key of ['k'.repeat(10_000), 'k'.repeat(256), '']) {
          add(`Idempotency-Key of ${key.length}`, {
            path,
            body: JSON.stringify(base),
            headers: { 'idempotency-key': key },
          });
        }
        for (const idempotencyKey of ['\ud800', 'k\u0000']) {
          add(`idempotencyKey ${JSON.stringify(idempotencyKey)}`, {
            path,
            body: JSON.stringify({ ...base, idempotencyKey }),
          });
        }
        add('an unknown version', { path, body: JSON.stringify({ ...base, version: 999_999 }) });
        add('an unknown workflow', { path, body: JSON.stringify({ ...base, workflowId: `nope_${RUN}` }) });
      }
    }
  }
  return items;
}

async function firstCursor(path: string, apiKey?: string): Promise<string> {
  const { status, body } = await request<{ cursor?: string }>('GET', path, undefined, { apiKey });
  expect(status).toBe(200);
  return body.cursor ?? '';
}

beforeAll(async () => {
  document = (await request<OpenApiDocument>('GET', '/openapi.json', undefined, { apiKey: null })).body;
  const workflow = validBody('/workflows');
  fixtures.workflowId = String(workflow.id);
  expect([200, 201]).toContain((await request('POST', '/workflows', workflow)).status);
  for (let i = 0; i < 2; i++) {
    const started = await request<{ taskId: string }>('POST', '/tasks', { workflowId: fixtures.workflowId });
    expect(started.status).toBe(201);
    fixtures.taskId = started.body.taskId;
  }
  expect((await request('POST', '/workflows', { ...workflow, id: `corpus_second_${RUN}` })).status).toBe(201);
  fixtures.tasksCursor = await firstCursor('/tasks?limit=1');
  fixtures.workflowsCursor = await firstCursor('/workflows?limit=1');
  if (api.otherOrgApiKey) {
    const other = { apiKey: api.otherOrgApiKey };
    expect([200, 201]).toContain((await request('POST', '/workflows', workflow, other)).status);
    for (let i = 0; i < 2; i++) {
      expect((await request('POST', '/tasks', { workflowId: fixtures.workflowId }, other)).status).toBe(201);
    }
    fixtures.otherOrgTasksCursor = await firstCursor('/tasks?limit=1', api.otherOrgApiKey);
  }
});

describe('bad input over every route of the OpenAPI document', () => {
  it('never answers 5xx; every 4xx is in the error shape and names a field or rule; the stack stays up', async () => {
    const items = corpus();
    expect(items.length).toBeGreaterThanOrEqual(500);
    const routes = new Set(items.map((item) => item.name.split(':')[0]));
    const documented = Object.entries(document.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect([...routes].sort()).toEqual(documented.sort());

    const outcomes = await runAll(items);
    console.info(`bad-input corpus: ${outcomes.length} requests over ${routes.size} routes`);
    const problems = outcomes
      .map((outcome) => ({ outcome, problem: problemWith(outcome) }))
      .filter(({ problem }) => problem !== undefined)
      .map(({ outcome, problem }) => `${outcome.request.name}: ${problem}: ${outcome.text.slice(0, 200)}`);
    expect(problems).toEqual([]);

    const health = await request('GET', '/health', undefined, { apiKey: null });
    expect(health.status).toBe(200);
  });

  it("answers API Gateway's 404 to request targets that a URL parser would read as a host, never a 5xx", async () => {
    const targets = [
      '//[',
      '//a@:x/tasks/1',
      `//evil/tasks/${fixtures.taskId}`,
      '//evil/health',
      '//health',
      '//',
      '///tasks',
      '//%zz/tasks',
      `//${'x'.repeat(3000)}/tasks`,
    ];
    const outcomes = [];
    for (const target of targets) {
      const { status, text } = await sendRawTarget(api.url, 'GET', target, {
        authorization: `Bearer ${api.apiKey}`,
      });
      outcomes.push({ target: target.slice(0, 40), status, text });
    }
    expect(outcomes).toEqual(
      outcomes.map(({ target }) => ({ target, status: 404, text: JSON.stringify({ message: 'Not Found' }) })),
    );
    expect((await request('GET', '/health', undefined, { apiKey: null })).status).toBe(200);
  });

  it('refuses idempotency keys that storage would alter (lone surrogates) or with control characters, naming idempotencyKey', async () => {
    // "\ud800" and "\udc00" both reach DynamoDB as U+FFFD: accepted, the second would return the first's task.
    for (const idempotencyKey of ['\ud800', '\udc00', 'k\u0000']) {
      const { status, body } = await request<{ details?: { field?: string }[] }>('POST', '/tasks', {
        workflowId: fixtures.workflowId,
        idempotencyKey,
      });
      expect(status, JSON.stringify(idempotencyKey)).toBe(400);
      expect(body.details?.[0]?.field).toBe('idempotencyKey');
    }
  });

  it('answers 400 naming the step and param when Step Functions refuses an intrinsic, and leaves the version free', async () => {
    const id = `refused_intrinsic_${RUN}`;
    const steps = (value: string) => [
      { id: 'only', type: 'transform', params: { expression: '1', 'data.$': value } },
    ];
    const refused = await request<{ details?: { field?: string; stepId?: string; rule?: string }[] }>(
      'POST',
      '/workflows',
      { id, version: 1, name: 'refused', steps: steps("States.Format('{}', $.input.a") },
    );
    expect(refused.status).toBe(400);
    expect(refused.body.details?.[0]).toMatchObject({
      stepId: 'only',
      field: 'steps[0].params.data.$',
      rule: 'state-machine-definition',
    });
    const fixed = await request('POST', '/workflows', {
      id,
      version: 1,
      name: 'refused',
      steps: steps("States.Format('{}', $.input.a)"),
    });
    expect(fixed.status).toBe(201);
  });

  it('refuses the cursors of another route, another organization, another query, or altered ones, naming cursor', async () => {
    const cases = [
      `/workflows?cursor=${encodeURIComponent(fixtures.tasksCursor)}`,
      `/tasks?cursor=${encodeURIComponent(fixtures.workflowsCursor)}`,
      `/tasks?workflowId=other&cursor=${encodeURIComponent(fixtures.tasksCursor)}`,
      `/tasks?cursor=${encodeURIComponent(`${fixtures.tasksCursor.slice(0, -3)}AAA`)}`,
      '/tasks?cursor=e30',
      ...(fixtures.otherOrgTasksCursor
        ? [`/tasks?cursor=${encodeURIComponent(fixtures.otherOrgTasksCursor)}`]
        : []),
    ];
    for (const path of cases) {
      const { status, body } = await request<{ details?: { field?: string }[] }>('GET', path);
      expect(status, path).toBe(400);
      expect(body.details?.[0]?.field, path).toBe('cursor');
    }
  });
});
