// The alerting a Lambda handler raises and reads alerts with: the table's alert store, the deployment's
// alert links, and live updates of each change; what it publishes to is the handler's own (the alert topics,
// the notifier's deliveries, or nothing).

import type { DocumentClient } from '../clients/table-commands';
import { liveAlerting } from '../live/live-alerting';
import { livePublisher } from '../live/live-clients';
import { loadAlertLinkBase } from './alert-links-config';
import { DynamoAlertStore } from './alert-store';
import { type Alerting, type AlertingDeps, createAlerting } from './alerting';

export function lambdaAlerting(
  client: DocumentClient,
  tableName: string,
  publish: AlertingDeps['publish'],
  options: Pick<AlertingDeps, 'cooldownSeconds'> = {},
): Alerting {
  return liveAlerting(
    createAlerting({
      store: new DynamoAlertStore(client, tableName),
      publish,
      now: () => new Date(),
      links: loadAlertLinkBase(),
      ...options,
    }),
    livePublisher(),
  );
}
