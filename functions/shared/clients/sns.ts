// The SNS client (see once.ts for how clients are made): alerts and approval notices only, so the SDK
// package is loaded on the first publish, not at cold start (lazy-sdk.ts).
import type * as Sns from '@aws-sdk/client-sns';
import { type ClientSettings, lazySdkClient } from './lazy-sdk';
import { once } from './once';
import { type ServiceClient, serviceCommand } from './service-command';

export type SnsClient = ServiceClient<'sns'>;

export function createSnsClient(settings: ClientSettings = {}): SnsClient {
  return lazySdkClient(
    'sns',
    () => import('@aws-sdk/client-sns'),
    (sdk) => new sdk.SNSClient(settings),
  );
}

export const snsClient = once(() => createSnsClient());

export const PublishCommand = serviceCommand<'sns', Sns.PublishCommandInput, Sns.PublishCommandOutput>(
  'sns',
  'Publish',
);
export const GetTopicAttributesCommand = serviceCommand<
  'sns',
  Sns.GetTopicAttributesCommandInput,
  Sns.GetTopicAttributesCommandOutput
>('sns', 'GetTopicAttributes');
