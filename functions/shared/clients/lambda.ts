// The Lambda client of `lambda` steps (see once.ts for how clients are made): the SDK package is loaded on
// the first invocation, not at cold start (lazy-sdk.ts). It retries throttling like the rest of stepwise
// (3 retries), with no socket timeout, since a user function may legitimately run for up to 15 minutes.
import type * as Lambda from '@aws-sdk/client-lambda';
import { type ClientSettings, lazySdkClient } from './lazy-sdk';
import { type ServiceClient, serviceCommand } from './service-command';

export type LambdaClient = ServiceClient<'lambda'>;

export interface LambdaClientOptions extends ClientSettings {
  /** Attempts per call, the first included (SDK standard retry mode). @default 4 */
  readonly maxAttempts?: number;
}

/** The SDK client configuration of `options` (its own export so a test can check it). */
export function lambdaConfig({
  maxAttempts,
  ...settings
}: LambdaClientOptions = {}): Lambda.LambdaClientConfig {
  return { ...settings, maxAttempts: maxAttempts ?? 4, retryMode: 'standard' };
}

export function createLambdaClient(options: LambdaClientOptions = {}): LambdaClient {
  return lazySdkClient(
    'lambda',
    () => import('@aws-sdk/client-lambda'),
    (sdk) => new sdk.LambdaClient(lambdaConfig(options)),
  );
}

export const InvokeCommand = serviceCommand<'lambda', Lambda.InvokeCommandInput, Lambda.InvokeCommandOutput>(
  'lambda',
  'Invoke',
);
