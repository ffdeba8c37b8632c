// The alert routes over HTTP on the embedded stack: an org's OWNER/ADMIN list, read and acknowledge their
// own alerts only (another org's, or an org-less one, is a 404 that shows nothing), an operator reads
// every org's and the org-less ones, a MEMBER is refused, and bad input is a 400 naming the field.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { AlertMessage, AlertRecord, AlertSignal } from '../../functions/shared/alerts/alert';
import { DynamoAlertStore } from '../../functions/shared/alerts/alert-store';
import { createAlerting } from '../../functions/shared/alerts/alerting';
import { createApiKey, DynamoApiKeyStore } from '../../functions/shared/auth/api-keys';
import { OPERATOR_ORG_ID } from '../../functions/shared/auth/identity';
import { apiClient } from '../support/api-request';
import { localClients } from '../support/aws-clients';

const endpoints = inject('endpoints');
const { documents } = localClients(endpoints);
const keys = new DynamoApiKeyStore(documents, endpoints.tableName);
const request = apiClient(endpoints.api);
const published: AlertMessage[] = [];
const alerting = createAlerting({
  store: new DynamoAlertStore(documents, endpoints.tableName),
  publish: async (message) => void published.push(message),
  now: () => new Date(),
  links: { apiBaseUrl: endpoints.api },
});

const RUN = randomUUID().slice(0, 8);
const ORG_A = `alerts-a-${RUN}`;
const ORG_B = `alerts-b-${RUN}`;

const signal = (fields: Partial<AlertSignal>): AlertSignal => ({
  dedupKey: `TASK_STUCK#${randomUUID()}`,
  kind: 'TASK_STUCK',
  severity: 'WARNING',
  title: 'Task stuck',
  summary: 'Step research has made no progress for 16 min.',
  ...fields,
});

let adminA: { key: string; id: string };
let ownerB: { key: string; id: string };
let memberA: string;
let operator: string;
let stuckA: AlertRecord;
let deadA: AlertRecord;
let secretB: AlertRecord;
let orgless: AlertRecord;

beforeAll(async () => {
  const key = async (orgId: string, role: 'OWNER' | 'ADMIN' | 'MEMBER' | 'OPERATOR') => {
    const created = await createApiKey(keys, { orgId, role, name: `${role.toLowerCase()} alerts` });
    return { key: created.plaintext, id: created.key.keyId };
  };
  let member: { key: string };
  let op: { key: string };
  [adminA, ownerB, member, op] = await Promise.all([
    key(ORG_A, 'ADMIN'),
    key(ORG_B, 'OWNER'),
    key(ORG_A, 'MEMBER'),
    key(OPERATOR_ORG_ID, 'OPERATOR'),
  ]);
  memberA = member.key;
  operator = op.key;
  stuckA = (await alerting.raise(signal({ org: ORG_A, task: 't-1' }))).alert;
  deadA = (
    await alerting.raise(
      signal({ org: ORG_A, kind: 'WORKER_DEAD', severity: 'CRITICAL', dedupKey: `WORKER_DEAD#w-${RUN}` }),
    )
  ).alert;
  secretB = (await alerting.raise(signal({ org: ORG_B, title: `SECRET-B-${RUN}` }))).alert;
  orgless = (
    await alerting.raise(
      signal({ kind: 'DLQ_NOT_EMPTY', dedupKey: `DLQ_NOT_EMPTY#q-${RUN}`, title: `ORGLESS-${RUN}` }),
    )
  ).alert;
});

const ids = (body: Record<string, unknown>) => (body.items as AlertRecord[]).map((alert) => alert.id);

