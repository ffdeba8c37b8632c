// alert-notifier: subscribed to the three alert topics; each notification (a stepwise alert, or a
// CloudWatch alarm raised or resolved as an alert) is delivered to the channels that take it
// (functions/shared/alerts/alert-notification.ts, deliver-alert.ts).
// Delivery failures are parked in the alert-deliveries DLQ, not thrown: SNS's retries of the whole
// invocation would only repeat the deliveries that succeeded.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import type { SNSEvent } from 'aws-lambda';
import { guardedFetch } from '../shared/actions/outbound/guarded-fetch';
import type { AlertMessage } from '../shared/alerts/alert';
import {
  handleNotification,
  readNotification,
  UnrecognizedNotification,
} from '../shared/alerts/alert-notification';
import { DynamoChannelRateLimiter } from '../shared/alerts/channel-rate-limit';
import { channelSecretReader } from '../shared/alerts/channel-secrets';
import { DynamoChannelStore } from '../shared/alerts/channel-store';
import { consoleLine } from '../shared/alerts/console-channel';
import { type DeliveryDeps, deliverAlert } from '../shared/alerts/deliver-alert';
import { DynamoDeliveryLog } from '../shared/alerts/delivery-log';
import { lambdaAlerting } from '../shared/alerts/lambda-alerting';
import { loadNotifierConfig } from '../shared/alerts/notifier-config';
import { sqsParkDelivery } from '../shared/alerts/park-delivery';
import { documentClient } from '../shared/clients/dynamodb';
import { sqsClient } from '../shared/clients/sqs';
import { flushLiveUpdates } from '../shared/live/live-clients';
import { logger, metrics } from '../shared/powertools';
import { secretsManager } from '../shared/secrets';
import { publishRecordedMetrics } from '../shared/telemetry/publish-metrics';
import { traceLambdaHandler } from '../shared/tracing';

const config = loadNotifierConfig();
/** A rotated secret reaches deliveries within this. */
const SECRET_MAX_AGE_SECONDS = 30;

const deps: DeliveryDeps = {
  channels: new DynamoChannelStore(documentClient(), config.tableName),
  readSecret: channelSecretReader(secretsManager(), SECRET_MAX_AGE_SECONDS),
  post: (url, init) => guardedFetch(url, { method: 'POST', ...init }, { allowedHosts: config.allowedHosts }),
  log: new DynamoDeliveryLog(documentClient(), config.tableName),
  rateLimit: new DynamoChannelRateLimiter(documentClient(), config.tableName),
  park: sqsParkDelivery(sqsClient(), config.deliveriesDlqUrl),
  now: () => new Date(),
};

/** Delivers a message to the channels that take it, and prints it on the local stack. */
async function notify(message: AlertMessage): Promise<void> {
  // The console channel: one line per alert on the local stack's output.
  if (config.console) process.stdout.write(`${consoleLine(message)}\n`);
  const deliveries = await deliverAlert(message, deps);
  for (const delivery of deliveries) {
    metrics.addMetric(
      delivery.outcome === 'DELIVERED' ? 'AlertsDelivered' : 'AlertDeliveriesParked',
      MetricUnit.Count,
      1,
    );
    const entry = {
      alertId: message.alert.id,
      event: message.event,
      channelId: delivery.channelId,
      outcome: delivery.outcome,
      attempts: delivery.attempts,
    };
    if (delivery.outcome === 'DELIVERED') logger.info('Alert delivered', entry);
    else logger.warn('Alert delivery parked in the DLQ', entry);
  }
}

// CloudWatch alarms become alerts here; their messages are delivered directly rather than published again.
const alerting = lambdaAlerting(documentClient(), config.tableName, notify);

const lambdaHandler = async (event: SNSEvent): Promise<void> => {
  for (const record of event.Records) {
    const { MessageId: messageId, Message: body, TopicArn: topicArn } = record.Sns;
    try {
      const ignored = await handleNotification(readNotification(body, config.severityOfTopic(topicArn)), {
        notify,
        alerting,
      });
      if (ignored) logger.debug('Nothing to deliver', { messageId, reason: ignored });
    } catch (error) {
      if (!(error instanceof UnrecognizedNotification)) throw error;
      logger.warn('Skipped a notification that is not an alert', { messageId, error });
    }
  }
};

export const handler = middy(lambdaHandler)
  .use(traceLambdaHandler())
  .use(injectLambdaContext(logger, { clearState: true }))
  .use(publishRecordedMetrics(metrics, { captureColdStartMetric: true }))
  .use(flushLiveUpdates());
