// The task list both GET /tasks (an org's members) and GET /admin/tasks (OWNER/ADMIN of their org,
// OPERATOR of any org or all) answer with: one query schema, one listing (tasks/task-listing.ts).
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Identity } from '../auth/identity';
import { jsonResponse } from '../http/errors';
import type { CursorSigner } from '../http/signed-cursor';
import { TASK_STATUSES } from '../tasks/task';
import type { TaskListQuery, TaskPage } from '../tasks/task-listing';
import { AgentIdSchema } from '../tasks/task-service';
import { TagFilterSchema } from '../tasks/task-tags';
import * as z from '../zod-mini';
import {
  checkRawQuery,
  cursorBinding,
  IsoDateTime,
  ListQuerySchema,
  OrgQuery,
  parseWith,
  queryInteger,
  toUtc,
  WorkflowIdParam,
} from './request';

export interface TaskLister {
  list(query: TaskListQuery): Promise<TaskPage>;
}

const TaskListFilters = {
  ...ListQuerySchema.shape,
  status: z.optional(z.enum([...TASK_STATUSES, 'RETRYING', 'STUCK'])),
  workflowId: z.optional(WorkflowIdParam),
  agentId: z.optional(AgentIdSchema),
  tag: z.optional(TagFilterSchema),
  from: z.optional(IsoDateTime),
  to: z.optional(IsoDateTime),
  stuckAfterMinutes: z.optional(queryInteger(1440, 4)),
};

/** A `from` later than `to` is refused, naming both (a check on any query with optional `from` and `to`). */
export const fromNotAfterTo = z.superRefine(
  (query: { from?: string | undefined; to?: string | undefined }, ctx) => {
    if (query.from === undefined || query.to === undefined) return;
    if (Date.parse(query.from) <= Date.parse(query.to)) return;
    for (const field of ['from', 'to'] as const) {
      ctx.addIssue({
        code: 'custom',
        path: [field],
        message: `from (${query.from}) is later than to (${query.to})`,
      });
    }
  },
);

/** The STUCK threshold means nothing to another status: a client sending it alone would think it filtered. */
const stuckAfterNeedsStuck = z.superRefine(
  (query: { status?: string | undefined; stuckAfterMinutes?: number | undefined }, ctx) => {
    if (query.stuckAfterMinutes === undefined || query.status === 'STUCK') return;
    ctx.addIssue({
      code: 'custom',
      path: ['stuckAfterMinutes'],
      message: `applies only with status=STUCK (status is ${query.status ?? 'not given'})`,
    });
  },
);

export const TaskListQuerySchema = z
  .strictObject(TaskListFilters)
  .check(fromNotAfterTo, stuckAfterNeedsStuck);
export const AdminTaskListQuerySchema = z
  .strictObject({ ...TaskListFilters, org: z.optional(OrgQuery) })
  .check(fromNotAfterTo, stuckAfterNeedsStuck);

type ParsedQuery = z.infer<typeof TaskListQuerySchema>;

/**
 * One page of the listing for `orgId` (undefined: every org), with its cursor signed for this route,
 * caller and query (the raw query parameters, so the same request always binds the same way).
 */
export async function taskListResponse(
  event: APIGatewayProxyEventV2,
  identity: Identity,
  deps: { readonly listing: TaskLister; readonly cursors: CursorSigner },
  orgId: string | undefined,
  query: ParsedQuery,
): Promise<APIGatewayProxyStructuredResultV2> {
  const binding = cursorBinding(event, identity, event.queryStringParameters ?? {});
  const cursor = await deps.cursors.verify(binding, query.cursor);
  const page = await deps.listing.list({
    orgId,
    status: query.status,
    workflowId: query.workflowId,
    agentId: query.agentId,
    tag: query.tag,
    from: toUtc(query.from),
    to: toUtc(query.to),
    limit: query.limit ?? 50,
    cursor,
    stuckAfterMinutes: query.stuckAfterMinutes,
  });
  return jsonResponse(200, { items: page.items, cursor: await deps.cursors.sign(binding, page.cursor) });
}

/** The filters an agent id or a tag value (any printable text, `,` and `%` too) is given in. */
const FREE_TEXT = ['agentId', 'tag'];

export const parseTaskListQuery = (event: APIGatewayProxyEventV2) => {
  checkRawQuery(event, FREE_TEXT);
  return parseWith(TaskListQuerySchema, event.queryStringParameters ?? {}, 'query');
};
export const parseAdminTaskListQuery = (event: APIGatewayProxyEventV2) => {
  checkRawQuery(event, FREE_TEXT);
  return parseWith(AdminTaskListQuerySchema, event.queryStringParameters ?? {}, 'query');
};
