// The alerting routes (functions/shared/api/alerting-routes.ts): alerts, their acknowledgement and
// deliveries, alert rule levels and alert channels. A function of its own, so the api does not bundle the
// rule and channel code, and only this function may write channel secrets (lib/stepwise-stack.ts).
import { loadAllowedHosts } from '../shared/actions/outbound/allowed-hosts';
import { ALERT_SECRET_PREFIX_ENV, SecretsManagerChannelSecrets } from '../shared/alerts/channel-secrets';
import { DynamoChannelStore } from '../shared/alerts/channel-store';
import { DynamoDeliveryLog } from '../shared/alerts/delivery-log';
import { lambdaAlerting } from '../shared/alerts/lambda-alerting';
import { DynamoAlertRulesStore } from '../shared/alerts/rules/rule-config-store';
import { ALERTING_OPERATIONS } from '../shared/api/alerting-routes';
import { apiHandler } from '../shared/api/api-handler';
import { documentClient } from '../shared/clients/dynamodb';
import { secretsManagerClient } from '../shared/clients/secrets-manager';
import { requireEnv } from '../shared/config';
import { cursorKeyFromEnvironment } from '../shared/http/cursor-key';
import { CursorSigner } from '../shared/http/signed-cursor';
import { flushLiveUpdates } from '../shared/live/live-clients';
import { WorkflowStore } from '../shared/registry/workflow-store';

const tableName = requireEnv('TABLE_NAME');
// These routes read and acknowledge alerts, which publishes nothing (alerts/alerting.ts): the function has
// no topic to publish to, and a publish would be a bug.
const alerting = lambdaAlerting(documentClient(), tableName, async () => {
  throw new Error('The alerts function publishes no alert messages');
});

export const handler = apiHandler(ALERTING_OPERATIONS, {
  cursors: new CursorSigner(cursorKeyFromEnvironment()),
  registry: { store: new WorkflowStore(documentClient(), tableName) },
  alerts: alerting,
  alertRules: new DynamoAlertRulesStore(documentClient(), tableName),
  alertChannels: {
    channels: {
      store: new DynamoChannelStore(documentClient(), tableName),
      secrets: new SecretsManagerChannelSecrets(secretsManagerClient()),
      secretPrefix: requireEnv(ALERT_SECRET_PREFIX_ENV),
      allowedHosts: loadAllowedHosts(),
      now: () => new Date(),
    },
    deliveries: new DynamoDeliveryLog(documentClient(), tableName),
  },
}).use(flushLiveUpdates());
