// What the API really answers, checked against the OpenAPI document it serves: each response validates
// against the documented schema (types, enums, required fields, formats), and carries no field the
// document does not name.
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { readExampleInput } from '../../bin/cli/example-input';
import { PutCommand } from '../../functions/shared/clients/table-commands';
import { toItem, type WorkerItem } from '../../functions/shared/workers/worker-item';
import { localClients } from '../support/aws-clients';
import { RUN, registerWorkflow, request, runTask, waitForTask } from './http-client';

type Schema = Record<string, unknown>;
interface OpenApiDocument {
  paths: Record<string, Record<string, { responses: Record<string, Schema> }>>;
  components: { responses: Record<string, Schema> };
}

let document: OpenApiDocument;
let ajv: Ajv2020;

beforeAll(async () => {
  document = (await request<OpenApiDocument>('GET', '/openapi.json', undefined, { apiKey: null })).body;
  ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema(document as unknown as Schema, 'openapi');
});

/** The documented schema of `status` for `method path`, following a shared response's $ref. */
function responseSchema(method: string, path: string, status: number): Schema {
  const documented = document.paths[path]?.[method.toLowerCase()]?.responses[String(status)];
  if (!documented) throw new Error(`${method} ${path} documents no ${status}`);
  const ref = documented.$ref as string | undefined;
  const response = ref ? document.components.responses[ref.split('/').at(-1) ?? ''] : documented;
  const content = response?.content as Record<string, { schema: Schema }> | undefined;
  const schema = content?.['application/json']?.schema;
  if (!schema) throw new Error(`${method} ${path} ${status} documents no JSON body`);
  return schema;
}

const resolve = (schema: Schema): Schema => {
  const ref = schema.$ref as string | undefined;
  return ref ? resolve(ajv.getSchema(ref.startsWith('#') ? `openapi${ref}` : ref)?.schema as Schema) : schema;
};

/** A schema and, recursively, the parts of its allOf (an allOf may name a schema that is one too). */
const flattenAllOf = (schema: Schema): Schema[] => {
  const resolved = resolve(schema);
  return [resolved, ...((resolved.allOf as Schema[] | undefined) ?? []).flatMap(flattenAllOf)];
};

/** Paths of fields in `value` that `schema` does not name (where it lists properties and allows no others). */
function undocumentedFields(value: unknown, schema: Schema, at = '$'): string[] {
  const parts = flattenAllOf(schema);
  if (Array.isArray(value)) {
    const items = parts.find((part) => part.items)?.items as Schema | undefined;
    return items ? value.flatMap((item, i) => undocumentedFields(item, items, `${at}[${i}]`)) : [];
  }
  if (typeof value !== 'object' || value === null) return [];
  const properties = Object.assign({}, ...parts.map((part) => part.properties ?? {})) as Record<
    string,
    Schema
  >;
  const additional = parts.find((part) => part.additionalProperties !== undefined)?.additionalProperties;
  if (Object.keys(properties).length === 0 && additional === undefined) return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const where = `${at}.${key}`;
    const declared = properties[key] ?? (typeof additional === 'object' ? (additional as Schema) : undefined);
    if (declared) return undocumentedFields(child, declared, where);
    return additional === true ? [] : [where];
  });
}

async function expectConforming(
  method: string,
  path: string,
  template: string,
  expectedStatus: number,
  body?: unknown,
  headers?: Record<string, string>,
): Promise<Record<string, unknown>> {
  const response = await request(method, path, body, { headers });
  expect(response.status, `${method} ${path}: ${JSON.stringify(response.body)}`).toBe(expectedStatus);
  const schema = responseSchema(method, template, expectedStatus);
  // The document's $refs are relative to it: point them at the copy ajv holds.
  const validate = ajv.compile(
    JSON.parse(JSON.stringify(schema).replaceAll('"$ref":"#/', '"$ref":"openapi#/')),
  );
  validate(response.body);
  expect(validate.errors ?? [], `${method} ${template} ${expectedStatus}`).toEqual([]);
  expect(undocumentedFields(response.body, schema), `${method} ${template} ${expectedStatus}`).toEqual([]);
  return response.body;
}

