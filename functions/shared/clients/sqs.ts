// The SQS client (see once.ts for how clients are made).
import { SQSClient } from '@aws-sdk/client-sqs';
import { traced } from '../tracing';
import { once } from './once';

export const sqsClient = once(() => traced(new SQSClient({})));
