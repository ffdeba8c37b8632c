// The alert routes: an org's alerts (OWNER/ADMIN; OPERATOR any org with `?org=`, or every org and the
// org-less alerts without it), newest first with filters and a signed cursor; one alert; and its
// acknowledgement. An alert the caller may not see is a 404 like one that does not exist.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { ALERT_KINDS, ALERT_STATES, type AlertRecord, SEVERITIES } from '../alerts/alert';
import { canSeeAlert } from '../alerts/alert-access';
import type { Identity } from '../auth/identity';
import { orgScope } from '../auth/org-scope';
import { jsonResponse, NotFoundError } from '../http/errors';
import * as z from '../zod-mini';
import type { AlertRouteDeps } from './alerting-routes';
import type { ApiOperation } from './api-routes';
import {
  cursorBinding,
  IsoDateTime,
  ListQuerySchema,
  noBody,
  noQuery,
  OrgQuery,
  parseWith,
  pathParameter,
  toUtc,
} from './request';
import { fromNotAfterTo } from './task-list';

const AlertListQuerySchema = z
  .strictObject({
    ...ListQuerySchema.shape,
    state: z.optional(z.enum(ALERT_STATES)),
    severity: z.optional(z.enum(SEVERITIES)),
    kind: z.optional(z.enum(ALERT_KINDS)),
    from: z.optional(IsoDateTime),
    to: z.optional(IsoDateTime),
    org: z.optional(OrgQuery),
  })
  .check(fromNotAfterTo);

/** The alert of the path, if the caller may see it; otherwise a 404 that says no more. */
async function visibleAlert(
  event: APIGatewayProxyEventV2,
  identity: Identity,
  deps: AlertRouteDeps,
): Promise<AlertRecord> {
  const id = pathParameter(event, 'id');
  const alert = await deps.alerts.get(id);
  if (!alert || !canSeeAlert(identity, alert)) throw new NotFoundError(`Alert ${id} not found`);
  return alert;
}

export const ALERT_OPERATIONS: Record<string, ApiOperation<AlertRouteDeps>> = {
  'GET /admin/alerts': async (event, identity, deps) => {
    const raw = event.queryStringParameters ?? {};
    const query = parseWith(AlertListQuerySchema, raw, 'query');
    const org = orgScope(identity, query.org);
    const binding = cursorBinding(event, identity, raw);
    const cursor = await deps.cursors.verify(binding, query.cursor);
    const page = await deps.alerts.list({
      org,
      state: query.state,
      severity: query.severity,
      kind: query.kind,
      from: toUtc(query.from),
      to: toUtc(query.to),
      limit: query.limit ?? 50,
      cursor,
    });
    return jsonResponse(200, { items: page.items, cursor: await deps.cursors.sign(binding, page.cursor) });
  },

  'GET /admin/alerts/{id}': async (event, identity, deps) => {
    noQuery(event);
    return jsonResponse(200, await visibleAlert(event, identity, deps));
  },

  'POST /admin/alerts/{id}/ack': async (event, identity, deps) => {
    noQuery(event);
    noBody(event);
    const alert = await visibleAlert(event, identity, deps);
    const acknowledged = await deps.alerts.acknowledge(alert.id, identity.principal);
    if (!acknowledged) throw new NotFoundError(`Alert ${alert.id} not found`);
    return jsonResponse(200, acknowledged);
  },
};
