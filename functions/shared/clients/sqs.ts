// The SQS client (see once.ts for how clients are made): SQS speaks the AWS JSON protocol (1.0), so this is
// the lean client (aws-json.ts), not the SDK's: nothing is loaded at cold start, and the embedded stack can
// serve it in process. Its commands have the SDK's call-site shape and types (imported as types only).
import type * as Sqs from '@aws-sdk/client-sqs';
import { AwsJsonClient, type AwsJsonClientOptions, type AwsJsonService } from './aws-json';
import { once } from './once';
import { type ServiceClient, serviceCommand } from './service-command';

export const SQS_SERVICE: AwsJsonService = {
  signingName: 'sqs',
  targetPrefix: 'AmazonSQS',
  jsonVersion: '1.0',
  endpointEnvName: 'SQS',
  traceName: 'SQS',
};

export type SqsClient = ServiceClient<'sqs'>;

export function createSqsClient(options: AwsJsonClientOptions = {}): SqsClient {
  const client = new AwsJsonClient(SQS_SERVICE, options);
  return {
    send: (command) => client.call(command.operation, command.input) as never,
  };
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
