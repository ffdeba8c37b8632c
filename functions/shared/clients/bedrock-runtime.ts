// The Bedrock Runtime client of `llm` steps on Bedrock (see once.ts for how clients are made): the SDK
// package is loaded on the first call, not at cold start (lazy-sdk.ts). Throttling and 5xx are retried by
// the SDK client itself like the rest of stepwise: 3 retries (standard mode, full-jitter backoff).
import type * as BedrockRuntime from '@aws-sdk/client-bedrock-runtime';
import { type ClientSettings, lazySdkClient } from './lazy-sdk';
import { type ServiceClient, serviceCommand } from './service-command';

export type BedrockRuntimeClient = ServiceClient<'bedrock-runtime'>;

export interface BedrockClientOptions extends ClientSettings {
  /** Attempts per call, the first included, for throttling and 5xx (SDK standard retry mode). @default 4 */
  readonly maxAttempts?: number;
  /** Socket-level request timeout. @default 120000 */
  readonly requestTimeoutMs?: number;
}

/** The SDK client configuration of `options` (its own export so a test can check it). */
export function bedrockRuntimeConfig({
  maxAttempts,
  requestTimeoutMs,
  ...settings
}: BedrockClientOptions = {}): BedrockRuntime.BedrockRuntimeClientConfig {
  return {
    ...settings,
    maxAttempts: maxAttempts ?? 4,
    retryMode: 'standard',
    requestHandler: { requestTimeout: requestTimeoutMs ?? 120_000 },
  };
}

export function createBedrockRuntimeClient(options: BedrockClientOptions = {}): BedrockRuntimeClient {
  return lazySdkClient(
    'bedrock-runtime',
    () => import('@aws-sdk/client-bedrock-runtime'),
    (sdk) => new sdk.BedrockRuntimeClient(bedrockRuntimeConfig(options)),
  );
}

export const ConverseCommand = serviceCommand<
  'bedrock-runtime',
  BedrockRuntime.ConverseCommandInput,
  BedrockRuntime.ConverseCommandOutput
>('bedrock-runtime', 'Converse');
