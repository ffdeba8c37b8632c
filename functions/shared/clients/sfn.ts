// The Step Functions client (see once.ts for how clients are made).
import { SFNClient } from '@aws-sdk/client-sfn';
import { traced } from '../tracing';
import { once } from './once';

export const sfnClient = once(() => traced(new SFNClient({})));
