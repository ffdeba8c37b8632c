// The API key of the OpenAI-compatible endpoint: LLM_API_KEY as given (local development), or on AWS the
// Secrets Manager secret LLM_API_KEY_SECRET_ARN (a plain string secret), read through Powertools
// Parameters on the first `llm` call, not at cold start, and cached for API_KEY_MAX_AGE_SECONDS, so a
// rotated key is picked up without a redeploy. The key never sits in the template, a definition or a log.
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { tracer } from '../../powertools';
import { LlmApiKeyUnavailable } from '../errors';
import type { LlmConfig } from './provider-config';

export const API_KEY_MAX_AGE_SECONDS = 300;

/** The slice of Powertools' SecretsProvider used here, so tests can pass a fake. */
export interface SecretsGetter {
  get(name: string, options: { readonly maxAge: number }): Promise<unknown>;
}

/** A key, a function reading it when a request needs it, or none. */
export type ApiKey = string | (() => Promise<string>) | undefined;

export function llmApiKey(
  config: Pick<LlmConfig, 'apiKey' | 'apiKeySecretArn'>,
  secrets: () => SecretsGetter,
): ApiKey {
  const secretId = config.apiKeySecretArn;
  if (secretId === undefined) return config.apiKey;
  return async () => {
    let value: unknown;
    try {
      value = await secrets().get(secretId, { maxAge: API_KEY_MAX_AGE_SECONDS });
    } catch (error) {
      throw new LlmApiKeyUnavailable(secretId, error instanceof Error ? error.message : String(error), {
        cause: error,
      });
    }
    if (typeof value !== 'string' || value.trim() === '') {
      throw new LlmApiKeyUnavailable(secretId, 'the secret has no string value');
    }
    return value.trim();
  };
}

/** Powertools' Secrets Manager provider with a traced client, created on first use. */
export function lazySecretsManager(): () => SecretsGetter {
  let provider: SecretsProvider | undefined;
  return () => {
    provider ??= new SecretsProvider({
      awsSdkV3Client: tracer.captureAWSv3Client(new SecretsManagerClient({})),
    });
    return provider;
  };
}
