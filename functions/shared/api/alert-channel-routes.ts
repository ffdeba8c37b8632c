// The alert channel routes and the delivery log of an alert. Channels: an OWNER or ADMIN reads and
// replaces their organization's; an OPERATOR names one (`?org=`) or the deployment's own
// (`?scope=deployment`, channels that receive every organization's alerts). Secrets are accepted,
// stored by reference and never returned. Deliveries: only for an alert the caller may see (an
// organization's alert to its members, any to operators); organizations see their own channels' attempts,
// not the deployment's.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { canSeeAlert } from '../alerts/alert-access';
import type { ChannelScope } from '../alerts/channel';
import { channelView, isDeploymentScope } from '../alerts/channel';
import { PutChannelsBodySchema } from '../alerts/channel-input';
import { type ChannelConfigDeps, replaceChannels } from '../alerts/configure-channels';
import type { DeliveryLog } from '../alerts/delivery-log';
import { type Identity, isOperator } from '../auth/identity';
import { orgScope } from '../auth/org-scope';
import { ForbiddenError, jsonResponse, NotFoundError, ValidationError } from '../http/errors';
import { parseJsonBody } from '../http/json-body';
import * as z from '../zod-mini';
import type { AlertRouteDeps } from './alerting-routes';
import type { ApiOperation } from './api-routes';
import { cursorBinding, ListQuerySchema, OrgQuery, parseWith, pathParameter } from './request';

export interface AlertChannelRouteDeps {
  readonly channels: ChannelConfigDeps;
  readonly deliveries: DeliveryLog;
}

const ScopeQuery = z.strictObject({
  org: z.optional(OrgQuery),
  scope: z.optional(
    z.literal('deployment', { error: 'must be deployment (or omitted for an organization)' }),
  ),
});

function channelScopeOf(identity: Identity, event: APIGatewayProxyEventV2): ChannelScope {
  const query = parseWith(ScopeQuery, event.queryStringParameters ?? {}, 'query');
  if (query.scope === 'deployment') {
    if (!isOperator(identity)) {
      throw new ForbiddenError('scope: deployment-wide channels are configured by operators', 'OPERATOR');
    }
    if (query.org !== undefined) {
      const message = 'org: give either org or scope=deployment, not both';
      throw new ValidationError(`Invalid query: ${message}`, [{ field: 'org', message }]);
    }
    return { deployment: true };
  }
  const org = orgScope(identity, query.org);
  if (org === undefined) {
    const message = 'org: operators name the organization (?org=) or ?scope=deployment';
    throw new ValidationError(`Invalid query: ${message}`, [{ field: 'org', message }]);
  }
  return { org };
}

const scopeView = (scope: ChannelScope) =>
  isDeploymentScope(scope) ? { scope: 'deployment' } : { org: scope.org };

const DeliveriesQuery = ListQuerySchema;

export const ALERT_CHANNEL_OPERATIONS: Record<string, ApiOperation<AlertRouteDeps>> = {
  'GET /admin/alert-channels': async (event, identity, deps) => {
    const scope = channelScopeOf(identity, event);
    const channels = await deps.alertChannels.channels.store.list(scope);
    return jsonResponse(200, { ...scopeView(scope), channels: channels.map(channelView) });
  },

  'PUT /admin/alert-channels': async (event, identity, deps) => {
    const scope = channelScopeOf(identity, event);
    const body = parseWith(PutChannelsBodySchema, parseJsonBody(event), 'body');
    const channels = await replaceChannels(scope, body.channels, deps.alertChannels.channels);
    return jsonResponse(200, { ...scopeView(scope), channels: channels.map(channelView) });
  },

  'GET /admin/alerts/{id}/deliveries': async (event, identity, deps) => {
    const alertId = pathParameter(event, 'id');
    const query = parseWith(DeliveriesQuery, event.queryStringParameters ?? {}, 'query');
    const alert = await deps.alerts.get(alertId);
    // An alert the caller may not see answers as one that does not exist.
    if (!alert || !canSeeAlert(identity, alert)) throw new NotFoundError(`Alert ${alertId} not found`);
    const binding = cursorBinding(event, identity, { ...query, id: alertId });
    const inner = await deps.cursors.verify(binding, query.cursor);
    // Organizations see the attempts to their own channels, not to the deployment's.
    const page = await deps.alertChannels.deliveries.list(alertId, {
      limit: query.limit ?? 100,
      ...(inner !== undefined && { startKey: JSON.parse(inner) as Record<string, unknown> }),
      orgChannelsOnly: !isOperator(identity),
    });
    const cursor = await deps.cursors.sign(binding, page.lastKey && JSON.stringify(page.lastKey));
    return jsonResponse(200, { alertId, items: page.items, ...(cursor && { cursor }) });
  },
};
