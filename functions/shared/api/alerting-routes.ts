// The alerting routes, served by the alerts function: the alerts (list, one, acknowledge, its deliveries),
// the alert rule levels and the alert channels. A function of their own, so the api's cold start does not
// load the rule and channel schemas, and only this function may write channel secrets.
import type { Alerting } from '../alerts/alerting';
import type { AlertRulesStore } from '../alerts/rules/rule-config-store';
import type { CursorSigner } from '../http/signed-cursor';
import type { WorkflowStore } from '../registry/workflow-store';
import { ALERT_CHANNEL_OPERATIONS, type AlertChannelRouteDeps } from './alert-channel-routes';
import { ALERT_OPERATIONS } from './alert-routes';
import { ALERT_RULE_OPERATIONS } from './alert-rule-routes';
import type { ApiOperation } from './api-routes';

export interface AlertRouteDeps {
  readonly cursors: CursorSigner;
  /** The workflows a workflow-level rule may name (a missing one is a 404). */
  readonly registry: { readonly store: Pick<WorkflowStore, 'getSummary'> };
  /** The alerts of GET /admin/alerts, one alert, and its acknowledgement (which publishes nothing). */
  readonly alerts: Pick<Alerting, 'get' | 'list' | 'acknowledge'>;
  /** The alert rule levels of GET/PUT /admin/alert-rules. */
  readonly alertRules: AlertRulesStore;
  /** Alert channels (store, secrets, outbound allowlist), and the delivery log of GET .../deliveries. */
  readonly alertChannels: AlertChannelRouteDeps;
}

export const ALERTING_OPERATIONS: Record<string, ApiOperation<AlertRouteDeps>> = {
  ...ALERT_OPERATIONS,
  ...ALERT_RULE_OPERATIONS,
  ...ALERT_CHANNEL_OPERATIONS,
};
