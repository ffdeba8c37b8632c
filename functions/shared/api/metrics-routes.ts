// Metrics routes: a workflow's metrics, metrics grouped by org/agent/workflow and system health (the
// Prometheus exposition is the metrics function's: prometheus-routes.ts). Who sees what is a function of
// the identity alone (orgScope): an OPERATOR reads every org (or the one it names), anyone else only their
// own org.
//
// GET /workflows/{id}/metrics is open to MEMBERs: a member already sees every task of the org, of which
// these are sums. The admin routes and /metrics need ADMIN (the route table), since they span the org.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { orgScope } from '../auth/org-scope';
import { jsonResponse, NotFoundError, ValidationError } from '../http/errors';
import { GRANULARITY_MS, type Granularity } from '../telemetry/aggregate-keys';
import {
  type BucketRange,
  groupedMetrics,
  systemHealth,
  TooManyReadsError,
  workflowMetrics,
} from '../telemetry/metrics-queries';
import * as z from '../zod-mini';
import type { ApiOperation } from './api-routes';
import { IsoDateTime, OrgQuery, parseWith, pathParameter, queryInteger } from './request';
import { workerHealth } from './worker-routes';

/** Buckets one read may cover, per granularity. */
export const MAX_BUCKETS: Record<'hour' | 'day', number> = { hour: 168, day: 366 };
/** GET /admin/metrics reads hourly items up to this many hours, daily items beyond. */
export const GROUPED_HOURLY_UP_TO = 48;
/** GET /admin/metrics over days: at most this many. */
export const MAX_GROUPED_DAYS = 92;
export const MAX_WINDOW_MINUTES = 180;
const DEFAULT_WINDOW_MINUTES = 15;
const DEFAULT_SPAN_MS = { hour: 24 * GRANULARITY_MS.hour, day: 30 * GRANULARITY_MS.day };

const Range = { from: z.optional(IsoDateTime), to: z.optional(IsoDateTime) };
const WorkflowMetricsQuery = z.strictObject({ ...Range, granularity: z.optional(z.enum(['hour', 'day'])) });
const GroupedMetricsQuery = z.strictObject({
  ...Range,
  groupBy: z.enum(['org', 'agent', 'workflow']),
  org: z.optional(OrgQuery),
});
const HealthQuery = z.strictObject({
  windowMinutes: z.optional(queryInteger(MAX_WINDOW_MINUTES, 4)),
  org: z.optional(OrgQuery),
});

const query = (event: APIGatewayProxyEventV2) => event.queryStringParameters ?? {};

const rangeError = (message: string, fields: string[]) =>
  new ValidationError(
    message,
    fields.map((field) => ({ field, message })),
  );

/**
 * The whole buckets covering [from, to] (defaults: to = now, from = a day (hourly) or 30 days (daily)
 * before `to`), at most `maxBuckets` of them.
 */
export function bucketRange(
  input: { from?: string; to?: string },
  granularity: Granularity,
  now: Date,
  maxBuckets: number,
): BucketRange {
  const size = GRANULARITY_MS[granularity];
  const to = input.to === undefined ? now.getTime() : Date.parse(input.to);
  const from =
    input.from === undefined
      ? to - (granularity === 'day' ? DEFAULT_SPAN_MS.day : DEFAULT_SPAN_MS.hour)
      : Date.parse(input.from);
  if (from > to) {
    throw rangeError(`from (${input.from}) is later than to (${input.to ?? 'now'})`, ['from', 'to']);
  }
  const startMs = Math.floor(from / size) * size;
  const endMs = Math.floor(to / size) * size + size;
  const buckets = (endMs - startMs) / size;
  if (buckets > maxBuckets) {
    throw rangeError(
      `from..to covers ${buckets} ${granularity === 'day' ? 'daily' : 'hourly'} buckets; at most ${maxBuckets}`,
      ['from'],
    );
  }
  return { startMs, endMs, granularity };
}

/** Hourly items for ranges up to GROUPED_HOURLY_UP_TO hours, daily beyond. */
function groupedRange(input: { from?: string; to?: string }, now: Date): BucketRange {
  const hourly = bucketRange(input, 'hour', now, Number.MAX_SAFE_INTEGER);
  if ((hourly.endMs - hourly.startMs) / GRANULARITY_MS.hour <= GROUPED_HOURLY_UP_TO) return hourly;
  return bucketRange(input, 'day', now, MAX_GROUPED_DAYS);
}

const tooManyReads = (error: unknown): never => {
  if (error instanceof TooManyReadsError) {
    throw new ValidationError(error.message, [{ field: 'from', message: error.message }]);
  }
  throw error;
};

export const METRICS_OPERATIONS: Record<string, ApiOperation> = {
  'GET /workflows/{id}/metrics': async (event, identity, deps) => {
    const workflowId = pathParameter(event, 'id');
    const input = parseWith(WorkflowMetricsQuery, query(event), 'query');
    const granularity = input.granularity ?? 'hour';
    const range = bucketRange(input, granularity, deps.metrics.now(), MAX_BUCKETS[granularity]);
    const workflow = await deps.registry.store.getSummary(identity.orgId, workflowId);
    if (!workflow) throw new NotFoundError(`Workflow ${workflowId} not found`);
    return jsonResponse(200, await workflowMetrics(deps.metrics, identity.orgId, workflowId, range));
  },

  'GET /admin/metrics': async (event, identity, deps) => {
    const input = parseWith(GroupedMetricsQuery, query(event), 'query');
    const orgId = orgScope(identity, input.org);
    const range = groupedRange(input, deps.metrics.now());
    return jsonResponse(
      200,
      await groupedMetrics(deps.metrics, orgId, input.groupBy, range).catch(tooManyReads),
    );
  },

  'GET /admin/health': async (event, identity, deps) => {
    const input = parseWith(HealthQuery, query(event), 'query');
    const windowMinutes = input.windowMinutes ?? DEFAULT_WINDOW_MINUTES;
    const orgId = orgScope(identity, input.org);
    const [health, workers] = await Promise.all([
      systemHealth(deps.metrics, orgId, windowMinutes),
      workerHealth(deps.workers, orgId, windowMinutes),
    ]);
    return jsonResponse(200, { ...health, workers });
  },
};
