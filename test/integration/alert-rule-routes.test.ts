// GET/PUT /admin/alert-rules over HTTP on the embedded stack: levels merge deployment < org < workflow
// field by field over the defaults; an org admin reads and sets only its own org's levels, the deployment
// level is the operators'; bad settings are 400s naming the field; a MEMBER is refused.
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { DEFAULT_ALERT_RULES } from '../../functions/shared/alerts/rules/rule-config';
import { createApiKey, DynamoApiKeyStore } from '../../functions/shared/auth/api-keys';
import { OPERATOR_ORG_ID } from '../../functions/shared/auth/identity';
import { apiClient } from '../support/api-request';
import { localClients } from '../support/aws-clients';

const endpoints = inject('endpoints');
const { documents } = localClients(endpoints);
const keys = new DynamoApiKeyStore(documents, endpoints.tableName);
const request = apiClient(endpoints.api);

const ORG_A = 'alert-rules-org-a';
const ORG_B = 'alert-rules-org-b';
const WORKFLOW = 'rules_orders';

let adminA: string;
let ownerB: string;
let memberA: string;
let operator: string;

interface RulesView {
  org?: string;
  workflow?: string;
  effective: typeof DEFAULT_ALERT_RULES;
  levels: {
    level: string;
    org?: string;
    workflow?: string;
    rules: Record<string, unknown>;
    updatedBy?: string;
  }[];
}

const put = (apiKey: string, body: unknown) =>
  request<RulesView>('PUT', '/admin/alert-rules', body, { apiKey });
const get = (apiKey: string, query = '') =>
  request<RulesView>('GET', `/admin/alert-rules${query}`, undefined, { apiKey });
const fieldsOf = (body: unknown) =>
  ((body as { details?: { field?: string }[] }).details ?? []).map((detail) => detail.field);

beforeAll(async () => {
  const key = async (orgId: string, role: 'OWNER' | 'ADMIN' | 'MEMBER' | 'OPERATOR') =>
    (await createApiKey(keys, { orgId, role, name: `${role.toLowerCase()} alert rules` })).plaintext;
  [adminA, ownerB, memberA, operator] = await Promise.all([
    key(ORG_A, 'ADMIN'),
    key(ORG_B, 'OWNER'),
    key(ORG_A, 'MEMBER'),
    key(OPERATOR_ORG_ID, 'OPERATOR'),
  ]);
  const registered = await request(
    'POST',
    '/workflows',
    {
      id: WORKFLOW,
      version: 1,
      name: 'orders',
      steps: [{ id: 'a', type: 'transform', params: { expression: '1' } }],
    },
    { apiKey: adminA },
  );
  expect(registered.status, JSON.stringify(registered.body)).toBeLessThan(300);
});