describe('alert routes', () => {
  it("lists an org's alerts to its ADMIN, newest first, with filters and a cursor, and nothing else", async () => {
    const all = await request('GET', '/admin/alerts', undefined, { apiKey: adminA.key });
    expect(all.status, JSON.stringify(all.body)).toBe(200);
    expect(ids(all.body)).toEqual([deadA.id, stuckA.id]);
    expect(JSON.stringify(all.body)).not.toContain('SECRET-B');
    expect(JSON.stringify(all.body)).not.toContain('ORGLESS');
    expect((all.body.items as AlertRecord[])[1]).toMatchObject({
      links: { api: `${endpoints.api}/admin/alerts/${stuckA.id}` },
    });
    const critical = await request('GET', '/admin/alerts?severity=CRITICAL&state=OPEN', undefined, {
      apiKey: adminA.key,
    });
    expect(ids(critical.body)).toEqual([deadA.id]);
    const kind = await request('GET', '/admin/alerts?kind=TASK_STUCK', undefined, { apiKey: adminA.key });
    expect(ids(kind.body)).toEqual([stuckA.id]);
    const first = await request('GET', '/admin/alerts?limit=1', undefined, { apiKey: adminA.key });
    expect(ids(first.body)).toEqual([deadA.id]);
    const next = await request(
      'GET',
      `/admin/alerts?limit=1&cursor=${encodeURIComponent(String(first.body.cursor))}`,
      undefined,
      { apiKey: adminA.key },
    );
    expect(ids(next.body)).toEqual([stuckA.id]);
    const future = await request('GET', '/admin/alerts?from=2999-01-01T00:00:00Z', undefined, {
      apiKey: adminA.key,
    });
    expect(future.body.items).toEqual([]);
  });

  it("answers another org's alert, and an org-less one, with a 404 that shows nothing, for reads and acks", async () => {
    for (const alert of [secretB, orgless]) {
      const read = await request('GET', `/admin/alerts/${alert.id}`, undefined, { apiKey: adminA.key });
      expect(read.status).toBe(404);
      expect(JSON.stringify(read.body)).not.toMatch(/SECRET-B|ORGLESS/);
      const ack = await request('POST', `/admin/alerts/${alert.id}/ack`, undefined, { apiKey: adminA.key });
      expect(ack.status).toBe(404);
    }
    expect((await alerting.get(secretB.id))?.acknowledgedAt).toBeUndefined();
    const missing = await request('GET', `/admin/alerts/${randomUUID()}`, undefined, { apiKey: ownerB.key });
    expect(missing.status).toBe(404);
    const probe = await request('GET', `/admin/alerts?org=${ORG_A}`, undefined, { apiKey: ownerB.key });
    expect(probe.status).toBe(403);
    expect(JSON.stringify(probe.body)).not.toContain(stuckA.id);
  });

  it('shows an operator every org and the org-less alerts, or one org with ?org=', async () => {
    const all = await request('GET', '/admin/alerts?limit=100', undefined, { apiKey: operator });
    expect(ids(all.body)).toEqual(expect.arrayContaining([stuckA.id, deadA.id, secretB.id, orgless.id]));
    const onlyB = await request('GET', `/admin/alerts?org=${ORG_B}`, undefined, { apiKey: operator });
    expect(ids(onlyB.body)).toEqual([secretB.id]);
    const one = await request('GET', `/admin/alerts/${orgless.id}`, undefined, { apiKey: operator });
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: orgless.id, kind: 'DLQ_NOT_EMPTY', state: 'OPEN' });
  });

  it('records who acknowledged: a condition alert stays OPEN, an event alert is resolved', async () => {
    const condition = await request('POST', `/admin/alerts/${stuckA.id}/ack`, undefined, {
      apiKey: adminA.key,
    });
    expect(condition.status, JSON.stringify(condition.body)).toBe(200);
    expect(condition.body).toMatchObject({
      id: stuckA.id,
      state: 'OPEN',
      acknowledgedBy: adminA.id,
      acknowledgedAt: expect.any(String),
    });
    const event = await request('POST', `/admin/alerts/${deadA.id}/ack`, {}, { apiKey: adminA.key });
    expect(event.body).toMatchObject({
      state: 'RESOLVED',
      acknowledgedBy: adminA.id,
      resolvedAt: expect.any(String),
    });
    const resolved = await request('GET', '/admin/alerts?state=RESOLVED', undefined, { apiKey: adminA.key });
    expect(ids(resolved.body)).toEqual([deadA.id]);
    expect(published.filter((message) => message.alert.id === deadA.id).map((m) => m.event)).toEqual([
      'OPENED',
    ]);
  });

  it('refuses a MEMBER', async () => {
    expect((await request('GET', '/admin/alerts', undefined, { apiKey: memberA })).status).toBe(403);
    expect(
      (await request('POST', `/admin/alerts/${stuckA.id}/ack`, undefined, { apiKey: memberA })).status,
    ).toBe(403);
  });

  it('answers bad input with a 400 naming the field', async () => {
    const cases: [string, string, string][] = [
      ['GET', '/admin/alerts?state=CLOSED', 'state'],
      ['GET', '/admin/alerts?severity=LOW', 'severity'],
      ['GET', '/admin/alerts?kind=NOPE', 'kind'],
      ['GET', '/admin/alerts?from=yesterday', 'from'],
      ['GET', '/admin/alerts?from=2026-11-27T12:00:00Z&to=2026-11-27T11:00:00Z', 'to'],
      ['GET', '/admin/alerts?limit=0', 'limit'],
      ['GET', '/admin/alerts?color=red', 'color'],
      ['GET', '/admin/alerts?cursor=forged.cursor', 'cursor'],
      ['GET', `/admin/alerts/${'x'.repeat(129)}`, 'id'],
      ['GET', `/admin/alerts/${stuckA.id}?verbose=1`, 'verbose'],
    ];
    for (const [method, path, field] of cases) {
      const reply = await request<{ details: { field?: string }[] }>(method, path, undefined, {
        apiKey: adminA.key,
      });
      expect(reply.status, `${method} ${path}`).toBe(400);
      expect(
        reply.body.details.map((detail) => detail.field),
        path,
      ).toContain(field);
    }
    const body = await request<{ details: { field?: string }[] }>(
      'POST',
      `/admin/alerts/${stuckA.id}/ack`,
      { note: 'x' },
      { apiKey: adminA.key },
    );
    expect(body.status).toBe(400);
    expect(body.body.details.map((detail) => detail.field)).toContain('note');
    const other = await request('GET', '/admin/alerts?limit=1', undefined, { apiKey: adminA.key });
    const moved = await request(
      'GET',
      `/admin/alerts?limit=1&state=OPEN&cursor=${encodeURIComponent(String(other.body.cursor))}`,
      undefined,
      { apiKey: adminA.key },
    );
    expect(moved.status).toBe(400);
  });
});
