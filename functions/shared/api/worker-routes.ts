// The worker routes (the workers function's): the workers of the types open to the caller's organization
// (an OPERATOR: every type, or those open to the org it names with `?org=`), their stats by type, the dead
// ones, and a sweep run now (for an organization, of its own steps only: sweep-workers.ts). GET
// /admin/health (the api's) counts live and dead workers with workerHealth.
// An organization sees only its own tasks among a worker's in-flight steps, and nobody sees a task token.
// Each type is one partition read whole (at most MAX_WORKERS_PER_TYPE workers): no paging to do.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { Identity } from '../auth/identity';
import { orgScope } from '../auth/org-scope';
import { jsonResponse, ValidationError } from '../http/errors';
import { type SweepDeps, sweepWorkers } from '../workers/sweep-workers';
import type { WorkerItem } from '../workers/worker-item';
import type { WorkerTypes } from '../workers/worker-types';
import {
  byRecentHeartbeat,
  typeStats,
  typesInScope,
  type ViewContext,
  workerView,
} from '../workers/worker-views';
import { SLUG } from '../workflows/slug';
import * as z from '../zod-mini';
import type { ApiOperation } from './api-routes';
import { checkRawQuery, noBody, OrgQuery, parseWith } from './request';

/** What reading workers needs: the declared types, and the sweep's directory, clock and dead-after time. */
export interface WorkerReadDeps {
  /** The declared worker types (WORKER_TYPES). */
  readonly types: WorkerTypes;
  readonly sweep: Pick<SweepDeps, 'workers' | 'now' | 'deadAfterSeconds'>;
}

export interface WorkerRouteDeps extends WorkerReadDeps {
  /** The sweep of POST /admin/workers/cleanup; its directory, clock and deadAfterSeconds serve the reads. */
  readonly sweep: SweepDeps;
}

/** Declared types are slugs: anything else names none, and is refused without being echoed back. */
const TypeName = z.string().check(z.regex(SLUG, 'must be a worker type name: a slug of a-z, 0-9, _ and -'));
const ScopeQuery = z.strictObject({ type: z.optional(TypeName), org: z.optional(OrgQuery) });
const ListQuery = z.strictObject({
  ...ScopeQuery.shape,
  status: z.optional(z.enum(['IDLE', 'ACTIVE', 'BUSY', 'STOPPED', 'DEAD'])),
});

interface Scope {
  readonly orgId: string | undefined;
  readonly types: string[];
  readonly context: ViewContext;
}

/** The org and the types a request reads; a `type` that is not declared and open to the org is a 400. */
function scopeOf(identity: Identity, deps: WorkerReadDeps, query: { type?: string; org?: string }): Scope {
  const orgId = orgScope(identity, query.org);
  const open = typesInScope(deps.types, orgId);
  if (query.type !== undefined && !open.includes(query.type)) {
    const message = `type: no worker type ${query.type} is declared${orgId === undefined ? '' : ` for organization ${orgId}`}`;
    throw new ValidationError(`Invalid query: ${message}`, [{ field: 'type', message }]);
  }
  return {
    orgId,
    types: query.type === undefined ? open : [query.type],
    context: { now: deps.sweep.now(), deadAfterSeconds: deps.sweep.deadAfterSeconds, orgId },
  };
}

/** Every worker of the scope's types, by type. */
export async function readWorkers(
  deps: WorkerReadDeps,
  types: readonly string[],
): Promise<Map<string, WorkerItem[]>> {
  const lists = await Promise.all(types.map((type) => deps.sweep.workers.listByType(type)));
  return new Map(types.map((type, index) => [type, lists[index] ?? []]));
}

/**
 * The workers GET /admin/health reports: live (IDLE, ACTIVE, BUSY) and dead within the window (marked
 * DEAD since its start, or silent past deadAfterSeconds and not yet marked). Not part of the score: their
 * steps are retried, and what that costs shows in the error rate and the durations.
 */
export async function workerHealth(
  deps: WorkerReadDeps,
  orgId: string | undefined,
  windowMinutes: number,
): Promise<{ live: number; dead: number }> {
  const context: ViewContext = {
    now: deps.sweep.now(),
    deadAfterSeconds: deps.sweep.deadAfterSeconds,
    orgId,
  };
  const since = context.now.getTime() - windowMinutes * 60_000;
  const byType = await readWorkers(deps, typesInScope(deps.types, orgId));
  let live = 0;
  let dead = 0;
  for (const worker of [...byType.values()].flat()) {
    const { status, deadAt } = workerView(worker, context);
    if (status === 'DEAD' && (deadAt === undefined || Date.parse(deadAt) >= since)) dead += 1;
    else if (status !== 'DEAD' && status !== 'STOPPED') live += 1;
  }
  return { live, dead };
}

/** The query, a repeated or undecodable `type` refused by name (API Gateway would join or pass it on). */
const query = (event: APIGatewayProxyEventV2) => {
  checkRawQuery(event, ['type']);
  return event.queryStringParameters ?? {};
};

const listed = (scope: Scope, workers: Iterable<WorkerItem>) =>
  [...workers].map((worker) => workerView(worker, scope.context)).sort(byRecentHeartbeat);

const meta = (scope: Scope) => ({
  deadAfterSeconds: scope.context.deadAfterSeconds,
  asOf: scope.context.now.toISOString(),
});

export const WORKER_OPERATIONS: Record<string, ApiOperation<{ readonly workers: WorkerRouteDeps }>> = {
  'GET /admin/workers': async (event, identity, deps) => {
    const input = parseWith(ListQuery, query(event), 'query');
    const scope = scopeOf(identity, deps.workers, input);
    const byType = await readWorkers(deps.workers, scope.types);
    const items = listed(scope, [...byType.values()].flat()).filter(
      (view) => input.status === undefined || view.status === input.status,
    );
    return jsonResponse(200, { items, ...meta(scope) });
  },

  'GET /admin/workers/stats': async (event, identity, deps) => {
    const input = parseWith(ScopeQuery, query(event), 'query');
    const scope = scopeOf(identity, deps.workers, input);
    const byType = await readWorkers(deps.workers, scope.types);
    const types = [...byType].map(([type, workers]) => typeStats(type, workers, scope.context));
    return jsonResponse(200, { types, ...meta(scope) });
  },

  'GET /admin/workers/dead': async (event, identity, deps) => {
    const input = parseWith(ScopeQuery, query(event), 'query');
    const scope = scopeOf(identity, deps.workers, input);
    const byType = await readWorkers(deps.workers, scope.types);
    const items = listed(scope, [...byType.values()].flat()).filter((view) => view.status === 'DEAD');
    return jsonResponse(200, { items, ...meta(scope) });
  },

  'POST /admin/workers/cleanup': async (event, identity, deps) => {
    const input = parseWith(ScopeQuery, query(event), 'query');
    noBody(event);
    const scope = scopeOf(identity, deps.workers, input);
    // An organization's cleanup releases its own steps only (OPERATOR without org: every step).
    const report = await sweepWorkers(scope.types, deps.workers.sweep, scope.orgId);
    return jsonResponse(200, {
      checked: report.checked,
      marked: listed(
        scope,
        report.marked.map((swept) => swept.worker),
      ),
      released: report.released.map(({ workerId, type, step: { taskToken: _token, ...step } }) => ({
        workerId,
        type,
        ...step,
      })),
      ...meta(scope),
    });
  },
};