describe('alert rule routes', () => {
  it('merges deployment < org < workflow field by field over the defaults', async () => {
    const deployment = await put(operator, {
      rules: { errorRate: { windowMinutes: 10 }, cooldownMinutes: 30 },
    });
    expect(deployment.status, JSON.stringify(deployment.body)).toBe(200);
    expect(deployment.body.levels).toEqual([
      expect.objectContaining({
        level: 'deployment',
        rules: { errorRate: { windowMinutes: 10 }, cooldownMinutes: 30 },
      }),
    ]);
    expect((await put(adminA, { rules: { errorRate: { minTasks: 20, windowMinutes: 3 } } })).status).toBe(
      200,
    );
    const workflow = await put(adminA, {
      workflow: WORKFLOW,
      rules: {
        errorRate: { minTasks: 4 },
        taskFailed: { severity: 'WARNING' },
        stuck: { afterMinutes: 0.5 },
      },
    });
    expect(workflow.status, JSON.stringify(workflow.body)).toBe(200);

    const { status, body } = await get(adminA, `?workflow=${WORKFLOW}`);
    expect(status).toBe(200);
    expect(body.org).toBe(ORG_A);
    expect(body.workflow).toBe(WORKFLOW);
    expect(body.effective).toEqual({
      ...DEFAULT_ALERT_RULES,
      errorRate: { ...DEFAULT_ALERT_RULES.errorRate, windowMinutes: 3, minTasks: 4 },
      taskFailed: { severity: 'WARNING' },
      stuck: { enabled: true, afterMinutes: 0.5 },
      cooldownMinutes: 30,
    });
    expect(body.levels.map((level) => level.level)).toEqual(['deployment', 'org', 'workflow']);
    expect(body.levels[2]).toMatchObject({ org: ORG_A, workflow: WORKFLOW, updatedBy: expect.any(String) });

    // The org level alone: the workflow's settings do not leak up.
    const org = await get(adminA);
    expect(org.body.effective.errorRate).toEqual({
      ...DEFAULT_ALERT_RULES.errorRate,
      windowMinutes: 3,
      minTasks: 20,
    });
    expect(org.body.effective.taskFailed.severity).toBe('INFO');

    // An empty level clears it: the workflow inherits the org's minTasks again.
    expect((await put(adminA, { workflow: WORKFLOW, rules: {} })).status).toBe(200);
    expect((await get(adminA, `?workflow=${WORKFLOW}`)).body.effective.errorRate.minTasks).toBe(20);
    await put(operator, { rules: {} });
  });

  it('keeps an org admin to its own org and the deployment level to operators', async () => {
    expect((await put(ownerB, { org: ORG_A, rules: { cooldownMinutes: 1 } })).status).toBe(403);
    expect((await get(ownerB, `?org=${ORG_A}`)).status).toBe(403);
    // B's own level: A's settings are not there.
    const own = await put(ownerB, { rules: { retrying: { attempts: 5 } } });
    expect(own.status).toBe(200);
    expect(own.body.org).toBe(ORG_B);
    expect((await get(adminA)).body.effective.retrying.attempts).toBe(3);
    // An operator reads any org by name, and the deployment level without one.
    expect((await get(operator, `?org=${ORG_B}`)).body.effective.retrying.attempts).toBe(5);
    const deployment = await get(operator);
    expect(deployment.body.levels.map((level) => level.level)).toEqual(['deployment']);
    // A MEMBER reads nothing.
    expect((await get(memberA)).status).toBe(403);
    expect((await put(memberA, { rules: {} })).status).toBe(403);
  });

  it('refuses a level that would put CRITICAL below WARNING in a level under it, naming that level', async () => {
    const levelRules = async (level: string) =>
      (await get(adminA, `?workflow=${WORKFLOW}`)).body.levels.find((shown) => shown.level === level)
        ?.rules ?? {};
    const [orgBefore, workflowBefore] = [await levelRules('org'), await levelRules('workflow')];
    expect(
      (await put(adminA, { workflow: WORKFLOW, rules: { errorRate: { criticalAbove: 0.3 } } })).status,
    ).toBe(200);
    const refused = await put(adminA, { rules: { errorRate: { warningAbove: 0.4 } } });
    expect(refused.status).toBe(400);
    expect(fieldsOf(refused.body)).toEqual(['rules.errorRate.warningAbove']);
    expect(JSON.stringify(refused.body)).toContain(`workflow ${WORKFLOW} of org ${ORG_A}`);
    // Nothing was written; a threshold that keeps the order is taken.
    expect(await levelRules('org')).toEqual(orgBefore);
    expect((await put(adminA, { rules: { errorRate: { warningAbove: 0.25 } } })).status).toBe(200);
    expect((await put(adminA, { rules: orgBefore })).status).toBe(200);
    // The deployment level is checked against every org's and workflow's.
    const deployment = await put(operator, { rules: { errorRate: { warningAbove: 0.35 } } });
    expect(deployment.status).toBe(400);
    expect(JSON.stringify(deployment.body)).toContain(`workflow ${WORKFLOW} of org ${ORG_A}`);
    await put(adminA, { workflow: WORKFLOW, rules: workflowBefore });
  });

  it('answers bad settings with a 400 naming the field, and an unknown workflow with a 404', async () => {
    const cases: [unknown, string][] = [
      [{ rules: { errorRate: { minTasks: 0 } } }, 'rules.errorRate.minTasks'],
      [{ rules: { errorRate: { warningAbove: 1.5 } } }, 'rules.errorRate.warningAbove'],
      [{ rules: { errorRate: { windowMinutes: 61 } } }, 'rules.errorRate.windowMinutes'],
      [{ rules: { errorRate: { criticalAbove: 0.1 } } }, 'rules.errorRate.criticalAbove'],
      [{ rules: { taskFailed: { severity: 'LOUD' } } }, 'rules.taskFailed.severity'],
      [{ rules: { retrying: { attempt: 3 } } }, 'rules.retrying.attempt'],
      [{ rules: { dlq: { enabled: false } } }, 'rules.dlq'],
      [{ rules: { stuck: { afterMinutes: 0 } } }, 'rules.stuck.afterMinutes'],
      [{ workflow: 'Not A Slug', rules: {} }, 'workflow'],
      [{ rules: {}, extra: 1 }, 'extra'],
      [{}, 'rules'],
    ];
    for (const [body, field] of cases) {
      const reply = await put(adminA, body);
      expect(reply.status, JSON.stringify(body)).toBe(400);
      expect(fieldsOf(reply.body), JSON.stringify(reply.body)).toContain(field);
    }
    // An operator naming a workflow must name its org.
    const noOrg = await get(operator, `?workflow=${WORKFLOW}`);
    expect(noOrg.status).toBe(400);
    expect(fieldsOf(noOrg.body)).toContain('org');
    expect((await get(adminA, '?limit=3')).status).toBe(400);
    expect((await put(adminA, { workflow: 'no_such_workflow', rules: {} })).status).toBe(404);
    expect((await get(adminA, '?workflow=no_such_workflow')).status).toBe(404);
  });
});
