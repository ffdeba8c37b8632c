// Approvals over HTTP: an org's approvals by status (newest request first, cursor paged), a task's
// approvals (one per approval step and map iteration, of one status or all), and the decision on one. None ever returns a task
// token (approvals/approval.ts `publicView`).
import { APPROVAL_STATUSES, publicView } from '../approvals/approval';
import { DecisionRequestSchema, decideApproval } from '../approvals/decide-approval';
import { jsonResponse, NotFoundError, ValidationError } from '../http/errors';
import { parseJsonBody } from '../http/json-body';
import { SLUG } from '../workflows/slug';
import * as z from '../zod-mini';
import type { ApiOperation } from './api-routes';
import { cursorBinding, parseWith, pathParameter, queryInteger } from './request';

const ApprovalListQuerySchema = z.strictObject({
  status: z._default(z.enum(APPROVAL_STATUSES), 'PENDING'),
  limit: z.optional(queryInteger(100, 3)),
  cursor: z.optional(z.string()),
});

const TaskApprovalsQuerySchema = z.strictObject({
  status: z.optional(z.enum(APPROVAL_STATUSES)),
  limit: z.optional(queryInteger(100, 3)),
  cursor: z.optional(z.string()),
});

/** A map iteration's index, as the step items number them (0 to 99,999). */
const DecisionQuerySchema = z.strictObject({
  mapIndex: z.optional(
    z.pipe(
      z.string().check(z.regex(/^\d{1,5}$/, 'must be an integer from 0 to 99999, in decimal digits')),
      z.transform(Number),
    ),
  ),
});

export const APPROVAL_OPERATIONS: Record<string, ApiOperation> = {
  'GET /approvals': async (event, identity, deps) => {
    const query = parseWith(ApprovalListQuerySchema, event.queryStringParameters ?? {}, 'query');
    const binding = cursorBinding(event, identity, query);
    const cursor = await deps.cursors.verify(binding, query.cursor);
    const page = await deps.approvals.approvals.list(identity.orgId, query.status, query.limit ?? 50, cursor);
    return jsonResponse(200, {
      items: page.items.map(publicView),
      cursor: await deps.cursors.sign(binding, page.cursor),
    });
  },

  'GET /tasks/{id}/approvals': async (event, identity, deps) => {
    const taskId = pathParameter(event, 'id');
    const query = parseWith(TaskApprovalsQuerySchema, event.queryStringParameters ?? {}, 'query');
    if (!(await deps.approvals.tasks.get(identity.orgId, taskId))) {
      throw new NotFoundError(`Task ${taskId} not found`);
    }
    const binding = cursorBinding(event, identity, { ...query, taskId });
    const cursor = await deps.cursors.verify(binding, query.cursor);
    const page = await deps.approvals.approvals.listForTask(taskId, query.limit ?? 50, cursor, query.status);
    return jsonResponse(200, {
      items: page.items.map(publicView),
      cursor: await deps.cursors.sign(binding, page.cursor),
    });
  },

  'POST /tasks/{id}/approvals/{stepId}': async (event, identity, deps) => {
    const { mapIndex } = parseWith(DecisionQuerySchema, event.queryStringParameters ?? {}, 'query');
    const taskId = pathParameter(event, 'id');
    const stepId = pathParameter(event, 'stepId');
    if (!SLUG.test(stepId)) {
      throw new ValidationError('Invalid path parameter stepId', [
        { field: 'stepId', message: 'stepId is a step id of the workflow: a slug of at most 64 characters' },
      ]);
    }
    const request = parseWith(DecisionRequestSchema, parseJsonBody(event), 'decision');
    const key = { taskId, stepId, ...(mapIndex !== undefined && { mapIndex }) };
    return jsonResponse(200, await decideApproval(identity, key, request, deps.approvals));
  },
};
