// The API key of the OpenAI-compatible endpoint: LLM_API_KEY as given (local development), or on AWS the
// Secrets Manager secret LLM_API_KEY_SECRET_ARN (a plain string secret), read on the first `llm` call, not
// at cold start, and cached for API_KEY_MAX_AGE_SECONDS (../../secrets.ts). The key never sits in the
// template, a definition or a log.
import { type SecretsGetter, secretStringReader } from '../../secrets';
import { LlmApiKeyUnavailable } from '../errors';
import type { LlmConfig } from './provider-config';

export const API_KEY_MAX_AGE_SECONDS = 300;

/** A key, a function reading it when a request needs it, or none. */
export type ApiKey = string | (() => Promise<string>) | undefined;

export function llmApiKey(
  config: Pick<LlmConfig, 'apiKey' | 'apiKeySecretArn'>,
  secrets?: () => SecretsGetter,
): ApiKey {
  const secretId = config.apiKeySecretArn;
  if (secretId === undefined) return config.apiKey;
  return secretStringReader(secretId, {
    maxAgeSeconds: API_KEY_MAX_AGE_SECONDS,
    secrets,
    unavailable: (reason, cause) => new LlmApiKeyUnavailable(secretId, reason, { cause }),
  });
}
