// Who reads which org's metrics, decided from the identity alone. OPERATOR is not accepted by the
// authorizer yet, so its scoping is tested here at the domain level.
import { describe, expect, it } from 'vitest';
import { bucketRange } from '../../../functions/shared/api/metrics-routes';
import type { Identity } from '../../../functions/shared/auth/identity';
import { orgScope } from '../../../functions/shared/auth/org-scope';
import { ForbiddenError, ValidationError } from '../../../functions/shared/http/errors';
import { aggregateTargets } from '../../../functions/shared/telemetry/aggregate-keys';
import { lastClosedSlot } from '../../../functions/shared/telemetry/fold-aggregates';
import { groupedMetrics } from '../../../functions/shared/telemetry/metrics-queries';
import { prometheusExposition } from '../../../functions/shared/telemetry/prometheus-exposition';
import { parseExposition } from '../../support/prometheus-text';
import { InMemoryAggregateStore } from './in-memory-aggregate-store';

const identity = (role: Identity['role'], orgId = 'org-a'): Identity => ({
  orgId,
  role,
  principal: 'k',
  method: 'api-key',
});

describe('metrics scope', () => {
  it('gives OWNER and ADMIN their own org, and refuses them another', () => {
    expect(orgScope(identity('OWNER'))).toBe('org-a');
    expect(orgScope(identity('ADMIN'), 'org-a')).toBe('org-a');
    expect(() => orgScope(identity('ADMIN'), 'org-b')).toThrow(ForbiddenError);
  });

  it('gives an OPERATOR every org, or the org it names', () => {
    expect(orgScope(identity('OPERATOR', 'ops'))).toBeUndefined();
    expect(orgScope(identity('OPERATOR', 'ops'), 'org-b')).toBe('org-b');
  });

  it('groups by org over every org for an OPERATOR, and over its own for an OWNER', async () => {
    const store = new InMemoryAggregateStore();
    const at = Date.parse('2026-11-27T10:15:00Z');
    for (const [orgId, count] of [
      ['org-a', 2],
      ['org-b', 3],
    ] as const) {
      for (const target of aggregateTargets({ orgId, workflowId: 'wf' }, at)) {
        await store.put(
          target,
          {
            aggregate: { statuses: { SUCCEEDED: count }, attempts: count, retries: 0 },
            lastSlot: 1,
            firstSlot: 1,
          },
          undefined,
        );
      }
    }
    store.watermark = lastClosedSlot(at);
    const deps = {
      store,
      now: () => new Date(at),
      activeTasks: { count: async () => ({ active: 0, runningTooLong: 0 }) },
    };
    const range = bucketRange(
      { from: '2026-11-27T10:00:00Z', to: '2026-11-27T11:00:00Z' },
      'hour',
      new Date(at),
      168,
    );
    const all = await groupedMetrics(deps, orgScope(identity('OPERATOR', 'ops')), 'org', range);
    expect(all.groups.map((group) => [group.key, group.tasks.total])).toEqual([
      ['org-b', 3],
      ['org-a', 2],
    ]);
    const own = await groupedMetrics(deps, orgScope(identity('OWNER')), 'org', range);
    expect(own.groups.map((group) => [group.key, group.tasks.total])).toEqual([['org-a', 2]]);
    const byWorkflow = await groupedMetrics(deps, orgScope(identity('OPERATOR', 'ops')), 'workflow', range);
    expect(byWorkflow.groups.map((group) => [group.orgId, group.key, group.tasks.total])).toEqual([
      ['org-b', 'wf', 3],
      ['org-a', 'wf', 2],
    ]);
  });
});

describe('bucket ranges', () => {
  const now = new Date('2026-11-27T10:15:00Z');

  it('covers whole buckets from the hour of `from` to the end of the hour of `to`', () => {
    expect(
      bucketRange({ from: '2026-11-27T08:30:00Z', to: '2026-11-27T10:05:00Z' }, 'hour', now, 168),
    ).toEqual({
      startMs: Date.parse('2026-11-27T08:00:00Z'),
      endMs: Date.parse('2026-11-27T11:00:00Z'),
      granularity: 'hour',
    });
  });

  it('defaults to the last day in hours, the last 30 days in days', () => {
    const hourly = bucketRange({}, 'hour', now, 168);
    expect((hourly.endMs - hourly.startMs) / 3_600_000).toBe(25);
    const daily = bucketRange({}, 'day', now, 366);
    expect((daily.endMs - daily.startMs) / 86_400_000).toBe(31);
  });

  it('refuses from after to naming both, and a range of too many buckets naming from', () => {
    const later = () =>
      bucketRange({ from: '2026-11-27T09:00:00Z', to: '2026-11-27T08:00:00Z' }, 'hour', now, 168);
    expect(later).toThrow(ValidationError);
    try {
      later();
    } catch (error) {
      expect((error as ValidationError).details?.map((detail) => detail.field)).toEqual(['from', 'to']);
    }
    try {
      bucketRange({ from: '2026-01-01T00:00:00Z' }, 'hour', now, 168);
      expect.unreachable();
    } catch (error) {
      expect((error as ValidationError).details?.[0]?.field).toBe('from');
      expect((error as ValidationError).message).toMatch(/hourly buckets; at most 168/);
    }
  });
});

describe('Prometheus scope', () => {
  it("renders every org's totals for an OPERATOR and only its own for an OWNER", async () => {
    const store = new InMemoryAggregateStore();
    const at = Date.parse('2026-11-27T10:15:00Z');
    for (const orgId of ['org-a', 'org-b']) {
      for (const target of aggregateTargets({ orgId, workflowId: `wf-${orgId}` }, at)) {
        await store.put(
          target,
          { aggregate: { statuses: { SUCCEEDED: 1 }, attempts: 1, retries: 0 }, lastSlot: 1, firstSlot: 1 },
          undefined,
        );
      }
    }
    store.watermark = lastClosedSlot(at);
    const deps = {
      store,
      now: () => new Date(at),
      activeTasks: { count: async () => ({ active: 0, runningTooLong: 0 }) },
    };
    const orgsIn = async (identityOf: Identity) => {
      const text = await prometheusExposition(deps, orgScope(identityOf));
      return new Set(
        parseExposition(text)
          .samples('stepwise_tasks_total')
          .map((sample) => sample.labels.org),
      );
    };
    expect(await orgsIn(identity('OPERATOR', 'ops'))).toEqual(new Set(['org-a', 'org-b']));
    expect(await orgsIn(identity('OWNER', 'org-b'))).toEqual(new Set(['org-b']));
  });
});

describe('reads that fold first', () => {
  it('answer from what is folded when the fold keeps losing its writes to other folders', async () => {
    const store = new InMemoryAggregateStore();
    const at = Date.parse('2026-11-27T10:15:00Z');
    store.addSettled({
      taskId: 't',
      orgId: 'org-a',
      workflowId: 'wf',
      status: 'SUCCEEDED',
      settledAt: new Date(at - 60_000).toISOString(),
    });
    store.watermark = lastClosedSlot(at) - 10;
    const losing = new Proxy(store, {
      get: (target, property, receiver) =>
        property === 'put' ? async () => false : Reflect.get(target, property, receiver),
    });
    const deps = {
      store: losing,
      now: () => new Date(at),
      activeTasks: { count: async () => ({ active: 0, runningTooLong: 0 }) },
    };
    const range = bucketRange({}, 'hour', new Date(at), 168);
    const answer = await groupedMetrics(deps, 'org-a', 'org', range);
    expect(answer.groups).toEqual([]);
    expect(answer.asOf).toBe(new Date((store.watermark + 1) * 10_000).toISOString());
  });
});
