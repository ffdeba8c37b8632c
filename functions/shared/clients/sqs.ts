// The SQS client (see once.ts for how clients are made), its SDK package loaded on the first call
// (lazy-sdk.ts).
import type * as Sqs from '@aws-sdk/client-sqs';
import { type ClientSettings, lazySdkClient } from './lazy-sdk';
import { once } from './once';
import { type ServiceClient, serviceCommand } from './service-command';

export type SqsClient = ServiceClient<'sqs'>;

export function createSqsClient(settings: ClientSettings = {}): SqsClient {
  return lazySdkClient(
    'sqs',
    () => import('@aws-sdk/client-sqs'),
    (sdk) => new sdk.SQSClient(settings),
  );
}

export const sqsClient = once(() => createSqsClient());

export const SendMessageCommand = serviceCommand<
  'sqs',
  Sqs.SendMessageCommandInput,
  Sqs.SendMessageCommandOutput
>('sqs', 'SendMessage');
export const GetQueueAttributesCommand = serviceCommand<
  'sqs',
  Sqs.GetQueueAttributesCommandInput,
  Sqs.GetQueueAttributesCommandOutput
>('sqs', 'GetQueueAttributes');