describe('responses conform to the OpenAPI document', () => {
  it('GET /health', async () => {
    await expectConforming('GET', '/health', '/health', 200);
  });

  it('workflows: register, re-register, list, get, and errors', async () => {
    const definition = JSON.parse(
      readFileSync(new URL('../../examples/workflows/data_pipeline.json', import.meta.url), 'utf8'),
    );
    const workflow = { ...definition, id: `conform_${RUN}` };
    await expectConforming('POST', '/workflows', '/workflows', 201, workflow);
    await expectConforming('POST', '/workflows', '/workflows', 200, workflow);
    await expectConforming('POST', '/workflows', '/workflows', 409, { ...workflow, name: 'changed' });
    await expectConforming('POST', '/workflows', '/workflows', 400, { ...workflow, steps: [] });
    await expectConforming('GET', '/workflows?limit=1', '/workflows', 200);
    await expectConforming('GET', `/workflows/${workflow.id}`, '/workflows/{id}', 200);
    await expectConforming('GET', `/workflows/nope_${RUN}`, '/workflows/{id}', 404);
  });

  it('tasks: a finished example task with SKIPPED and map steps, its listing, a repeated start, cancels', async () => {
    for (const example of ['conditional_workflow', 'agent_pipeline']) {
      const definition = JSON.parse(
        readFileSync(new URL(`../../examples/workflows/${example}.json`, import.meta.url), 'utf8'),
      );
      const workflowId = await registerWorkflow(definition);
      const input = await readExampleInput(example);
      const finished = await runTask(workflowId, input);
      expect(finished.status).toBe('SUCCEEDED');
      const detail = await expectConforming('GET', `/tasks/${finished.taskId}`, '/tasks/{id}', 200);
      expect(detail.steps).not.toEqual([]);
      await expectConforming('POST', `/tasks/${finished.taskId}/cancel`, '/tasks/{id}/cancel', 409);

      const start = { workflowId, input, idempotencyKey: `conform-${example}-${RUN}` };
      await expectConforming('POST', '/tasks', '/tasks', 201, start);
      await expectConforming('POST', '/tasks', '/tasks', 200, start);
      await expectConforming('POST', '/tasks', '/tasks', 422, { ...start, agentId: 'other' });
    }
    const waiting = await registerWorkflow({
      id: 'conform_wait',
      version: 1,
      name: 'waits',
      steps: [{ id: 'pause', type: 'wait', seconds: 30 }],
    });
    const started = await expectConforming('POST', '/tasks', '/tasks', 201, { workflowId: waiting });
    await expectConforming('POST', `/tasks/${started.taskId}/cancel`, '/tasks/{id}/cancel', 200);
    await expectConforming('GET', '/tasks?limit=2', '/tasks', 200);
    await expectConforming('GET', `/tasks/nope_${RUN}`, '/tasks/{id}', 404);
  });

  it("metrics: a workflow's metrics and their errors, grouped metrics, health", async () => {
    const workflowId = await registerWorkflow({
      id: 'conform_metrics',
      version: 1,
      name: 'metered',
      steps: [{ id: 'only', type: 'transform', params: { expression: '1' } }],
    });
    expect((await runTask(workflowId)).status).toBe('SUCCEEDED');
    const path = `/workflows/${workflowId}/metrics`;
    const template = '/workflows/{id}/metrics';
    await expectConforming('GET', path, template, 200);
    await expectConforming('GET', `${path}?granularity=day`, template, 200);
    await expectConforming('GET', `${path}?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z`, template, 400);
    await expectConforming('GET', `/workflows/nope_${RUN}/metrics`, template, 404);
    for (const groupBy of ['org', 'agent', 'workflow']) {
      await expectConforming('GET', `/admin/metrics?groupBy=${groupBy}`, '/admin/metrics', 200);
    }
    await expectConforming('GET', '/admin/metrics?groupBy=team', '/admin/metrics', 400);
    await expectConforming('GET', '/admin/health?windowMinutes=60', '/admin/health', 200);
    await expectConforming('GET', '/admin/health?windowMinutes=0', '/admin/health', 400);
  });

  it('admin tasks: a tagged task in the list, its detail with events, and errors', async () => {
    const workflowId = await registerWorkflow({
      id: 'conform_admin',
      version: 1,
      name: 'admin',
      steps: [{ id: 'only', type: 'transform', params: { expression: '1' } }],
    });
    const finished = await runTaskWith({ workflowId, tags: { conform: RUN } });
    const page = await expectConforming('GET', `/admin/tasks?tag=conform:${RUN}`, '/admin/tasks', 200);
    expect(page.items).toEqual([expect.objectContaining({ taskId: finished, tags: { conform: RUN } })]);
    await expectConforming('GET', '/admin/tasks?limit=1&status=SUCCEEDED', '/admin/tasks', 200);
    await expectConforming('GET', '/admin/tasks?status=STUCK', '/admin/tasks', 200);
    await expectConforming('GET', '/admin/tasks?tag=nocolon', '/admin/tasks', 400);
    await expectConforming('GET', `/admin/tasks/${finished}`, '/admin/tasks/{id}', 200);
    await expectConforming('GET', `/admin/tasks/nope_${RUN}`, '/admin/tasks/{id}', 404);
    await expectConforming('GET', `/admin/tasks/${finished}/timeline`, '/admin/tasks/{id}/timeline', 200);
    await expectConforming('GET', `/admin/tasks/nope_${RUN}/timeline`, '/admin/tasks/{id}/timeline', 404);
  });

  it('workers: list, stats, dead, cleanup, and errors', async () => {
    // On the embedded stack, workers written as the SDK writes them: one alive, one silent (DEAD).
    const stack = inject('stack');
    const put = async (workerId: string, fields: Partial<WorkerItem>) => {
      if (!stack) return;
      const now = new Date().toISOString();
      const worker: WorkerItem = {
        workerId,
        type: 'sweeper-e2e',
        host: 'conform',
        pid: 1,
        version: '0.1.0',
        concurrency: 1,
        status: 'IDLE',
        inFlight: [],
        startedAt: now,
        lastHeartbeatAt: now,
        processed: 2,
        failed: 1,
        busyMs: 300,
        ...fields,
      };
      const { documents } = localClients(stack);
      await documents.send(new PutCommand({ TableName: stack.tableName, Item: toItem(worker) }));
    };
    const alive = `conform-${RUN}-alive`;
    const inFlight = [
      {
        taskToken: 'conform-token',
        tokenId: '0123456789abcdef',
        taskId: 't',
        orgId: 'o',
        stepId: 's',
        claimedAt: new Date().toISOString(),
        details: 'page 2 of 5',
      },
    ];
    await put(alive, { status: 'BUSY', inFlight });
    await put(`conform-${RUN}-silent`, { lastHeartbeatAt: new Date(Date.now() - 60_000).toISOString() });
    const list = await expectConforming('GET', '/admin/workers', '/admin/workers', 200);
    if (stack) expect(JSON.stringify(list)).toContain(alive);
    await expectConforming('GET', '/admin/workers?status=DEAD', '/admin/workers', 200);
    await expectConforming('GET', '/admin/workers?status=ASLEEP', '/admin/workers', 400);
    await expectConforming('GET', '/admin/workers/stats', '/admin/workers/stats', 200);
    await expectConforming('GET', '/admin/workers/stats?type=undeclared', '/admin/workers/stats', 400);
    await expectConforming('GET', '/admin/workers/dead', '/admin/workers/dead', 200);
    await expectConforming('POST', '/admin/workers/cleanup', '/admin/workers/cleanup', 200);
    await expectConforming('POST', '/admin/workers/cleanup?org=', '/admin/workers/cleanup', 400);
    // Stopped, so no sweep later fails its made-up token.
    await put(alive, { status: 'STOPPED', stoppedAt: new Date().toISOString() });
  });

  it('API keys: create, list, revoke, and errors', async () => {
    const created = await expectConforming('POST', '/api-keys', '/api-keys', 201, {
      name: `conform ${RUN}`,
      role: 'ADMIN',
    });
    await expectConforming('GET', '/api-keys?limit=2', '/api-keys', 200);
    await expectConforming('DELETE', `/api-keys/${created.keyId}`, '/api-keys/{keyId}', 200);
    await expectConforming('DELETE', '/api-keys/AAAAAAAA', '/api-keys/{keyId}', 404);
    await expectConforming('POST', '/api-keys', '/api-keys', 400, { name: 'x', role: 'OPERATOR' });
  });

  it('approvals: the pending list, a decision, a second one, and errors; the decided task and timeline', async () => {
    const workflowId = await registerWorkflow({
      id: 'conform_approval',
      version: 1,
      name: 'approval',
      steps: [
        { id: 'review', type: 'approval', approvers: ['ADMIN'], message: 'Go?', continueOnError: true },
      ],
    });
    const started = await request<{ taskId: string }>('POST', '/tasks', { workflowId });
    const { taskId } = started.body;
    const decision = `/tasks/${taskId}/approvals/review`;
    const template = '/tasks/{id}/approvals/{stepId}';
    await expect
      .poll(async () => {
        const page = await expectConforming('GET', '/approvals?status=PENDING&limit=100', '/approvals', 200);
        return (page.items as { taskId: string }[]).some((item) => item.taskId === taskId);
      })
      .toBe(true);
    await expectConforming('GET', '/approvals?status=DONE', '/approvals', 400);
    await expectConforming('POST', decision, template, 400, { decision: 'maybe' });
    await expectConforming('POST', `/tasks/${taskId}/approvals/other`, template, 404, {
      decision: 'approve',
    });
    await expectConforming('POST', decision, template, 200, { decision: 'approve', comment: 'ok' });
    await expectConforming('POST', decision, template, 409, { decision: 'reject' });
    await waitForTask(taskId);
    await expectConforming('GET', `/tasks/${taskId}`, '/tasks/{id}', 200);
    await expectConforming('GET', `/tasks/${taskId}/timeline`, '/tasks/{id}/timeline', 200);
    await expectConforming('GET', '/approvals?status=APPROVED&limit=1', '/approvals', 200);
  });

  it('alert channels and deliveries: the list, refused input, an unknown alert', async () => {
    // Reads only: alert-channels.test.ts replaces this organization's channels.
    await expectConforming('GET', '/admin/alert-channels', '/admin/alert-channels', 200);
    await expectConforming('PUT', '/admin/alert-channels', '/admin/alert-channels', 400, {
      channels: [{ id: 'x', type: 'email' }],
    });
    await expectConforming('GET', '/admin/alerts/nope/deliveries', '/admin/alerts/{id}/deliveries', 404);
  });

  it('alerts: the list, its errors, and an unknown alert', async () => {
    await expectConforming('GET', '/admin/alerts?limit=5', '/admin/alerts', 200);
    await expectConforming('GET', '/admin/alerts?state=OPEN&severity=CRITICAL', '/admin/alerts', 200);
    await expectConforming('GET', '/admin/alerts?state=CLOSED', '/admin/alerts', 400);
    await expectConforming('GET', `/admin/alerts/nope_${RUN}`, '/admin/alerts/{id}', 404);
    await expectConforming('POST', `/admin/alerts/nope_${RUN}/ack`, '/admin/alerts/{id}/ack', 404);
  });
});

/** Starts a task and waits for its end; its id. */
async function runTaskWith(body: Record<string, unknown>): Promise<string> {
  const started = await request<{ taskId: string }>('POST', '/tasks', body);
  expect(started.status).toBe(201);
  await waitForTask(started.body.taskId);
  return started.body.taskId;
}
