// The SNS client (see once.ts for how clients are made).
import { SNSClient } from '@aws-sdk/client-sns';
import { traced } from '../tracing';
import { once } from './once';

export const snsClient = once(() => traced(new SNSClient({})));
