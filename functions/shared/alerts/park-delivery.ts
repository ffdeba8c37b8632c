// The alert-deliveries DLQ: a delivery the notifier gave up on is parked there as JSON (ParkedDelivery:
// the message and the channel, never its secret), where the DLQ_NOT_EMPTY rule sees it and an operator can
// read and resend it.
import { SendMessageCommand, type SqsClient } from '../clients/sqs';
import type { ParkedDelivery } from './deliver-alert';

export function sqsParkDelivery(
  sqs: Pick<SqsClient, 'send'>,
  queueUrl: string,
): (parked: ParkedDelivery) => Promise<void> {
  return async (parked) => {
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(parked) }));
  };
}
